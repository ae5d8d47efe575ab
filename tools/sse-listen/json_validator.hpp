// Whether an event's data is one JSON value, for --json-data: simdjson's DOM parser checks it
// (structure, strings and their escapes, numbers, literals, UTF-8) at gigabytes per second.
// simdjson.h is 1.3 MB of header: only json_validator.cpp includes it.
#ifndef SSE_LISTEN_JSON_VALIDATOR_HPP
#define SSE_LISTEN_JSON_VALIDATOR_HPP

#include <cstddef>
#include <memory>
#include <string_view>

namespace simdjson::dom {
class parser;
}

namespace sse::listen {

class json_validator {
 public:
  json_validator();
  ~json_validator();
  json_validator(json_validator&&) noexcept;
  json_validator& operator=(json_validator&&) noexcept;

  // True when text is one JSON value (RFC 8259), whitespace around it allowed, that simdjson
  // represents: nested at most 1024 deep, integers within 64 bits and other numbers within a
  // double's range. Anything else (including valid JSON beyond those limits) is false, so it is
  // printed as a string: still valid, never a crash.
  bool valid(std::string_view text);

  // Data this large or larger is checked by a parser made for it and then freed: simdjson sizes
  // its buffers (about 15 bytes per input byte, touched only as used) to the largest document it
  // has seen, and one huge event should not keep that memory for the rest of the stream.
  static constexpr std::size_t large = std::size_t{1} << 20;

 private:
  std::unique_ptr<simdjson::dom::parser> parser_;
};

// text without the JSON whitespace (space, tab, LF, CR) around it.
std::string_view trim_json_whitespace(std::string_view text);

}  // namespace sse::listen

#endif
