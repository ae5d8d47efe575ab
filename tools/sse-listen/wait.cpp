#include "wait.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>

#include "common/signals.hpp"

namespace sse::listen {

std::optional<wake> waiter::stopped(steady_time now) const {
  if (tools::received_signal() != 0) return wake::interrupted;
  if (deadline_ && now >= *deadline_) return wake::timed_out;
  return std::nullopt;
}

int waiter::timeout_ms(steady_time now, std::optional<steady_time> until) const {
  milliseconds wait{1000};
  for (auto const& at : {until, deadline_}) {
    if (at) wait = std::min(wait, std::chrono::ceil<milliseconds>(*at - now));
  }
  return static_cast<int>(std::max<milliseconds::rep>(wait.count(), 1));
}

wake waiter::wait(int fd, std::optional<steady_time> until) const {
  for (;;) {
    auto const now = std::chrono::steady_clock::now();
    if (auto why = stopped(now)) return *why;
    if (until && now >= *until) return wake::due;
    pollfd fds[2];
    nfds_t n = 0;
    if (fd >= 0) fds[n++] = {fd, POLLIN, 0};
    if (tools::signal_fd() >= 0) fds[n++] = {tools::signal_fd(), POLLIN, 0};
    int const ready = ::poll(fds, n, timeout_ms(now, until));
    if (ready < 0) {
      if (errno == EINTR) continue;
      return wake::failed;
    }
    if (fd >= 0 && fds[0].revents != 0) return wake::ready;
  }
}

std::optional<steady_time> deadline_after(double seconds) {
  if (seconds <= 0) return std::nullopt;
  return std::chrono::steady_clock::now() +
         std::chrono::duration_cast<std::chrono::steady_clock::duration>(
             std::chrono::duration<double>(seconds));
}

}  // namespace sse::listen
