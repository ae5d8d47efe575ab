// Turns stdin lines into events for the hub, per --format: plain lines, JSON objects, or an SSE
// stream re-sent. No I/O, so every format is tested without sockets or processes.
#ifndef SSE_SERVE_LINE_DECODER_HPP
#define SSE_SERVE_LINE_DECODER_HPP

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <sse/parser.hpp>

#include "event_hub.hpp"
#include "options.hpp"

namespace sse::serve {

class line_decoder {
 public:
  using event_sink = std::function<void(source_event&&)>;
  using retry_sink = std::function<void(std::uint64_t)>;
  using warning_sink = std::function<void(std::uint64_t line, std::string const& message)>;

  line_decoder(input_format format, std::string event_type, std::size_t max_line, event_sink events,
               retry_sink retries, warning_sink warnings);
  ~line_decoder();
  line_decoder(line_decoder const&) = delete;
  line_decoder& operator=(line_decoder const&) = delete;

  // One line without its line terminator; number is its 1-based line number (for messages).
  void line(std::string_view text, std::uint64_t number);
  // The input ended.
  void finish(std::uint64_t number);

 private:
  class sse_handler;

  void json_line(std::string_view text, std::uint64_t number);

  input_format format_;
  std::string event_type_;
  event_sink events_;
  retry_sink retries_;
  warning_sink warnings_;
  std::string repaired_;
  std::unique_ptr<sse_handler> handler_;
  std::unique_ptr<sse::parser> parser_;
};

}  // namespace sse::serve

#endif
