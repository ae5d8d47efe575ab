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
#include "line_splitter.hpp"
#include "options.hpp"

namespace sse::serve {

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
