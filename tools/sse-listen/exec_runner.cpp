#include "exec_runner.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "common/write_all.hpp"

namespace sse::listen {
namespace {

std::string format_seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", s);
  return buf;
}

std::string describe(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    int const sig = WTERMSIG(status);
    char const* name = ::sigabbrev_np(sig);
    return "was killed by signal " + std::to_string(sig) +
           (name != nullptr ? std::string(" (SIG") + name + ")" : std::string());
  }
  return "ended with wait status " + std::to_string(status);
}

// True once pid has exited; the child stays a zombie (WNOWAIT), so its pid, which is also its
// process group's id, cannot be reused before we are done signalling the group.
bool has_exited(pid_t pid) {
  siginfo_t info{};
  return ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
         info.si_pid == pid;
}

int reap(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

// Ends the command and everything in its process group: SIGTERM, then SIGKILL once the command
// has exited or the grace has passed (children that ignore SIGTERM are not left behind), then
// reaps it.
void end_group(pid_t pid, int pidfd, milliseconds grace) {
  ::kill(-pid, SIGTERM);
  auto const until = std::chrono::steady_clock::now() + grace;
  while (!has_exited(pid)) {
    auto left = std::chrono::ceil<milliseconds>(until - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    int const slice = static_cast<int>(std::min<milliseconds::rep>(left.count(), 50));
    if (pidfd >= 0) {
      pollfd p{pidfd, POLLIN, 0};
      ::poll(&p, 1, slice);
    } else {
      ::usleep(static_cast<useconds_t>(slice) * 1000u);
    }
  }
  ::kill(-pid, SIGKILL);
  reap(pid);
}

// The environment of sse-listen with SSE_EVENT, SSE_ID and SSE_URL set for this event.
std::vector<std::string> environment_for(exec_event const& ev) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view v(*e);
    if (v.rfind("SSE_EVENT=", 0) == 0 || v.rfind("SSE_ID=", 0) == 0 ||
        v.rfind("SSE_URL=", 0) == 0) {
      continue;
    }
    env.emplace_back(v);
  }
  env.push_back("SSE_EVENT=" + std::string(ev.type));
  env.push_back("SSE_ID=" + std::string(ev.id));
  env.push_back("SSE_URL=" + std::string(ev.url));
  return env;
}

}  // namespace

exec_result exec_runner::run(exec_event const& ev, waiter const& w) const {
  exec_result result;
  // The data (and a newline, as the text output prints it) in an anonymous file: the command reads
  // it at its own pace, or not at all, and sse-listen never blocks on a pipe.
  int in = ::memfd_create("sse-listen-event", MFD_CLOEXEC);
  int err = in < 0 ? errno : 0;
  if (err == 0) err = tools::write_all(in, ev.data);
  if (err == 0) err = tools::write_all(in, "\n");
  if (err == 0 && ::lseek(in, 0, SEEK_SET) != 0) err = errno;
  if (err != 0) {
    if (in >= 0) ::close(in);
    result.what = exec_result::kind::failed;
    result.message = std::string("could not be given the event's data: ") + std::strerror(err);
    return result;
  }

  std::vector<std::string> env = environment_for(ev);
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string sh = "sh", dash_c = "-c", command = config_.command;
  char* argv[] = {sh.data(), dash_c.data(), command.data(), nullptr};

  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawn_file_actions_adddup2(&actions, in, 0);
  // libcurl's sockets and our pipes must not outlive us in a command's background children.
  ::posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  ::posix_spawnattr_init(&attr);
  ::posix_spawnattr_setpgroup(&attr, 0);  // a group of its own, to end it whole
  sigset_t defaults, none;
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGINT, SIGTERM}) sigaddset(&defaults, sig);  // SIGPIPE is ignored here
  sigemptyset(&none);
  ::posix_spawnattr_setsigdefault(&attr, &defaults);
  ::posix_spawnattr_setsigmask(&attr, &none);
  ::posix_spawnattr_setflags(
      &attr,
      static_cast<short>(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK));
  pid_t pid = -1;
  int const spawned = ::posix_spawn(&pid, "/bin/sh", &actions, &attr, argv, envp.data());
  ::posix_spawn_file_actions_destroy(&actions);
  ::posix_spawnattr_destroy(&attr);
  ::close(in);
  if (spawned != 0) {
    result.what = exec_result::kind::failed;
    result.message = std::string("could not be started: /bin/sh: ") + std::strerror(spawned);
    return result;
  }

  // A pidfd wakes the wait the moment the command exits; without one (kernels before 5.3) the
  // wait wakes every 50 ms to look.
  // (glibc 2.36's <sys/pidfd.h> lacks extern "C": the system call itself.)
  int const pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0u));
  std::optional<steady_time> const deadline =
      config_.timeout > 0 ? deadline_after(config_.timeout) : std::nullopt;
  for (;;) {
    if (has_exited(pid)) {
      int const status = reap(pid);
      if (status != 0) {
        result.what = exec_result::kind::failed;
        result.message = describe(status);
      }
      break;
    }
    auto const now = std::chrono::steady_clock::now();
    if (deadline && now >= *deadline) {
      end_group(pid, pidfd, config_.grace);
      result.what = exec_result::kind::failed;
      result.message = "timed out after " + format_seconds(config_.timeout) +
                       " s (--exec-timeout): its process group was ended";
      break;
    }
    std::optional<steady_time> until = deadline;
    if (pidfd < 0) {
      steady_time const tick = now + milliseconds(50);
      until = until ? std::min(*until, tick) : tick;
    }
    wake const why = w.wait(pidfd, until);
    if (why == wake::interrupted || why == wake::timed_out) {
      end_group(pid, pidfd, config_.grace);
      result.what = exec_result::kind::stopped;
      result.reason = why;
      break;
    }
  }
  if (pidfd >= 0) ::close(pidfd);
  return result;
}

}  // namespace sse::listen
