#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

#include "test_support.hpp"

extern char** environ;

namespace sse::serve::test {

server_process::server_process(std::vector<std::string> args, bool add_port) {
  ::signal(SIGPIPE, SIG_IGN);
  if (add_port) {
    args.insert(args.begin(), {"-p", "0"});
  }
  args.insert(args.begin(), SSE_SERVE_BINARY);
  int in[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int rc = ::posix_spawn(&pid_, SSE_SERVE_BINARY, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(in[0]);
  ::close(err[1]);
  in_ = in[1];
  err_fd_ = err[0];
  if (rc != 0) throw std::runtime_error("cannot start " SSE_SERVE_BINARY);
  if (!add_port) return;
  if (!wait_stderr("/\n", deadline())) throw std::runtime_error("no listening line: " + err_);
  auto at = err_.find("listening on http");  // http:// or https://
  if (at == std::string::npos) throw std::runtime_error("unexpected stderr: " + err_);
  at = err_.find("://", at) + 3;
  auto colon = err_.find("]:", at);
  colon = colon != std::string::npos ? colon + 1 : err_.find(':', at);
  port_ = static_cast<std::uint16_t>(std::stoul(err_.substr(colon + 1)));
}

server_process::~server_process() {
  if (in_ >= 0) ::close(in_);
  if (!exited_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  if (err_fd_ >= 0) ::close(err_fd_);
}

void server_process::write_stdin(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(in_, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("write to sse-serve's stdin failed");
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

void server_process::close_stdin() {
  if (in_ >= 0) ::close(in_);
  in_ = -1;
}

void server_process::signal(int sig) {
  ::kill(pid_, sig);
}

void server_process::pump_stderr(int timeout_ms) {
  pollfd p{err_fd_, POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) <= 0) return;
  char buf[4096];
  ssize_t n = ::read(err_fd_, buf, sizeof buf);
  if (n > 0) err_.append(buf, static_cast<std::size_t>(n));
}

bool server_process::wait_stderr(std::string_view needle, clock::time_point until) {
  while (err_.find(needle) == std::string::npos) {
    if (clock::now() >= until) return false;
    pump_stderr(50);
  }
  return true;
}

std::optional<int> server_process::wait_exit(clock::time_point until) {
  while (clock::now() < until) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exited_ = true;
      pump_stderr(0);
      return status;
    }
    pump_stderr(20);
  }
  return std::nullopt;
}

}  // namespace sse::serve::test
