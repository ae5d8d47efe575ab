// Standard input as the event source: read without blocking the server and handed to the
// --format's input_reader. With backpressure, the next read waits until the slowest client has
// caught up enough (the hub says when).
#ifndef SSE_SERVE_SOURCES_STDIN_SOURCE_HPP
#define SSE_SERVE_SOURCES_STDIN_SOURCE_HPP

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cstddef>
#include <functional>
#include <memory>

#include "hub/event_hub.hpp"
#include "hub/event_sink.hpp"
#include "sources/event_source.hpp"
#include "sources/input_reader.hpp"

namespace sse::serve {

class stdin_source final : public event_source {
 public:
  stdin_source(boost::asio::io_context& ioc, event_sink& sink, input_config const& config,
               bool quiet);
  void start(std::function<void()> on_end) override;
  void stop() override;

 private:
  void read();
  void on_read(boost::system::error_code ec, std::size_t n);

  boost::asio::posix::stream_descriptor input_;
  event_sink& sink_;
  bool quiet_;
  std::unique_ptr<input_reader> reader_;
  std::unique_ptr<char[]> buffer_;
  std::function<void()> on_end_;
  bool stopped_ = false;
};

}  // namespace sse::serve

#endif
