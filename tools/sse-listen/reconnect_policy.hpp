// When to reconnect, and after how long: the EventSource reconnection time (changed by "retry:"),
// kept between a floor and a cap, plus exponential backoff for network errors. Pure code: the
// clock is injected so tests can drive it.
#ifndef SSE_LISTEN_RECONNECT_POLICY_HPP
#define SSE_LISTEN_RECONNECT_POLICY_HPP

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>

namespace sse::listen {

using milliseconds = std::chrono::milliseconds;
using steady_time = std::chrono::steady_clock::time_point;

struct reconnect_config {
  milliseconds initial{3000};                   // the reconnection time before any retry: field
  milliseconds floor{100};                      // so that retry: 0 cannot make a hot loop
  milliseconds cap{60000};                      // so that a huge retry: cannot stall forever
  bool reconnect = true;                        // false: --no-reconnect
  std::optional<std::uint64_t> max_reconnects;  // nullopt: unlimited
};

// Why a connection is over.
enum class disconnect_reason {
  stream_ended,   // the server ended (or dropped, or went silent on) an accepted stream
  network_error,  // no stream was established: refused, DNS, TLS, reset before the response
};

struct reconnect_decision {
  bool reconnect = false;
  milliseconds delay{0};
  steady_time at{};  // clock() + delay
};

class reconnect_policy {
 public:
  using clock_function = std::function<steady_time()>;

  explicit reconnect_policy(
      reconnect_config const& config,
      clock_function clock = [] { return std::chrono::steady_clock::now(); });

  // A "retry:" field: the new reconnection time, clamped to [floor, cap].
  void set_reconnection_time(std::uint64_t ms);
  milliseconds reconnection_time() const noexcept { return reconnection_time_; }

  // The response was accepted (200, text/event-stream): network backoff starts over.
  void connected() noexcept { consecutive_failures_ = 0; }

  // Decides what follows a disconnection. Each positive decision uses up one reconnect.
  reconnect_decision next(disconnect_reason why);

  std::uint64_t reconnects() const noexcept { return reconnects_; }

 private:
  milliseconds clamp(milliseconds ms) const noexcept;

  reconnect_config config_;
  clock_function clock_;
  milliseconds reconnection_time_;
  std::uint64_t reconnects_ = 0;
  unsigned consecutive_failures_ = 0;
};

}  // namespace sse::listen

#endif
