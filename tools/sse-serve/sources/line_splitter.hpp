// Splitting stdin bytes into lines (LF or CRLF), with the --max-line bound. No I/O.
#ifndef SSE_SERVE_SOURCES_LINE_SPLITTER_HPP
#define SSE_SERVE_SOURCES_LINE_SPLITTER_HPP

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sources/line_decoder.hpp"

namespace sse::serve {

// Splits a byte stream into lines and enforces the line length bound: a longer line is skipped
// with a warning naming its line number, and the lines after it go on.
class line_splitter {
 public:
  line_splitter(std::size_t max_line, line_decoder& decoder, input_sinks const& sinks);
  void feed(std::string_view bytes);
  void finish();
  std::uint64_t line_number() const noexcept { return line_number_; }

 private:
  void complete(std::string_view line);
  void too_long();

  std::size_t max_line_;
  line_decoder& decoder_;
  input_sinks const& sinks_;
  std::string partial_;
  std::uint64_t line_number_ = 0;  // lines completed so far
  bool skipping_ = false;          // inside a line that was too long
};

}  // namespace sse::serve

#endif
