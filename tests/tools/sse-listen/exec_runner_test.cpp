// --exec's runner with the real /bin/sh: what a command is given, how its end is judged, and that
// --exec-timeout, a signal or --timeout end its whole process group.
#include "exec_runner.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "common/child_process.hpp"

namespace sse::listen {
namespace {

using namespace std::chrono_literals;

std::string temp_path() {
  char name[] = "/tmp/sse-exec-test-XXXXXX";
  int fd = ::mkstemp(name);
  EXPECT_GE(fd, 0);
  ::close(fd);
  return name;
}

std::string read(std::string const& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

exec_result run(std::string const& command, exec_event const& ev, double timeout = 0,
                std::optional<steady_time> deadline = std::nullopt) {
  exec_config c;
  c.command = command;
  c.timeout = timeout;
  c.grace = 300ms;
  return exec_runner(c).run(ev, waiter(deadline));
}

exec_event an_event() {
  return {"release", "line one\nline two", "v42", "http://h/events"};
}

TEST(exec_runner, the_command_gets_the_data_on_stdin_and_the_event_in_its_environment) {
  std::string const out = temp_path();
  ::setenv("SSE_ID", "stale", 1);  // sse-listen's own environment must not leak an old value
  auto r = run("{ printf '%s|%s|%s|' \"$SSE_EVENT\" \"$SSE_ID\" \"$SSE_URL\"; cat; } > " + out,
               an_event());
  ::unsetenv("SSE_ID");
  EXPECT_EQ(r.what, exec_result::kind::ok) << r.message;
  EXPECT_EQ(read(out), "release|v42|http://h/events|line one\nline two\n");
  std::remove(out.c_str());
}

TEST(exec_runner, a_command_that_ignores_a_large_stdin_does_not_block) {
  std::string big(std::size_t{8} << 20, 'x');
  auto r = run("true", {"message", big, "", "-"});
  EXPECT_EQ(r.what, exec_result::kind::ok) << r.message;
}

TEST(exec_runner, a_non_zero_exit_is_a_failure) {
  auto r = run("exit 3", an_event());
  EXPECT_EQ(r.what, exec_result::kind::failed);
  EXPECT_EQ(r.message, "exited with status 3");
  auto missing = run("/nonexistent/deploy.sh", an_event());
  EXPECT_EQ(missing.what, exec_result::kind::failed);
  EXPECT_EQ(missing.message, "exited with status 127");
}

TEST(exec_runner, a_command_killed_by_a_signal_is_a_failure) {
  auto r = run("kill -KILL $$", an_event());
  EXPECT_EQ(r.what, exec_result::kind::failed);
  EXPECT_EQ(r.message, "was killed by signal 9 (SIGKILL)");
}

TEST(exec_runner, the_command_inherits_no_descriptor_but_stdin_stdout_and_stderr) {
  int leaked = ::open("/dev/null", O_RDONLY);  // no O_CLOEXEC: as libcurl's sockets may be
  ASSERT_GE(leaked, 3);
  std::string const out = temp_path();
  auto r = run("if [ -e /proc/$$/fd/" + std::to_string(leaked) +
                   " ]; then echo leaked; else echo closed; fi > " + out,
               an_event());
  ::close(leaked);
  EXPECT_EQ(r.what, exec_result::kind::ok) << r.message;
  EXPECT_EQ(read(out), "closed\n");
  std::remove(out.c_str());
}

TEST(exec_runner, the_command_gets_default_signal_dispositions) {
  // sse-listen ignores SIGPIPE; a command must not inherit that (`yes | head` must end).
  ::signal(SIGPIPE, SIG_IGN);
  auto r = run("yes | head -n 1 > /dev/null", an_event(), 30);
  ::signal(SIGPIPE, SIG_DFL);
  EXPECT_EQ(r.what, exec_result::kind::ok) << r.message;
}

TEST(exec_runner, exec_timeout_ends_the_whole_process_group) {
  std::string const pids = temp_path();
  // sh forks a background child and waits: ending sh alone would leave the child running.
  auto r = run("sleep 300 & echo $! > " + pids + "; wait", an_event(), 0.3);
  EXPECT_EQ(r.what, exec_result::kind::failed);
  EXPECT_EQ(r.message, "timed out after 0.3 s (--exec-timeout): its process group was ended");
  std::string const child = read(pids);
  ASSERT_FALSE(child.empty());
  EXPECT_TRUE(tools::test::process_gone(static_cast<pid_t>(std::stol(child)),
                                        tools::test::clock::now() + 10s))
      << child;
  std::remove(pids.c_str());
}

TEST(exec_runner, children_that_ignore_sigterm_get_sigkill_after_the_grace) {
  std::string const pids = temp_path();
  auto r = run("trap '' TERM; sleep 300 & echo $! > " + pids + "; wait; wait", an_event(), 0.2);
  EXPECT_EQ(r.what, exec_result::kind::failed);
  std::string const child = read(pids);
  ASSERT_FALSE(child.empty());
  EXPECT_TRUE(tools::test::process_gone(static_cast<pid_t>(std::stol(child)),
                                        tools::test::clock::now() + 10s))
      << child;
  std::remove(pids.c_str());
}

TEST(exec_runner, the_run_deadline_stops_the_command_and_says_so) {
  std::string const pids = temp_path();
  auto r = run("sleep 300 & echo $! > " + pids + "; wait", an_event(), 0,
               std::chrono::steady_clock::now() + 300ms);
  EXPECT_EQ(r.what, exec_result::kind::stopped);
  EXPECT_EQ(r.reason, wake::timed_out);
  std::string const child = read(pids);
  ASSERT_FALSE(child.empty());
  EXPECT_TRUE(tools::test::process_gone(static_cast<pid_t>(std::stol(child)),
                                        tools::test::clock::now() + 10s))
      << child;
  std::remove(pids.c_str());
}

}  // namespace
}  // namespace sse::listen
