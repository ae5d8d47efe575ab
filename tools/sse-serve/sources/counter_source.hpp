// A counter on a timer (--counter): events "1", "2", … every --interval seconds. With
// backpressure, a tick that finds the slowest client too far behind waits for it.
#ifndef SSE_SERVE_SOURCES_COUNTER_SOURCE_HPP
#define SSE_SERVE_SOURCES_COUNTER_SOURCE_HPP

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <string>

#include "hub/event_hub.hpp"
#include "hub/event_sink.hpp"
#include "sources/event_source.hpp"

namespace sse::serve {

class counter_source final : public event_source {
 public:
  counter_source(boost::asio::io_context& ioc, event_sink& sink, double interval_seconds,
                 std::string event_type, std::string topic);
  void start(std::function<void()> on_end) override;
  void stop() override;

 private:
  void arm();
  void emit();

  boost::asio::steady_timer timer_;
  event_sink& sink_;
  std::chrono::steady_clock::duration interval_;
  std::string event_type_;
  std::string topic_;
  std::uint64_t count_ = 0;
  bool stopped_ = false;
};

}  // namespace sse::serve

#endif
