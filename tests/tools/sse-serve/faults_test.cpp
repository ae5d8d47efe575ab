// Faults, load and bad input against the real sse-serve: connection churn must not leak, a
// thousand clients must each get every event, slow and malformed requests must not hurt anyone
// else, and hostile stdin must be refused without taking the server down.
#include <arpa/inet.h>
#include <dirent.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sse/parser.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "test_support.hpp"

namespace sse::serve::test {
namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool sanitized = true;
#else
constexpr bool sanitized = false;
#endif

// sse-serve is the only child of this test process while a test runs.
pid_t server_pid() {
  pid_t found = -1;
  DIR* d = ::opendir("/proc");
  if (d == nullptr) return -1;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::ifstream stat(std::string("/proc/") + e->d_name + "/stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    auto close_paren = line.rfind(')');
    if (close_paren == std::string::npos) continue;
    std::istringstream rest(line.substr(close_paren + 2));
    char state = 0;
    long ppid = 0;
    rest >> state >> ppid;
    if (ppid == ::getpid() && line.find("(sse-serve)") != std::string::npos) {
      found = static_cast<pid_t>(std::atol(e->d_name));
    }
  }
  ::closedir(d);
  return found;
}

std::size_t fd_count(pid_t pid) {
  std::size_t n = 0;
  DIR* d = ::opendir(("/proc/" + std::to_string(pid) + "/fd").c_str());
  if (d == nullptr) throw std::runtime_error("cannot list the server's fds");
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] != '.') ++n;
  }
  ::closedir(d);
  return n;
}

// VmRSS in KiB.
long rss_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string key;
  while (status >> key) {
    if (key == "VmRSS:") {
      long kib = 0;
      status >> kib;
      return kib;
    }
    status.ignore(1 << 20, '\n');
  }
  throw std::runtime_error("no VmRSS");
}

int connect_loopback(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    throw std::runtime_error(std::string("connect failed: ") + std::strerror(errno));
  }
  return fd;
}

void send_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("send failed: ") + std::strerror(errno));
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

void raise_fd_limit() {
  rlimit r{};
  ::getrlimit(RLIMIT_NOFILE, &r);
  r.rlim_cur = r.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &r);
}

std::string numbered_lines(int from, int to) {
  std::string s;
  for (int i = from; i <= to; ++i) s += "event-" + std::to_string(i) + "\n";
  return s;
}

// Connects, asks for the stream, reads the response head, closes: `total` times, `parallel` at
// a time. Returns how many heads were "200".
int churn(std::uint16_t port, int total, int parallel) {
  int ok = 0;
  std::string const request = "GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  for (int done = 0; done < total; done += parallel) {
    std::vector<int> fds;
    int batch = std::min(parallel, total - done);
    for (int i = 0; i < batch; ++i) {
      fds.push_back(connect_loopback(port));
      send_all(fds.back(), request);
    }
    for (int fd : fds) {
      std::string got;
      auto until = deadline();
      char buf[4096];
      while (got.find("\r\n\r\n") == std::string::npos && clock::now() < until) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 200) <= 0) continue;
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        got.append(buf, static_cast<std::size_t>(n));
      }
      if (got.rfind("HTTP/1.1 200", 0) == 0) ++ok;
      ::close(fd);
    }
  }
  return ok;
}

// Reads GET /metrics (--metrics) over one keep-alive connection, so that asking does not change
// the number of descriptors the server holds.
class metrics_reader {
 public:
  explicit metrics_reader(std::uint16_t port) : fd_(connect_loopback(port)) {}
  ~metrics_reader() { ::close(fd_); }
  metrics_reader(metrics_reader const&) = delete;
  metrics_reader& operator=(metrics_reader const&) = delete;

  // The value of metric `name`, or -1.
  long get(std::string const& name) {
    send_all(fd_, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    std::string got;
    char buf[8192];
    std::size_t head_end = std::string::npos;
    std::size_t length = 0;
    for (auto until = deadline(); clock::now() < until;) {
      if (head_end == std::string::npos && (head_end = got.find("\r\n\r\n")) != std::string::npos) {
        length = std::stoul(got.substr(got.find("Content-Length: ") + 16));
      }
      if (head_end != std::string::npos && got.size() >= head_end + 4 + length) break;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 200) <= 0) continue;
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return -1;
      got.append(buf, static_cast<std::size_t>(n));
    }
    std::string body = "\n" + got.substr(head_end + 4, length);
    std::size_t at = body.find("\n" + name + " ");
    return at == std::string::npos ? -1 : std::stol(body.substr(at + name.size() + 2));
  }

 private:
  int fd_;
};

// Waits until the server has opened `opened` streams and closed every one again.
bool wait_for_streams(metrics_reader& m, long opened, clock::time_point until) {
  while (clock::now() < until) {
    if (m.get("sse_streams_opened_total") >= opened && m.get("sse_clients") == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

TEST(Faults, ConnectDisconnectChurnLeaksNoFdsOrMemory) {
  if (sanitized) {
    // ASan's quarantine holds freed blocks back on purpose and would read as growth.
    char const* given = std::getenv("ASAN_OPTIONS");
    std::string opts = given ? std::string(given) + ":" : std::string();
    ::setenv("ASAN_OPTIONS",
             (opts + "quarantine_size_mb=0:thread_local_quarantine_size_kb=0").c_str(), 1);
  }
  // A long request timeout: the metrics connection idles while the churn runs.
  server_process s({"--metrics", "--request-timeout", "600"});
  pid_t pid = server_pid();
  ASSERT_GT(pid, 0);
  constexpr int warm_up = 500;
  constexpr int cycles = 10000;
  metrics_reader metrics(s.port());
  ASSERT_EQ(churn(s.port(), warm_up, 4), warm_up);
  // The server's own count says when it has seen every close (no polling of fd counts).
  ASSERT_TRUE(wait_for_streams(metrics, warm_up, deadline()));
  std::size_t const fds_before = fd_count(pid);
  long rss_before = rss_kib(pid);

  EXPECT_EQ(churn(s.port(), cycles, 4), cycles);

  ASSERT_TRUE(wait_for_streams(metrics, warm_up + cycles, deadline()));
  std::size_t const fds_after = fd_count(pid);
  long rss_after = rss_kib(pid);
  std::printf("churn: %d cycles; fds %zu -> %zu; VmRSS %ld KiB -> %ld KiB\n", cycles, fds_before,
              fds_after, rss_before, rss_after);
  EXPECT_EQ(fds_after, fds_before);
  // ASan's allocator keeps its own caches even without a quarantine, so its slack is larger.
  long const slack_kib = sanitized ? 8 * 1024 : 2 * 1024;
  EXPECT_LE(rss_after, rss_before + slack_kib);

  // And it still serves.
  http_client c(s.port());
  c.get("/events");
  ASSERT_EQ(c.read_head(deadline()).status, 200);
  ASSERT_TRUE(c.wait_open(deadline()));
  s.write_stdin("still here\n");
  ASSERT_TRUE(c.read_events(1, deadline()));
  EXPECT_EQ(c.events()[0].data, "still here");
}

// One streaming client in the poll loop below: an HTTP/1.0 request, so the body is the stream
// itself (close-delimited) and goes straight into the parser.
class stream_reader final : public sse::handler {
 public:
  explicit stream_reader(int fd) : fd_(fd) {
    sse::parser_options po;
    po.comments = true;
    parser_ = std::make_unique<sse::parser>(*this, po);
  }
  ~stream_reader() override { ::close(fd_); }
  stream_reader(stream_reader const&) = delete;
  stream_reader& operator=(stream_reader const&) = delete;

  int fd() const { return fd_; }
  bool open() const { return comments_ > 0; }
  bool closed() const { return closed_; }
  int events() const { return events_; }
  std::string const& first_mismatch() const { return mismatch_; }

  void take(char const* data, std::size_t n) {
    if (!head_done_) {
      head_.append(data, n);
      auto end = head_.find("\r\n\r\n");
      if (end == std::string::npos) return;
      head_done_ = true;
      if (head_.rfind("HTTP/1.1 200", 0) != 0) mismatch_ = "status line: " + head_.substr(0, 40);
      parser_->feed(std::string_view(head_).substr(end + 4));
      head_.clear();
      return;
    }
    parser_->feed(std::string_view(data, n));
  }
  void end() { closed_ = true; }

  sse::action on_event(sse::event_view const& ev) override {
    ++events_;
    std::string want = std::to_string(events_);
    if (mismatch_.empty() && (ev.data != "event-" + want || ev.id != want)) {
      mismatch_ = "event " + want + " arrived as id '" + std::string(ev.id) + "' data '" +
                  std::string(ev.data) + "'";
    }
    return sse::action::proceed;
  }
  void on_comment(std::string_view) override { ++comments_; }

 private:
  int fd_;
  std::unique_ptr<sse::parser> parser_;
  std::string head_;
  bool head_done_ = false;
  bool closed_ = false;
  int comments_ = 0;
  int events_ = 0;
  std::string mismatch_;
};

// Reads from every reader until done() or the deadline. Returns done().
template <class Done>
bool poll_readers(std::vector<std::unique_ptr<stream_reader>>& readers, clock::time_point until,
                  Done done) {
  std::vector<pollfd> pfds(readers.size());
  static char buf[65536];
  while (!done()) {
    if (clock::now() >= until) return false;
    for (std::size_t i = 0; i < readers.size(); ++i) {
      pfds[i] = {readers[i]->closed() ? -1 : readers[i]->fd(), POLLIN, 0};
    }
    int r = ::poll(pfds.data(), pfds.size(), 200);
    if (r <= 0) continue;
    for (std::size_t i = 0; i < readers.size(); ++i) {
      if (pfds[i].revents == 0) continue;
      ssize_t n = ::recv(readers[i]->fd(), buf, sizeof buf, 0);
      if (n <= 0) {
        readers[i]->end();
        continue;
      }
      readers[i]->take(buf, static_cast<std::size_t>(n));
    }
  }
  return true;
}

TEST(Faults, ThousandClientsEachGetEveryEvent) {
  raise_fd_limit();
  constexpr int clients = 1000;
  constexpr int events = 1000;
  server_process s({"--ping", "0"});
  std::vector<std::unique_ptr<stream_reader>> readers;
  std::string const request = "GET /events HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  for (int i = 0; i < clients; ++i) {
    readers.push_back(std::make_unique<stream_reader>(connect_loopback(s.port())));
    send_all(readers.back()->fd(), request);
  }
  auto count_open = [&] {
    return std::count_if(readers.begin(), readers.end(), [](auto const& r) { return r->open(); });
  };
  ASSERT_TRUE(poll_readers(readers, deadline(), [&] { return count_open() == clients; }))
      << count_open() << " of " << clients << " streams opened";

  s.write_stdin(numbered_lines(1, events));
  auto complete = [&] {
    return std::all_of(readers.begin(), readers.end(),
                       [&](auto const& r) { return r->events() >= events || r->closed(); });
  };
  poll_readers(readers, deadline(std::chrono::seconds(60)), complete);

  long delivered = 0;
  int short_clients = 0;
  for (auto const& r : readers) {
    delivered += r->events();
    if (r->events() != events) ++short_clients;
    EXPECT_EQ(r->first_mismatch(), "");
    EXPECT_FALSE(r->closed()) << "a stream was closed by the server";
  }
  std::printf("fan-out: sent %d events to %d clients; %ld of %ld deliveries arrived\n", events,
              clients, delivered, static_cast<long>(events) * clients);
  EXPECT_EQ(short_clients, 0);
  EXPECT_EQ(delivered, static_cast<long>(events) * clients);
}

TEST(Faults, SlowlorisHeadIsTimedOutWhileOthersAreServed) {
  server_process s({"--request-timeout", "3"});
  int slow = connect_loopback(s.port());
  std::string const head =
      "GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: abcdefghijklmnopqrstuvwxyz\r\n\r\n";

  http_client fast(s.port());
  fast.get("/events");
  ASSERT_EQ(fast.read_head(deadline()).status, 200);
  ASSERT_TRUE(fast.wait_open(deadline()));

  std::size_t sent = 0;
  bool closed = false;
  std::string answer;
  auto until = deadline();
  while (!closed && sent < head.size() && clock::now() < until) {
    if (::send(slow, head.data() + sent, 1, MSG_NOSIGNAL) == 1) {
      ++sent;
    } else {
      closed = true;  // reset by the server
      break;
    }
    // One byte a second; meanwhile the fast client keeps being served.
    s.write_stdin("tick " + std::to_string(sent) + "\n");
    pollfd p{slow, POLLIN, 0};
    if (::poll(&p, 1, 1000) > 0) {
      char buf[512];
      ssize_t n = ::recv(slow, buf, sizeof buf, 0);
      if (n > 0) answer.append(buf, static_cast<std::size_t>(n));
      if (n <= 0) closed = true;
    }
  }
  ::close(slow);
  std::printf("slowloris: sent %zu of %zu head bytes before the server closed; answer '%s'\n", sent,
              head.size(), answer.substr(0, answer.find("\r\n")).c_str());
  EXPECT_TRUE(closed);
  EXPECT_LT(sent, head.size());
  EXPECT_TRUE(answer.empty() || answer.rfind("HTTP/1.1 408", 0) == 0) << answer;

  ASSERT_TRUE(fast.read_events(sent, deadline()));
  EXPECT_EQ(fast.events()[0].data, "tick 1");
  EXPECT_EQ(fast.events()[sent - 1].data, "tick " + std::to_string(sent));
}

// After an error response the server drains what the client still sends before closing (so a
// reset cannot destroy the response); a client trickling bytes must not keep that going forever.
TEST(Faults, TricklingAfterAnErrorResponseDoesNotHoldTheConnection) {
  server_process s({});
  int fd = connect_loopback(s.port());
  send_all(fd, "NOT HTTP\r\n\r\n");
  std::string got;
  bool half_closed = false;  // the server ended its side (it still drains ours)
  bool closed = false;       // a send failed: the server closed the socket
  int trickled = 0;
  for (auto until = deadline(); !closed && clock::now() < until;) {
    pollfd p{fd, POLLIN, 0};
    if (!half_closed && ::poll(&p, 1, 0) > 0) {
      char buf[4096];
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n > 0)
        got.append(buf, static_cast<std::size_t>(n));
      else
        half_closed = true;
    }
    if (::send(fd, "x", 1, MSG_NOSIGNAL) != 1) {
      closed = true;
    } else {
      ++trickled;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
  }
  ::close(fd);
  std::printf("trickle after 400: %d bytes sent before the server closed\n", trickled);
  EXPECT_EQ(got.rfind("HTTP/1.1 400", 0), 0u) << got;
  EXPECT_TRUE(closed) << "still open after " << trickled << " bytes";
}

// The server answers status for `raw`, closes or keeps going, and then still serves a stream.
void expect_status_then_serving(server_process& s, std::string const& raw, int status,
                                std::string const& line) {
  {
    http_client c(s.port());
    c.send(raw);
    EXPECT_EQ(c.read_head(deadline()).status, status) << "request: " << raw.substr(0, 60);
  }
  http_client ok(s.port());
  ok.get("/events");
  ASSERT_EQ(ok.read_head(deadline()).status, 200);
  ASSERT_TRUE(ok.wait_open(deadline()));
  s.write_stdin(line + "\n");
  ASSERT_TRUE(ok.read_events(1, deadline()));
  EXPECT_EQ(ok.events()[0].data, line);
}

TEST(Faults, OneMebibyteRequestHeadGets431) {
  server_process s({});
  std::string huge = "GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (int i = 0; i < 1100; ++i)
    huge += "X-Filler-" + std::to_string(i) + ": " + std::string(1000, 'f') + "\r\n";
  huge += "\r\n";
  ASSERT_GE(huge.size(), std::size_t{1} << 20);
  expect_status_then_serving(s, huge, 431, "after the huge head");
}

TEST(Faults, BadRequestLinesGet400) {
  server_process s({});
  std::vector<std::string> const bad = {
      "GET\r\n\r\n",
      "GET /events\r\nHost: x\r\n\r\n",
      "GET /events HTTP/9\r\nHost: x\r\n\r\n",
      "GET /ev ents HTTP/1.1\r\nHost: x\r\n\r\n",
      "G@T /events HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET /events HTTP/1.1\r\nNo colon here\r\n\r\n",
      "GET /events HTTP/1.1\r\nContent-Length: nope\r\n\r\n",
      std::string("GET /events HTTP/1.1\r\nHost: \x01\x02\r\n\r\n"),
  };
  int n = 0;
  for (auto const& raw : bad) {
    expect_status_then_serving(s, raw, 400, "after bad request " + std::to_string(++n));
  }
}

TEST(Faults, PipelinedRequestsAreAnsweredInOrder) {
  server_process s({});
  http_client c(s.port());
  c.send(
      "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  auto page = c.read_head(deadline());
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.header("content-type").find("text/html"), std::string::npos);
  std::string body = c.read_body(page, deadline());
  EXPECT_NE(body.find("EventSource"), std::string::npos);
  auto stream = c.read_head(deadline());
  ASSERT_EQ(stream.status, 200);
  EXPECT_EQ(stream.header("content-type"), "text/event-stream");
  ASSERT_TRUE(c.wait_open(deadline()));
  s.write_stdin("pipelined\n");
  ASSERT_TRUE(c.read_events(1, deadline()));
  EXPECT_EQ(c.events()[0].data, "pipelined");
}

TEST(Faults, InvalidUtf8OnStdinIsRepaired) {
  server_process s({});
  http_client c(s.port());
  c.get("/events");
  ASSERT_EQ(c.read_head(deadline()).status, 200);
  ASSERT_TRUE(c.wait_open(deadline()));
  s.write_stdin(
      "a\xff"
      "b\xc3\n"
      "\xed\xa0\x80z\n");
  ASSERT_TRUE(c.read_events(2, deadline()));
  EXPECT_EQ(c.events()[0].data,
            "a\xef\xbf\xbd"
            "b\xef\xbf\xbd");
  EXPECT_EQ(c.events()[0].id, "1");
  // A UTF-16 surrogate encoded in UTF-8 is invalid too: each bad byte becomes U+FFFD.
  EXPECT_EQ(c.events()[1].data.back(), 'z');
  EXPECT_EQ(c.events()[1].data.find('\xed'), std::string::npos);
}

TEST(Faults, NulInJsonIdIsRefusedWithTheLineNumber) {
  server_process s({"--format", "json"});
  http_client c(s.port());
  c.get("/events");
  ASSERT_EQ(c.read_head(deadline()).status, 200);
  ASSERT_TRUE(c.wait_open(deadline()));
  s.write_stdin(
      "{\"data\":\"first\"}\n{\"id\":\"a\\u0000b\",\"data\":\"x\"}\n{\"data\":\"third\"}\n");
  ASSERT_TRUE(c.read_events(2, deadline()));
  EXPECT_EQ(c.events()[0].data, "first");
  EXPECT_EQ(c.events()[1].data, "third");
  for (auto const& ev : c.events()) EXPECT_EQ(ev.id.find('\0'), std::string::npos);
  EXPECT_TRUE(s.wait_stderr("line 2", deadline())) << s.stderr_text();
}

TEST(Faults, HundredMebibyteLineIsRefusedWithoutBufferingIt) {
  server_process s({});
  pid_t pid = server_pid();
  ASSERT_GT(pid, 0);
  http_client c(s.port());
  c.get("/events");
  ASSERT_EQ(c.read_head(deadline()).status, 200);
  ASSERT_TRUE(c.wait_open(deadline()));
  long rss_before = rss_kib(pid);
  long rss_peak = rss_before;
  std::string const mebibyte(std::size_t{1} << 20, 'x');
  s.write_stdin("before\n");
  for (int i = 0; i < 100; ++i) {
    s.write_stdin(mebibyte);
    rss_peak = std::max(rss_peak, rss_kib(pid));
  }
  s.write_stdin("\nafter\n");
  ASSERT_TRUE(c.read_events(2, deadline()));
  rss_peak = std::max(rss_peak, rss_kib(pid));
  std::printf("100 MiB line: VmRSS %ld KiB before, peak %ld KiB while refusing it\n", rss_before,
              rss_peak);
  EXPECT_EQ(c.events()[0].data, "before");
  EXPECT_EQ(c.events()[1].data, "after");
  EXPECT_EQ(c.events()[1].id, "2");
  EXPECT_TRUE(s.wait_stderr("line 2", deadline())) << s.stderr_text();
  EXPECT_LT(rss_peak - rss_before, 16 * 1024);
}

}  // namespace
}  // namespace sse::serve::test
