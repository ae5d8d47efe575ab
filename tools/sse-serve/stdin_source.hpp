// Standard input as the event source: read without blocking the server, split into lines (LF or
// CRLF), each line decoded per --format. A line longer than --max-line is skipped with a warning.
#ifndef SSE_SERVE_STDIN_SOURCE_HPP
#define SSE_SERVE_STDIN_SOURCE_HPP

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "event_hub.hpp"
#include "event_source.hpp"
#include "line_decoder.hpp"
#include "options.hpp"

namespace sse::serve {

// Splits a byte stream into lines and enforces the line length bound; no I/O, so it is unit tested.
class line_splitter {
 public:
  line_splitter(std::size_t max_line, line_decoder& decoder, line_decoder::warning_sink warnings);
  void feed(std::string_view bytes);
  void finish();
  std::uint64_t line_number() const noexcept { return line_number_; }

 private:
  void complete(std::string_view line);
  void too_long();

  std::size_t max_line_;
  line_decoder& decoder_;
  line_decoder::warning_sink warnings_;
  std::string partial_;
  std::uint64_t line_number_ = 0;  // lines completed so far
  bool skipping_ = false;          // inside a line that was too long
};

class stdin_source final : public event_source {
 public:
  stdin_source(boost::asio::io_context& ioc, event_hub& hub, options const& opts);
  void start(std::function<void()> on_end) override;
  void stop() override;

 private:
  void read();

  boost::asio::posix::stream_descriptor input_;
  event_hub& hub_;
  bool quiet_;
  std::unique_ptr<line_decoder> decoder_;
  std::unique_ptr<line_splitter> splitter_;
  std::unique_ptr<char[]> buffer_;
  std::function<void()> on_end_;
  bool stopped_ = false;
};

}  // namespace sse::serve

#endif
