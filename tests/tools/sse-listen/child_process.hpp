// Runs a program with pipes on stdin, stdout and stderr, under a deadline (killed when it passes).
#ifndef SSE_LISTEN_TEST_CHILD_PROCESS_HPP
#define SSE_LISTEN_TEST_CHILD_PROCESS_HPP

#include <sys/types.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace sse::listen::test {

struct run_result {
  int exit_code = -1;   // the exit status, or -1 when killed by a signal
  int signal = 0;       // the signal that ended it, if any
  bool timed_out = false;  // the test's deadline passed and the child was killed
  std::string out;
  std::string err;
};

class child_process {
 public:
  // Starts program with args (argv[0] is program). stdin is a pipe the test may write to.
  child_process(std::string const& program, std::vector<std::string> const& args);
  ~child_process();
  child_process(child_process const&) = delete;
  child_process& operator=(child_process const&) = delete;

  void write_stdin(std::string_view bytes);
  void close_stdin();
  // Stops reading stdout and closes it, so the child's next write fails with EPIPE.
  void close_stdout();

  // Reads output until stream (1 or 2) holds needle at or after offset from, or the deadline.
  // True when it does.
  bool wait_for(int stream, std::string_view needle, std::chrono::milliseconds deadline,
                std::size_t from = 0);

  void kill(int sig);

  // Reads everything until the child exits (killing it at the deadline) and returns the result.
  run_result finish(std::chrono::milliseconds deadline);

  std::string const& out() const noexcept { return out_; }
  std::string const& err() const noexcept { return err_; }

 private:
  bool pump(int timeout_ms);  // false when both outputs are closed

  pid_t pid_ = -1;
  int in_ = -1, stdout_ = -1, stderr_ = -1;
  std::string out_, err_;
  bool reaped_ = false;
};

// Runs program to completion with the given stdin bytes.
run_result run_program(std::string const& program, std::vector<std::string> const& args,
                       std::string_view input = {},
                       std::chrono::milliseconds deadline = std::chrono::seconds(60));

}  // namespace sse::listen::test

#endif
