// Turns stdin lines into events for --format lines (each line is an event's data) and --format
// json (each line an object like {"data":…,"event":…,"id":…,"retry":…,"topic":…}).
#ifndef SSE_SERVE_SOURCES_LINE_DECODER_HPP
#define SSE_SERVE_SOURCES_LINE_DECODER_HPP

#include <cstdint>
#include <string>
#include <string_view>

#include "sources/input_reader.hpp"

namespace sse::serve {

class line_decoder {
 public:
  // format is lines or json.
  line_decoder(input_format format, std::string event_type, std::string topic,
               input_sinks const& sinks);

  // One line without its line terminator; number is its 1-based line number (for messages).
  void line(std::string_view text, std::uint64_t number);

 private:
  void json_line(std::string_view text, std::uint64_t number);
  void warn(std::uint64_t number, std::string const& message) const;

  input_format format_;
  std::string event_type_;
  std::string topic_;
  input_sinks const& sinks_;
};

}  // namespace sse::serve

#endif
