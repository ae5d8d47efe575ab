#include "child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

namespace sse::listen::test {

child_process::child_process(std::string const& program, std::vector<std::string> const& args) {
  ::signal(SIGPIPE, SIG_IGN);  // a child that exits early must not kill the test on write
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe");
  }
  std::vector<std::string> argv_storage;
  argv_storage.push_back(program);
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork");
  if (pid_ == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    ::signal(SIGPIPE, SIG_DFL);
    ::execv(program.c_str(), argv.data());
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  in_ = in[1];
  stdout_ = out[0];
  stderr_ = err[0];
  ::fcntl(in_, F_SETFL, O_NONBLOCK);
  ::fcntl(stdout_, F_SETFL, O_NONBLOCK);
  ::fcntl(stderr_, F_SETFL, O_NONBLOCK);
}

child_process::~child_process() {
  if (!reaped_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  for (int fd : {in_, stdout_, stderr_}) {
    if (fd >= 0) ::close(fd);
  }
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
      return;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

void child_process::close_stdin() {
  if (in_ >= 0) ::close(in_);
  in_ = -1;
}

void child_process::close_stdout() {
  if (stdout_ >= 0) ::close(stdout_);
  stdout_ = -1;
}

bool child_process::pump(int timeout_ms) {
  pollfd fds[2] = {{stdout_, POLLIN, 0}, {stderr_, POLLIN, 0}};
  if (stdout_ < 0 && stderr_ < 0) return false;
  ::poll(fds, 2, timeout_ms);
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
      if (n == 0) {
        ::close(fd);
        fd = -1;
      }
      break;
    }
  }
  return stdout_ >= 0 || stderr_ >= 0;
}

bool child_process::wait_for(int stream, std::string_view needle, std::chrono::milliseconds deadline,
                             std::size_t from) {
  auto end = std::chrono::steady_clock::now() + deadline;
  std::string const& text = stream == 1 ? out_ : err_;
  while (text.find(needle, from) == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    if (!pump(static_cast<int>(std::min<long>(left.count(), 100)))) {
      return text.find(needle, from) != std::string::npos;
    }
  }
  return true;
}

void child_process::kill(int sig) { ::kill(pid_, sig); }

run_result child_process::finish(std::chrono::milliseconds deadline) {
  run_result r;
  auto end = std::chrono::steady_clock::now() + deadline;
  int status = 0;
  for (;;) {
    bool open = pump(50);
    pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      while (pump(0)) {
      }
      break;
    }
    if (!open) {
      // Both outputs closed (or not read): wait for the exit itself.
      ::usleep(10000);
    }
    if (std::chrono::steady_clock::now() >= end) {
      r.timed_out = true;
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      break;
    }
  }
  reaped_ = true;
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  r.out = out_;
  r.err = err_;
  return r;
}

run_result run_program(std::string const& program, std::vector<std::string> const& args,
                       std::string_view input, std::chrono::milliseconds deadline) {
  child_process child(program, args);
  child.write_stdin(input);
  child.close_stdin();
  return child.finish(deadline);
}

}  // namespace sse::listen::test
