// --format sse: stdin is an SSE stream, fed to libsse's parser as raw bytes (any chunking), and
// each event it dispatches is published again with its type, data and (when the input gave one)
// id. An event larger than the bound is skipped up to its blank line, with a warning.
#ifndef SSE_SERVE_SOURCES_SSE_READER_HPP
#define SSE_SERVE_SOURCES_SSE_READER_HPP

#include <cstdint>
#include <sse/parser.hpp>
#include <string>
#include <string_view>

#include "sources/input_reader.hpp"

namespace sse::serve {

class sse_reader final : public input_reader, private sse::handler {
 public:
  sse_reader(std::size_t max_line, std::string topic, input_sinks sinks);

  void feed(std::string_view bytes) override;
  void finish() override;
  std::string where() const override;

 private:
  sse::action on_event(sse::event_view const& ev) override;
  void on_retry(std::uint64_t milliseconds) override;
  // Consumes bytes up to and including the next blank line (the end of the event being skipped).
  void skip(std::string_view& bytes);

  std::string topic_;
  input_sinks sinks_;
  sse::parser parser_;
  std::uint64_t base_ = 0;  // stream offset of the parser's offset 0 (it restarts after an error)
  bool skipping_ = false;
  bool line_start_ = false;  // skipping: the last byte seen ended a line
  bool after_cr_ = false;    // skipping: ... and it was a CR (an LF next completes that line end)
};

}  // namespace sse::serve

#endif
