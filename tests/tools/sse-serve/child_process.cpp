#include "child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

extern char** environ;

namespace sse::serve::test {

child_process::child_process(std::vector<std::string> argv) {
  ::signal(SIGPIPE, SIG_IGN);
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  int rc = ::posix_spawnp(&pid_, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  ::close(err[1]);
  out_fd_ = out[0];
  err_fd_ = err[0];
  if (rc != 0)
    throw std::runtime_error("cannot start " + argv[0] +
                             " (is it installed? run scripts/setup.sh)");
}

child_process::~child_process() {
  kill();
  if (out_fd_ >= 0) ::close(out_fd_);
  if (err_fd_ >= 0) ::close(err_fd_);
}

void child_process::kill() {
  if (exited_ || pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, &status_, 0);
  exited_ = true;
}

bool child_process::pump(int timeout_ms) {
  pollfd p[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
  nfds_t const n = 2;
  if (out_fd_ < 0 && err_fd_ < 0) return false;
  if (::poll(p, n, timeout_ms) <= 0) return true;
  char buf[8192];
  for (int i = 0; i < 2; ++i) {
    int& fd = i == 0 ? out_fd_ : err_fd_;
    if (fd < 0 || p[i].revents == 0) continue;
    ssize_t got = ::read(fd, buf, sizeof buf);
    if (got > 0) {
      (i == 0 ? out_ : err_).append(buf, static_cast<std::size_t>(got));
    } else if (got == 0 || errno != EINTR) {
      ::close(fd);
      fd = -1;
    }
  }
  return out_fd_ >= 0 || err_fd_ >= 0;
}

bool child_process::wait_stdout(std::string_view needle, clock::time_point until) {
  while (out_.find(needle) == std::string::npos) {
    if (clock::now() >= until || !pump(20)) return out_.find(needle) != std::string::npos;
  }
  return true;
}

std::optional<int> child_process::wait_exit(clock::time_point until) {
  while (clock::now() < until) {
    bool open = pump(20);
    if (!open && !exited_) {
      ::waitpid(pid_, &status_, 0);
      exited_ = true;
    }
    if (exited_) return status_;
  }
  return std::nullopt;
}

command_result run_command(std::vector<std::string> argv, clock::time_point until) {
  child_process c(std::move(argv));
  command_result r;
  std::optional<int> status = c.wait_exit(until);
  c.kill();
  r.out = c.out();
  r.err = c.err();
  if (status && WIFEXITED(*status)) r.exit_code = WEXITSTATUS(*status);
  return r;
}

}  // namespace sse::serve::test
