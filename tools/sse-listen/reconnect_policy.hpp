// When to reconnect, and after how long: the EventSource reconnection time (changed by "retry:"),
// kept between a floor and a cap, plus exponential backoff for network errors and retried 5xx
// responses, a server's Retry-After, and ±20% jitter so that the thousand clients of a restarted
// server do not all come back in the same millisecond. Pure code: the clock and the random source
// are injected so tests can drive them.
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
  double jitter = 0.2;                          // each delay is drawn from base × [1-j, 1+j)
};

// Why a connection is over.
enum class disconnect_reason {
  stream_ended,   // the server ended (or dropped, or went silent on) an accepted stream
  network_error,  // no stream was established: refused, DNS, TLS, reset before the response
  server_error,   // a 5xx response retried (--retry-on-5xx)
};

struct reconnect_decision {
  bool reconnect = false;
  milliseconds delay{0};     // base with its jitter
  milliseconds base{0};      // before the jitter: the reconnection time, a backoff or a Retry-After
  bool retry_after = false;  // base is the server's Retry-After: the jitter only adds
  double jitter = 0;         // the fraction of base the jitter spans (each way)
  steady_time at{};          // clock() + delay
};

class reconnect_policy {
 public:
  using clock_function = std::function<steady_time()>;
  // Uniform in [0, 1).
  using random_function = std::function<double()>;

  explicit reconnect_policy(
      reconnect_config const& config,
      clock_function clock = [] { return std::chrono::steady_clock::now(); },
      random_function random = default_random());

  // A Mersenne Twister seeded from std::random_device.
  static random_function default_random();

  // A "retry:" field: the new reconnection time, clamped to [floor, cap].
  void set_reconnection_time(std::uint64_t ms);
  milliseconds reconnection_time() const noexcept { return reconnection_time_; }

  // The response was accepted (200, text/event-stream): network backoff starts over.
  void connected() noexcept { consecutive_failures_ = 0; }

  // Decides what follows a disconnection. Each positive decision uses up one reconnect.
  // retry_after, for a server_error, is the server's Retry-After: the wait is at least that long
  // (the floor still applies, not the cap: the server knows best; --timeout bounds the run).
  reconnect_decision next(disconnect_reason why,
                          std::optional<milliseconds> retry_after = std::nullopt);

  std::uint64_t reconnects() const noexcept { return reconnects_; }

 private:
  milliseconds clamp(milliseconds ms) const noexcept;
  milliseconds backoff() const noexcept;

  reconnect_config config_;
  clock_function clock_;
  random_function random_;
  milliseconds reconnection_time_;
  std::uint64_t reconnects_ = 0;
  unsigned consecutive_failures_ = 0;
};

}  // namespace sse::listen

#endif
