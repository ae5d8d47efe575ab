// Faults on the server side, end to end: a server killed and restarted mid-stream, a chunked body
// cut mid-chunk, a stream that stalls, and a line that never ends sent as fast as it is read.
#include <arpa/inet.h>
#include <dirent.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "child_process.hpp"
#include "scripted_server.hpp"

namespace sse::listen::test {
namespace {

using namespace std::chrono_literals;

const std::string listen_binary = SSE_LISTEN_BINARY;

// ---- 1. sse-serve killed and restarted on the same port ---------------------------------------
#ifdef SSE_SERVE_BINARY  // (built with the tools, as it is by default)

const std::string serve_binary = SSE_SERVE_BINARY;

std::vector<nlohmann::json> json_lines(std::string const& out) {
  std::vector<nlohmann::json> lines;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

// Event i of the feed, as sse-serve --format sse reads it: an explicit id and two data lines.
std::string feed_event(int i) {
  return "id: " + std::to_string(i) + "\ndata: event " + std::to_string(i) + "\ndata: line two\n\n";
}

std::string feed(int from, int to) {
  std::string s;
  for (int i = from; i <= to; ++i) s += feed_event(i);
  return s;
}

// The port from sse-serve's "listening on http://127.0.0.1:PORT/" line.
std::string wait_for_port(child_process& serve) {
  EXPECT_TRUE(serve.wait_for(2, "/\n", 30s)) << serve.err();
  std::string const& err = serve.err();
  auto at = err.find("listening on http://127.0.0.1:");
  if (at == std::string::npos) return {};
  at += std::string_view("listening on http://127.0.0.1:").size();
  return err.substr(at, err.find('/', at) - at);
}

std::vector<std::string> serve_args(std::string const& port) {
  return {"--port", port, "--format", "sse", "--retry", "200", "--ping", "0", "--history", "10000"};
}

TEST(listen_faults, server_killed_and_restarted_mid_stream_resumes_every_event_exactly_once) {
  constexpr int first = 300;  // the events of the first server's feed
  constexpr int total = 400;  // the restarted server's feed: the same events, then 100 more
  auto serve = std::make_unique<child_process>(serve_binary, serve_args("0"));
  std::string port = wait_for_port(*serve);
  ASSERT_FALSE(port.empty()) << serve->err();
  std::string url = "http://127.0.0.1:" + port + "/events";

  child_process listen(listen_binary, {"--json", "-v", "--retry", "200", "-n",
                                       std::to_string(total), "--timeout", "90", url});
  // A client without Last-Event-ID gets live events only: feed them once it is attached (its -v
  // shows the response head, which sse-serve sends after attaching the stream).
  ASSERT_TRUE(listen.wait_for(2, " 200 ", 30s)) << listen.err();
  serve->write_stdin(feed(1, first / 2));
  ASSERT_TRUE(listen.wait_for(1, "\"id\":\"" + std::to_string(first / 2) + "\"", 30s))
      << listen.err();
  // The rest of the file, and the kill at once: events may be in flight, or cut in the middle.
  serve->write_stdin(feed(first / 2 + 1, first));
  serve->kill(SIGKILL);
  auto killed = serve->finish(30s);
  EXPECT_EQ(killed.signal, SIGKILL);

  // The same history source plus more, all written before the server can accept anyone, so the
  // client's Last-Event-ID is held whenever it comes back.
  serve = std::make_unique<child_process>(serve_binary, serve_args(port));
  serve->write_stdin(feed(1, total));
  ASSERT_EQ(wait_for_port(*serve), port) << serve->err();

  auto r = listen.finish(90s);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), static_cast<std::size_t>(total)) << r.err;
  for (int i = 1; i <= total; ++i) {
    nlohmann::json want = {{"event", "message"},
                           {"data", "event " + std::to_string(i) + "\nline two"},
                           {"id", std::to_string(i)}};
    ASSERT_EQ(lines[static_cast<std::size_t>(i - 1)], want) << "event " << i;
  }
  // It did resume, from an id at least as far as the events it had printed before the kill.
  std::string resumed = "reconnecting to GET " + url + " (Last-Event-ID: ";
  auto at = r.err.find(resumed);
  ASSERT_NE(at, std::string::npos) << r.err;
  EXPECT_GE(std::stoi(r.err.substr(at + resumed.size())), first / 2) << r.err;
  serve->kill(SIGTERM);
  EXPECT_FALSE(serve->finish(30s).timed_out);
}

#endif

// ---- 2. A chunked body cut mid-chunk ----------------------------------------------------------

std::string chunk(std::string const& bytes) {
  std::ostringstream s;
  s << std::hex << bytes.size() << "\r\n" << bytes << "\r\n";
  return s.str();
}

// Two complete events in chunks, then a chunk announced as 64 bytes cut after 13 of them.
response cut_chunked_stream() {
  response r =
      response::head("200 OK", "Content-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n");
  r.send(chunk("retry: 100\nid: 1\ndata: a\n\n"));
  r.send(chunk("id: 2\ndata: b\n\n"));
  r.send("40\r\nid: 3\ndata: c");
  return r;
}

TEST(listen_faults, chunked_body_cut_mid_chunk_without_reconnect_is_a_network_failure) {
  scripted_server server({cut_chunked_stream()});
  auto r = run_program(listen_binary, {"--json", "-v", "--no-reconnect", server.url()}, {}, 60s);
  EXPECT_EQ(r.exit_code, 3) << r.err;
  // Every complete event before the cut, and nothing of the cut one.
  EXPECT_EQ(r.out,
            "{\"event\":\"message\",\"data\":\"a\",\"id\":\"1\"}\n"
            "{\"event\":\"message\",\"data\":\"b\",\"id\":\"2\"}\n");
  EXPECT_NE(r.err.find("sse-listen: error: the stream was cut:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("discarded 13 bytes of an unterminated event"), std::string::npos) << r.err;
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(listen_faults, chunked_body_cut_between_chunks_without_reconnect_is_a_network_failure) {
  // The events are complete, but the body never got its last chunk: the server died.
  response res =
      response::head("200 OK", "Content-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n");
  res.send(chunk("data: a\n\n"));
  scripted_server server({res});
  auto r = run_program(listen_binary, {"--no-reconnect", server.url()}, {}, 60s);
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(r.out, "a\n");
  EXPECT_NE(r.err.find("sse-listen: error: the stream was cut:"), std::string::npos) << r.err;
}

TEST(listen_faults, chunked_body_that_ends_properly_is_a_clean_end) {
  response res =
      response::head("200 OK", "Content-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n");
  res.send(chunk("data: a\n\n") + "0\r\n\r\n");
  scripted_server server({res});
  auto r = run_program(listen_binary, {"--no-reconnect", server.url()}, {}, 60s);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "a\n");
  EXPECT_EQ(r.err, "");
}

TEST(listen_faults, chunked_body_cut_mid_chunk_then_resumes_with_last_event_id) {
  scripted_server server({cut_chunked_stream(), response::events("id: 3\ndata: c\n\n")});
  auto r = run_program(listen_binary, {"--json", "-n", "3", server.url()}, {}, 60s);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "{\"event\":\"message\",\"data\":\"a\",\"id\":\"1\"}\n"
            "{\"event\":\"message\",\"data\":\"b\",\"id\":\"2\"}\n"
            "{\"event\":\"message\",\"data\":\"c\",\"id\":\"3\"}\n");
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_FALSE(requests[0].has_header("Last-Event-ID"));
  EXPECT_EQ(requests[1].header("Last-Event-ID"), "2");
}

// ---- 3. A stream that stalls ------------------------------------------------------------------
// (idle_timeout_drops_a_silent_connection_and_reconnects in listen_e2e_test covers the reconnect.)

TEST(listen_faults, idle_timeout_without_reconnect_is_a_network_failure) {
  scripted_server server({response::events("id: 1\ndata: a\n\ndata: half").hold()});
  auto r = run_program(listen_binary, {"--no-reconnect", "--idle-timeout", "0.3", server.url()}, {},
                       60s);
  server.stop();
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(r.out, "[#1] a\n");
  EXPECT_NE(r.err.find("sse-listen: error: no data for 0.3 s"), std::string::npos) << r.err;
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(listen_faults, idle_timeout_before_the_response_head_without_reconnect_is_a_network_failure) {
  response silent;
  silent.hold();
  scripted_server server({silent});
  auto r = run_program(listen_binary, {"--no-reconnect", "--idle-timeout", "0.3", server.url()}, {},
                       60s);
  server.stop();
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("no response within --idle-timeout"), std::string::npos) << r.err;
}

TEST(listen_faults, idle_timeout_with_max_reconnects_ends_as_a_network_failure) {
  scripted_server server({response::events("retry: 100\nid: 1\ndata: a\n\n").hold()});
  auto r = run_program(listen_binary,
                       {"--max-reconnects", "1", "--idle-timeout", "0.3", server.url()}, {}, 60s);
  server.stop();
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(r.out, "[#1] a\n[#1] a\n");
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1].header("Last-Event-ID"), "1");
}

// ---- 4. One line forever, as fast as it is read -----------------------------------------------

// Accepts one connection, answers with an event stream whose head is followed by prefix and then
// unit repeated forever (from flood() on), until the client goes away or the server is destroyed.
class flooding_server {
 public:
  flooding_server(std::string prefix, std::string const& unit) : prefix_(std::move(prefix)) {
    while (block_.size() < 64 * 1024) block_ += unit;
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        ::listen(fd_, 4) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      throw std::runtime_error("flooding_server: cannot listen");
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~flooding_server() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }
  flooding_server(flooding_server const&) = delete;
  flooding_server& operator=(flooding_server const&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/events"; }
  std::uint64_t sent() const { return sent_; }
  void flood() { go_ = true; }

 private:
  void run() {
    pollfd p{fd_, POLLIN, 0};
    while (!stop_ && ::poll(&p, 1, 100) == 0) {
    }
    if (stop_) return;
    int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) return;
    std::string request;
    char buf[4096];
    while (request.find("\r\n\r\n") == std::string::npos) {
      ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) break;
      request.append(buf, static_cast<std::size_t>(n));
    }
    std::string head =
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n" + prefix_;
    bool ok = send_all(c, head);
    while (ok && !go_ && !stop_) std::this_thread::sleep_for(1ms);
    while (ok && !stop_) ok = send_all(c, block_);
    ::close(c);
  }
  bool send_all(int c, std::string const& bytes) {
    std::size_t at = 0;
    while (at < bytes.size()) {
      pollfd p{c, POLLOUT, 0};
      if (::poll(&p, 1, 100) <= 0) {
        if (stop_) return false;
        continue;
      }
      ssize_t n = ::send(c, bytes.data() + at, bytes.size() - at, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (n <= 0) return false;
      at += static_cast<std::size_t>(n);
      sent_ += static_cast<std::uint64_t>(n);
    }
    return true;
  }

  std::string prefix_;
  std::string block_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<bool> go_{false};
  std::atomic<std::uint64_t> sent_{0};
  std::thread thread_;
};

// The pid of this process's child running sse-listen, or -1.
pid_t find_listen_child() {
  std::unique_ptr<DIR, int (*)(DIR*)> proc(::opendir("/proc"), ::closedir);
  if (!proc) return -1;
  while (dirent* d = ::readdir(proc.get())) {
    if (d->d_name[0] < '1' || d->d_name[0] > '9') continue;
    std::ifstream in(std::string("/proc/") + d->d_name + "/stat");
    std::string stat;
    std::getline(in, stat);
    // "PID (COMM) STATE PPID ..."
    auto open = stat.find('('), close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 1));
    char state = 0;
    long ppid = 0;
    rest >> state >> ppid;
    if (stat.substr(open + 1, close - open - 1) == "sse-listen" && ppid == ::getpid()) {
      return static_cast<pid_t>(std::stol(d->d_name));
    }
  }
  return -1;
}

// A "VmRSS:" or "VmHWM:" figure of /proc/PID/status in KiB, or -1 when it is gone.
long status_kib(pid_t pid, std::string const& key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.compare(0, key.size(), key) == 0) return std::stol(line.substr(key.size()));
  }
  return -1;
}

constexpr long rss_bound_kib = 64 * 1024;

// Runs sse-listen --max-event-size 1M against a flood, sampling its memory while it runs.
void expect_bounded_failure(std::string const& prefix, std::string const& unit,
                            std::string const& message) {
  flooding_server server(prefix, unit);
  child_process listen(listen_binary, {"--max-event-size", "1M", "--timeout", "60", server.url()});
  long peak = -1;
  int samples = 0;
  pid_t pid = -1;
  auto give_up = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < give_up) {
    if (pid < 0) pid = find_listen_child();
    if (pid >= 0) {
      long hwm = status_kib(pid, "VmHWM:");
      long rss = status_kib(pid, "VmRSS:");
      if (hwm < 0 || rss < 0) break;  // exited (or a zombie: no memory figures)
      peak = std::max({peak, hwm, rss});
      ++samples;
      // It cannot end before the flood, so at least this sample is taken while it runs.
      server.flood();
    }
    if (listen.wait_for(2, "\n", 5ms)) break;  // its error line: it is ending
  }
  auto r = listen.finish(60s);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("sse-listen: error: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "one line on stderr: " << r.err;
  // More than the limit went out, so the client really read past it before failing.
  EXPECT_GT(server.sent(), std::uint64_t{1} << 20);
  EXPECT_GT(samples, 0);
  EXPECT_LT(peak, rss_bound_kib) << samples << " samples";
  // The kernel's peak for every reaped child of this test process: sse-listen is the only one.
  rusage usage{};
  ASSERT_EQ(::getrusage(RUSAGE_CHILDREN, &usage), 0);
  EXPECT_GT(usage.ru_maxrss, 0);
  EXPECT_LT(usage.ru_maxrss, rss_bound_kib);
  std::cout << "sse-listen: " << samples << " samples, peak RSS sampled " << peak
            << " KiB, kernel peak " << usage.ru_maxrss << " KiB, " << server.sent()
            << " bytes sent\n";
}

TEST(listen_faults, a_data_line_forever_fails_at_the_limit_with_bounded_memory) {
  expect_bounded_failure("data: ", "x", "longer than --max-event-size (1048576 bytes)");
}

TEST(listen_faults, a_field_name_forever_fails_at_the_limit_with_bounded_memory) {
  expect_bounded_failure("", "f", "longer than --max-event-size (1048576 bytes)");
}

TEST(listen_faults, a_comment_line_forever_fails_at_the_limit_with_bounded_memory) {
  expect_bounded_failure(":", "c", "longer than --max-event-size (1048576 bytes)");
}

TEST(listen_faults, an_event_of_endless_data_lines_fails_at_the_limit_with_bounded_memory) {
  // Each line is short; the event they build never ends.
  expect_bounded_failure("", "data: x\n", "--max-event-size (1048576 bytes)");
}

}  // namespace
}  // namespace sse::listen::test
