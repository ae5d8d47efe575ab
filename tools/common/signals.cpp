#include "common/signals.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>

#include "common/exit_status.hpp"

namespace sse::tools {
namespace {

volatile std::sig_atomic_t g_signal = 0;
int g_pipe[2] = {-1, -1};

extern "C" void on_signal(int sig) {
  g_signal = sig;
  if (g_pipe[1] >= 0) {
    char b = 1;
    [[maybe_unused]] auto n = ::write(g_pipe[1], &b, 1);
  }
}

}  // namespace

bool install_signal_handlers() {
  std::signal(SIGPIPE, SIG_IGN);
  if (g_pipe[0] >= 0) return true;
  if (::pipe(g_pipe) != 0) return false;
  for (int fd : g_pipe) {
    ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  }
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a blocking read(2) returns EINTR
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  return true;
}

int signal_fd() noexcept {
  return g_pipe[0];
}

int received_signal() noexcept {
  return g_signal;
}

void reraise(int sig) {
  std::signal(sig, SIG_DFL);
  std::raise(sig);
  std::_Exit(exit_signal(sig));
}

}  // namespace sse::tools
