#include "sources/counter_source.hpp"

#include <algorithm>

namespace sse::serve {

counter_source::counter_source(boost::asio::io_context& ioc, event_sink& sink,
                               double interval_seconds, std::string event_type, std::string topic)
    : timer_(ioc),
      sink_(sink),
      interval_(std::max(std::chrono::steady_clock::duration(1),
                         std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                             std::chrono::duration<double>(interval_seconds)))),
      event_type_(std::move(event_type)),
      topic_(std::move(topic)) {}

void counter_source::start(std::function<void()>) {
  // The counter never runs out, so on_end is never called.
  timer_.expires_after(interval_);
  arm();
}

void counter_source::arm() {
  timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || stopped_) return;
    if (sink_.throttled()) {
      sink_.when_unthrottled([this] {
        if (stopped_) return;
        emit();
        timer_.expires_after(interval_);  // from now: the ticks missed while waiting are skipped
        arm();
      });
      return;
    }
    emit();
    // From the previous deadline, not from now, so the rate does not drift.
    timer_.expires_at(timer_.expiry() + interval_);
    arm();
  });
}

void counter_source::emit() {
  source_event ev;
  ev.data = std::to_string(++count_);
  ev.type = event_type_;
  ev.topic = topic_;
  sink_.publish(ev, event_source_kind::counter);
  sink_.flush();
}

void counter_source::stop() {
  stopped_ = true;
  timer_.cancel();
}

}  // namespace sse::serve
