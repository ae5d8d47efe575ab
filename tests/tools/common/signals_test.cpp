// The self-pipe signal handling and reraise, in a child process each (they change process state).
#include "common/signals.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

namespace sse::tools {
namespace {

// Runs f in a child and returns its wait status.
template <typename F>
int in_child(F f) {
  pid_t pid = ::fork();
  if (pid == 0) {
    f();
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

TEST(signals, a_signal_is_noted_and_wakes_the_pipe_then_reraise_ends_the_process_with_it) {
  for (int sig : {SIGINT, SIGTERM}) {
    int status = in_child([sig] {
      if (!install_signal_handlers() || signal_fd() < 0) ::_exit(10);
      if (received_signal() != 0) ::_exit(11);
      pollfd before{signal_fd(), POLLIN, 0};
      if (::poll(&before, 1, 0) != 0) ::_exit(12);  // nothing to read before the signal
      std::raise(sig);
      if (received_signal() != sig) ::_exit(13);  // the handler ran instead of the default action
      pollfd after{signal_fd(), POLLIN, 0};
      if (::poll(&after, 1, 0) != 1) ::_exit(14);  // a wait on the pipe would wake up
      reraise(received_signal());
    });
    ASSERT_TRUE(WIFSIGNALED(status)) << "signal " << sig << ": exit " << WEXITSTATUS(status);
    EXPECT_EQ(WTERMSIG(status), sig);
  }
}

TEST(signals, sigpipe_is_ignored_and_installing_twice_keeps_one_pipe) {
  int status = in_child([] {
    install_signal_handlers();
    int fd = signal_fd();
    install_signal_handlers();
    if (signal_fd() != fd) ::_exit(10);
    struct sigaction sa {};
    ::sigaction(SIGPIPE, nullptr, &sa);
    if (sa.sa_handler != SIG_IGN) ::_exit(11);
  });
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace sse::tools
