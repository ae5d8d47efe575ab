// Other programs as children of a test (curl, nghttp, openssl): run one to its end with a
// deadline, or keep one running (curl -N on a stream) and read its output as it comes.
#ifndef SSE_SERVE_TEST_CHILD_PROCESS_HPP
#define SSE_SERVE_TEST_CHILD_PROCESS_HPP

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "test_support.hpp"

namespace sse::serve::test {

struct command_result {
  int exit_code = -1;  // -1: killed at the deadline (or by a signal)
  std::string out;
  std::string err;
};

class child_process {
 public:
  // Starts argv[0] (looked up on PATH) with stdout and stderr captured, stdin from /dev/null.
  explicit child_process(std::vector<std::string> argv);
  ~child_process();  // kills it if it still runs
  child_process(child_process const&) = delete;
  child_process& operator=(child_process const&) = delete;

  // Reads until stdout holds `needle` (true) or the deadline passes or output ends (false).
  bool wait_stdout(std::string_view needle, clock::time_point until);
  // Waits for the exit (reading all output); nullopt at the deadline.
  std::optional<int> wait_exit(clock::time_point until);
  void kill();
  std::string const& out() const { return out_; }
  std::string const& err() const { return err_; }

 private:
  bool pump(int timeout_ms);  // false when both pipes are at end of file

  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  bool exited_ = false;
  int status_ = 0;
  std::string out_;
  std::string err_;
};

// Runs a command to its end; kills it at the deadline (exit_code -1 then).
command_result run_command(std::vector<std::string> argv, clock::time_point until = deadline());

}  // namespace sse::serve::test

#endif
