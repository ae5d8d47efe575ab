// One harness for both tools' end-to-end tests: a program run as a child with pipes on stdin,
// stdout and stderr, read under deadlines (never a timed assertion), and killed when the test is
// done with it.
#ifndef SSE_TOOLS_TEST_CHILD_PROCESS_HPP
#define SSE_TOOLS_TEST_CHILD_PROCESS_HPP

#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sse::tools::test {

using clock = std::chrono::steady_clock;

struct run_result {
  int exit_code = -1;      // the exit status, or -1 when killed by a signal
  int signal = 0;          // the signal that ended it, if any
  bool timed_out = false;  // the deadline passed and the child was killed
  std::string out;
  std::string err;
};

class child_process {
 public:
  // Starts program (looked up on PATH when it holds no '/') with args after it; stdin is a pipe
  // the test may write to or close. Throws std::runtime_error, naming the program, when it
  // cannot be started (not installed).
  child_process(std::string const& program, std::vector<std::string> const& args);
  // The same with argv[0] as the program.
  explicit child_process(std::vector<std::string> const& argv);
  ~child_process();  // kills (SIGKILL) and reaps a child that still runs
  child_process(child_process const&) = delete;
  child_process& operator=(child_process const&) = delete;

  void write_stdin(std::string_view bytes);
  void close_stdin();  // the child reads end of file
  // Stops reading stdout and closes it, so the child's next write fails with EPIPE.
  void close_stdout();

  // Reads output until stream (1: stdout, 2: stderr) holds needle at or after offset from (true),
  // or the deadline passes or that output ends (false).
  bool wait_for(int stream, std::string_view needle, clock::time_point until, std::size_t from = 0);
  bool wait_for(int stream, std::string_view needle, std::chrono::milliseconds within,
                std::size_t from = 0) {
    return wait_for(stream, needle, clock::now() + within, from);
  }
  bool wait_stdout(std::string_view needle, clock::time_point until) {
    return wait_for(1, needle, until);
  }

  // Reads all output until the child exits; its exit status (128 + N when signal N ended it), or
  // nullopt at the deadline (the child keeps running).
  std::optional<int> wait_exit(clock::time_point until);

  void kill(int sig = SIGKILL);

  // Reads everything until the child exits (killing it at the deadline) and returns the result.
  run_result finish(clock::time_point until);
  run_result finish(std::chrono::milliseconds within) { return finish(clock::now() + within); }

  std::string const& out() const noexcept { return out_; }
  std::string const& err() const noexcept { return err_; }

 private:
  bool pump(int timeout_ms);  // false when both outputs are closed
  void drain();               // reads what is ready, without waiting
  bool reap(bool block);      // true once the child's status is known

  pid_t pid_ = -1;
  int in_ = -1, stdout_ = -1, stderr_ = -1;
  std::string out_, err_;
  bool reaped_ = false;
  int status_ = 0;  // the raw wait status, once reaped_
};

// True once pid no longer runs (gone, or a zombie waiting for whoever adopted it), waiting for that
// up to the deadline: a signal is delivered asynchronously. For grandchildren a test only knows by
// pid (the command an --exec shell started).
bool process_gone(pid_t pid, clock::time_point until);

// Runs program to its end with the given stdin bytes (then end of file).
run_result run_program(std::string const& program, std::vector<std::string> const& args,
                       std::string_view input = {},
                       std::chrono::milliseconds within = std::chrono::seconds(60));

}  // namespace sse::tools::test

#endif
