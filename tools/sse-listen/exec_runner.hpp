// --exec: one command per event, run through /bin/sh -c with the event's data on its stdin and
// SSE_EVENT, SSE_ID and SSE_URL in its environment, its stdout and stderr those of sse-listen.
// The command runs in a process group of its own, so that --exec-timeout, SIGINT or --timeout can
// end everything it started (sh -c may fork): SIGTERM to the group, SIGKILL after a short grace.
#ifndef SSE_LISTEN_EXEC_RUNNER_HPP
#define SSE_LISTEN_EXEC_RUNNER_HPP

#include <optional>
#include <string>
#include <string_view>

#include "reconnect_policy.hpp"
#include "wait.hpp"

namespace sse::listen {

struct exec_config {
  std::string command;
  double timeout = 0;        // seconds, 0: none
  milliseconds grace{2000};  // between SIGTERM and SIGKILL
};

struct exec_event {
  std::string_view type;
  std::string_view data;
  std::string_view id;   // the last event id, as "id" in --json
  std::string_view url;  // the source as given
};

struct exec_result {
  enum class kind {
    ok,       // exit status 0
    failed,   // another exit status, a signal, --exec-timeout, or it could not be started
    stopped,  // a signal to sse-listen or its --timeout: the command's group was ended
  };
  kind what = kind::ok;
  std::string message;         // for failed: "exited with status 3", "timed out after 2 s …"
  std::optional<wake> reason;  // for stopped: interrupted or timed_out
};

class exec_runner {
 public:
  explicit exec_runner(exec_config config) : config_(std::move(config)) {}

  // Runs the command for one event and waits for it with w (so a signal or the --timeout
  // deadline ends the wait, and the command with it).
  exec_result run(exec_event const& ev, waiter const& w) const;

 private:
  exec_config config_;
};

}  // namespace sse::listen

#endif
