#include "reconnect_policy.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <random>
#include <utility>

namespace sse::listen {

reconnect_policy::reconnect_policy(reconnect_config const& config, clock_function clock,
                                   random_function random)
    : config_(config),
      clock_(std::move(clock)),
      random_(std::move(random)),
      reconnection_time_(clamp(config.initial)) {}

reconnect_policy::random_function reconnect_policy::default_random() {
  auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
  return [engine] { return std::uniform_real_distribution<double>(0.0, 1.0)(*engine); };
}

milliseconds reconnect_policy::clamp(milliseconds ms) const noexcept {
  return std::clamp(ms, config_.floor, std::max(config_.floor, config_.cap));
}

void reconnect_policy::set_reconnection_time(std::uint64_t ms) {
  // Saturate before converting: retry: 99999999999999999999 must not wrap to a small value.
  auto limit = static_cast<std::uint64_t>(config_.cap.count());
  reconnection_time_ = clamp(milliseconds(static_cast<milliseconds::rep>(std::min(ms, limit))));
}

// Doubling from the reconnection time: 3 s, 6 s, 12 s, … up to the cap.
milliseconds reconnect_policy::backoff() const noexcept {
  unsigned shift = std::min(consecutive_failures_, 16u);
  auto base = static_cast<std::uint64_t>(reconnection_time_.count());
  auto limit = static_cast<std::uint64_t>(std::max(config_.floor, config_.cap).count());
  std::uint64_t grown = base << shift;
  milliseconds delay(static_cast<milliseconds::rep>(std::min(grown, limit)));
  return std::max(delay, reconnection_time_);
}

reconnect_decision reconnect_policy::next(disconnect_reason why,
                                          std::optional<milliseconds> retry_after) {
  reconnect_decision d;
  if (!config_.reconnect) return d;
  if (config_.max_reconnects && reconnects_ >= *config_.max_reconnects) return d;
  ++reconnects_;
  d.reconnect = true;
  d.base = reconnection_time_;
  if (why == disconnect_reason::stream_ended) {
    consecutive_failures_ = 0;
  } else {
    d.base = backoff();
    if (why == disconnect_reason::server_error && retry_after) {
      d.base = std::max(*retry_after, config_.floor);
      d.retry_after = true;
    }
    ++consecutive_failures_;
  }
  // Jitter: base × [1-j, 1+j), or base × [1, 1+j) after a Retry-After, never earlier than asked.
  double const u = std::clamp(random_(), 0.0, 1.0);
  double const j = std::clamp(config_.jitter, 0.0, 1.0);
  d.jitter = j;
  double const factor = d.retry_after ? 1.0 + j * u : 1.0 - j + 2.0 * j * u;
  d.delay = milliseconds(
      static_cast<milliseconds::rep>(std::llround(static_cast<double>(d.base.count()) * factor)));
  d.at = clock_() + d.delay;
  return d;
}

}  // namespace sse::listen
