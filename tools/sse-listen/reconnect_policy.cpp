#include "reconnect_policy.hpp"

#include <algorithm>
#include <limits>
#include <utility>

namespace sse::listen {

reconnect_policy::reconnect_policy(reconnect_config const& config, clock_function clock)
    : config_(config), clock_(std::move(clock)), reconnection_time_(clamp(config.initial)) {}

milliseconds reconnect_policy::clamp(milliseconds ms) const noexcept {
  return std::clamp(ms, config_.floor, std::max(config_.floor, config_.cap));
}

void reconnect_policy::set_reconnection_time(std::uint64_t ms) {
  // Saturate before converting: retry: 99999999999999999999 must not wrap to a small value.
  auto limit = static_cast<std::uint64_t>(config_.cap.count());
  reconnection_time_ = clamp(milliseconds(static_cast<milliseconds::rep>(std::min(ms, limit))));
}

reconnect_decision reconnect_policy::next(disconnect_reason why) {
  reconnect_decision d;
  if (!config_.reconnect) return d;
  if (config_.max_reconnects && reconnects_ >= *config_.max_reconnects) return d;
  ++reconnects_;
  d.reconnect = true;
  d.delay = reconnection_time_;
  if (why == disconnect_reason::network_error) {
    // Doubling from the reconnection time: 3 s, 6 s, 12 s, … up to the cap.
    unsigned shift = std::min(consecutive_failures_, 16u);
    auto base = static_cast<std::uint64_t>(reconnection_time_.count());
    auto limit = static_cast<std::uint64_t>(std::max(config_.floor, config_.cap).count());
    std::uint64_t grown = base << shift;
    d.delay = milliseconds(static_cast<milliseconds::rep>(std::min(grown, limit)));
    d.delay = std::max(d.delay, reconnection_time_);
    ++consecutive_failures_;
  } else {
    consecutive_failures_ = 0;
  }
  d.at = clock_() + d.delay;
  return d;
}

}  // namespace sse::listen
