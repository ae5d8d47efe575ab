// End-to-end helpers: the real sse-serve as a child process, and a raw-socket HTTP client that
// de-chunks the body and parses it with libsse. Every wait has a deadline.
#ifndef SSE_SERVE_TEST_SUPPORT_HPP
#define SSE_SERVE_TEST_SUPPORT_HPP

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <sse/event.hpp>
#include <sse/parser.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace sse::serve::test {

using clock = std::chrono::steady_clock;
// Generous: the machine is shared and sanitizers slow everything; no test asserts on time.
inline constexpr std::chrono::seconds default_wait{30};

inline clock::time_point deadline(std::chrono::seconds s = default_wait) {
  return clock::now() + s;
}

class server_process {
 public:
  // Starts sse-serve with args (plus "-p 0") and waits for its "listening on" line.
  explicit server_process(std::vector<std::string> args, bool add_port = true);
  ~server_process();
  server_process(server_process const&) = delete;
  server_process& operator=(server_process const&) = delete;

  std::uint16_t port() const { return port_; }
  void write_stdin(std::string_view bytes);
  void close_stdin();
  void signal(int sig);
  // Waits for exit; returns the raw wait status, or nullopt at the deadline.
  std::optional<int> wait_exit(clock::time_point until);
  // Reads stderr until `needle` appears (true) or the deadline passes (false).
  bool wait_stderr(std::string_view needle, clock::time_point until);
  std::string const& stderr_text() const { return err_; }

 private:
  void pump_stderr(int timeout_ms);

  pid_t pid_ = -1;
  int in_ = -1;
  int err_fd_ = -1;
  std::uint16_t port_ = 0;
  std::string err_;
  bool exited_ = false;
};

struct response_head {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  bool chunked() const;
  std::string header(std::string const& name) const;
};

class http_client {
 public:
  // receive_buffer > 0 sets SO_RCVBUF before connecting (a small window makes a stalled reader).
  explicit http_client(std::uint16_t port, int receive_buffer = 0);
  ~http_client();
  http_client(http_client const&) = delete;
  http_client& operator=(http_client const&) = delete;

  void send(std::string_view bytes);
  void get(std::string const& target, std::vector<std::string> const& headers = {},
           std::string const& method = "GET", std::string const& version = "HTTP/1.1");
  // Reads the response head (the status line and headers).
  response_head read_head(clock::time_point until);
  // Reads a whole non-streaming response body (Content-Length or until close).
  std::string read_body(response_head const& head, clock::time_point until);

  // Streams: read until n events have arrived (true) or the deadline / end of stream (false).
  bool read_events(std::size_t n, clock::time_point until);
  // Reads until the server closes the connection; true when it did before the deadline.
  bool read_to_close(clock::time_point until);
  // Reads until the opening comment (the stream is attached to the hub by then).
  bool wait_open(clock::time_point until);

  std::vector<owned_event> const& events() const { return events_; }
  std::vector<std::string> const& comments() const { return comments_; }
  std::vector<std::uint64_t> const& retries() const { return retries_; }
  std::uint64_t body_bytes() const { return body_bytes_; }
  bool closed() const { return closed_; }
  bool body_ended_cleanly() const { return last_chunk_seen_; }

 private:
  class collector;
  bool read_more(clock::time_point until);
  void take_body();

  int fd_ = -1;
  std::string raw_;  // bytes read and not consumed yet
  bool head_done_ = false;
  bool chunked_ = false;
  bool closed_ = false;
  bool last_chunk_seen_ = false;
  std::uint64_t body_bytes_ = 0;
  std::vector<owned_event> events_;
  std::vector<std::string> comments_;
  std::vector<std::uint64_t> retries_;
  std::unique_ptr<collector> collector_;
  std::unique_ptr<sse::parser> parser_;
};

}  // namespace sse::serve::test

#endif
