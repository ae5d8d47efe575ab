#include "common/child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace sse::tools::test {

namespace {

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

child_process::child_process(std::vector<std::string> const& argv)
    : child_process(argv.at(0), std::vector<std::string>(argv.begin() + 1, argv.end())) {}

child_process::child_process(std::string const& program, std::vector<std::string> const& args) {
  ::signal(SIGPIPE, SIG_IGN);  // a child that exits early must not kill the test on write
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0)
    throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  std::vector<std::string> storage;
  storage.push_back(program);
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : storage) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  // The test ignores SIGPIPE; the child gets the default back, as from a shell.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
  int const rc = ::posix_spawnp(&pid_, argv[0], &actions, &attr, argv.data(), environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  in_ = in[1];
  stdout_ = out[0];
  stderr_ = err[0];
  if (rc != 0) {
    pid_ = -1;
    reaped_ = true;
    close_fd(in_);
    close_fd(stdout_);
    close_fd(stderr_);
    throw std::runtime_error("cannot start " + program + ": " + std::strerror(rc) +
                             " (is it installed? bash scripts/setup.sh installs what tests need)");
  }
  for (int fd : {in_, stdout_, stderr_}) ::fcntl(fd, F_SETFL, O_NONBLOCK);
}

child_process::~child_process() {
  if (!reaped_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    reap(true);
  }
  close_fd(in_);
  close_fd(stdout_);
  close_fd(stderr_);
}

void child_process::write_stdin(std::string_view bytes) {
  while (!bytes.empty() && in_ >= 0) {
    ssize_t n = ::write(in_, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {  // the child is busy writing: keep reading its output meanwhile
        pump(10);
        continue;
      }
      return;  // EPIPE: the child is gone or closed its stdin
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

void child_process::close_stdin() {
  close_fd(in_);
}

void child_process::close_stdout() {
  close_fd(stdout_);
}

bool child_process::pump(int timeout_ms) {
  if (stdout_ < 0 && stderr_ < 0) return false;
  pollfd fds[2] = {{stdout_, POLLIN, 0}, {stderr_, POLLIN, 0}};
  if (::poll(fds, 2, timeout_ms) <= 0) return true;
  char buf[65536];
  for (int k = 0; k < 2; ++k) {
    int& fd = k == 0 ? stdout_ : stderr_;
    if (fd < 0 || fds[k].revents == 0) continue;
    for (;;) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n > 0) {
        (k == 0 ? out_ : err_).append(buf, static_cast<std::size_t>(n));
        continue;
      }
      if (n == 0 || (errno != EINTR && errno != EAGAIN)) close_fd(fd);
      if (n < 0 && errno == EINTR) continue;
      break;
    }
  }
  return stdout_ >= 0 || stderr_ >= 0;
}

void child_process::drain() {
  // What is already written; a grandchild that keeps a pipe open must not hold the test.
  for (;;) {
    std::size_t const before = out_.size() + err_.size();
    if (!pump(0) || out_.size() + err_.size() == before) return;
  }
}

bool child_process::reap(bool block) {
  if (reaped_) return true;
  if (pid_ <= 0) return false;
  pid_t const done = ::waitpid(pid_, &status_, block ? 0 : WNOHANG);
  if (done == pid_) reaped_ = true;
  return reaped_;
}

bool child_process::wait_for(int stream, std::string_view needle, clock::time_point until,
                             std::size_t from) {
  std::string const& text = stream == 1 ? out_ : err_;
  while (text.find(needle, from) == std::string::npos) {
    auto const left =
        std::chrono::duration_cast<std::chrono::milliseconds>(until - clock::now()).count();
    if (left <= 0) return false;
    if (!pump(static_cast<int>(std::min<long long>(left, 100))))
      return text.find(needle, from) != std::string::npos;
  }
  return true;
}

std::optional<int> child_process::wait_exit(clock::time_point until) {
  while (!reap(false)) {
    if (clock::now() >= until) return std::nullopt;
    if (!pump(20)) {
      // Both outputs closed: the exit itself is near, or the child closed them and goes on.
      ::usleep(10000);
    }
  }
  drain();
  if (WIFSIGNALED(status_)) return 128 + WTERMSIG(status_);
  return WEXITSTATUS(status_);
}

void child_process::kill(int sig) {
  if (pid_ > 0 && !reaped_) ::kill(pid_, sig);
}

run_result child_process::finish(clock::time_point until) {
  run_result r;
  if (!wait_exit(until)) {
    r.timed_out = true;
    ::kill(pid_, SIGKILL);
    reap(true);
    drain();
  }
  if (WIFEXITED(status_)) r.exit_code = WEXITSTATUS(status_);
  if (WIFSIGNALED(status_)) r.signal = WTERMSIG(status_);
  r.out = out_;
  r.err = err_;
  return r;
}

bool process_gone(pid_t pid, clock::time_point until) {
  for (;;) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) return true;
    // The state follows the command name in parentheses, which may itself hold ") ".
    std::size_t const close = line.rfind(')');
    if (close != std::string::npos && line.size() > close + 2 && line[close + 2] == 'Z')
      return true;
    if (clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

run_result run_program(std::string const& program, std::vector<std::string> const& args,
                       std::string_view input, std::chrono::milliseconds within) {
  child_process child(program, args);
  child.write_stdin(input);
  child.close_stdin();
  return child.finish(within);
}

}  // namespace sse::tools::test
