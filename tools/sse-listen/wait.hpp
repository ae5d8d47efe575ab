// The one wait of sse-listen. Whatever it waits for (a readable input, the reconnection time,
// libcurl's sockets), it ends early for the same two reasons, checked in the same order: a
// signal (SIGINT, SIGTERM: the self-pipe of common/signals wakes it at once) and the --timeout
// deadline, which spans the whole run.
#ifndef SSE_LISTEN_WAIT_HPP
#define SSE_LISTEN_WAIT_HPP

#include <optional>

#include "reconnect_policy.hpp"

namespace sse::listen {

enum class wake {
  ready,        // the fd is readable (or at its end)
  due,          // the time waited for has come
  interrupted,  // a signal arrived
  timed_out,    // the --timeout deadline passed
  failed,       // poll(2) failed; errno says why
};

class waiter {
 public:
  explicit waiter(std::optional<steady_time> deadline) : deadline_(deadline) {}

  // interrupted or timed_out when a signal came or the deadline passed (a signal first);
  // nullopt when the run may go on. Checked before every wait.
  std::optional<wake> stopped(steady_time now) const;

  // How long one wait from now may last, in milliseconds: until `until` and the deadline, and at
  // most a second (a missed wake-up costs no more), at least 1 so a wait never spins.
  int timeout_ms(steady_time now, std::optional<steady_time> until = std::nullopt) const;

  // Waits until fd (when >= 0) is readable, `until` passes, a signal arrives or the deadline
  // passes. The signal pipe is watched too when handlers are installed.
  wake wait(int fd, std::optional<steady_time> until = std::nullopt) const;

 private:
  std::optional<steady_time> deadline_;
};

// The --timeout deadline of a run that starts now (nullopt for 0: none).
std::optional<steady_time> deadline_after(double seconds);

}  // namespace sse::listen

#endif
