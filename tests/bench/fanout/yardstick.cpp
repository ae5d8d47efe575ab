// fanout-yardstick: the least a fan-out server can do, as the benchmark's measure of the machine.
//
// One thread, raw epoll, no HTTP beyond reading and discarding whatever a client sends. Each line
// of stdin becomes one event, "id: N\ndata: LINE\n\n", appended to one shared log; every client
// is a byte offset into that log. When a client can take more, its whole backlog (up to 256 KiB)
// is copied into one buffer as one HTTP chunk and sent with one write. A client more than
// --client-buffer bytes behind is dropped, as sse-serve drops it. Nothing else: no history,
// topics, pings, ids from the input or limits on clients. scripts/bench-fanout.sh feeds it
// exactly as it feeds sse-serve, and sse-serve's fan-out targets are ratios against it.
//
// A connection whose first request is a POST is a publisher instead: each request's body (by its
// Content-Length; no chunks, no checks, no token) becomes one event, and the answers to everything
// one read brought ("201 Created", no body) leave in one write. That is the floor of publishing
// over HTTP on this machine, the measure for the publish group.
//
// usage: fanout-yardstick [--port N] [--client-buffer BYTES]
// Prints "listening on http://127.0.0.1:PORT/" on stderr once it accepts connections.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

[[noreturn]] void die(char const* what) {
  std::fprintf(stderr, "fanout-yardstick: error: %s: %s\n", what, std::strerror(errno));
  std::exit(2);
}

constexpr std::string_view response_head =
    "HTTP/1.1 200 OK\r\n"
    "Content-Type: text/event-stream\r\n"
    "Cache-Control: no-cache\r\n"
    "Connection: keep-alive\r\n"
    "Transfer-Encoding: chunked\r\n"
    "\r\n";

// A write carries at most this much of the log (a client far behind gets big writes, and the
// others their turn).
constexpr std::size_t max_write = std::size_t{256} << 10;

struct client {
  int fd = -1;
  bool streaming = false;    // its request came and the head went out
  bool publisher = false;    // its first request was a POST
  std::string in;            // a publisher's requests not yet complete
  bool blocked = false;      // the socket is full: wait for EPOLLOUT
  std::uint64_t cursor = 0;  // log offset of the next byte to send
  std::string pending;       // the unwritten rest of a partial write
};

class yardstick {
 public:
  yardstick(std::uint16_t port, std::size_t client_buffer) : client_buffer_(client_buffer) {
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_ < 0) die("epoll_create1");
    listener_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (listener_ < 0) die("socket");
    int one = 1;
    setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) die("bind");
    if (listen(listener_, 4096) != 0) die("listen");
    if (getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len) != 0) die("getsockname");
    watch(listener_, EPOLLIN, listener_tag);
    int flags = fcntl(STDIN_FILENO, F_GETFL);
    fcntl(STDIN_FILENO, F_SETFL, flags | O_NONBLOCK);
    watch(STDIN_FILENO, EPOLLIN, stdin_tag);
    std::fprintf(stderr, "listening on http://127.0.0.1:%u/\n",
                 static_cast<unsigned>(ntohs(a.sin_port)));
  }

  [[noreturn]] void run() {
    std::vector<epoll_event> events(1024);
    for (;;) {
      int n = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), -1);
      if (n < 0) {
        if (errno == EINTR) continue;
        die("epoll_wait");
      }
      bool appended = false;
      for (int i = 0; i < n; ++i) {
        std::uint64_t tag = events[static_cast<std::size_t>(i)].data.u64;
        std::uint32_t what = events[static_cast<std::size_t>(i)].events;
        if (tag == listener_tag) {
          accept_all();
        } else if (tag == stdin_tag) {
          appended = read_stdin() || appended;
        } else {
          appended = on_client(static_cast<std::size_t>(tag), what) || appended;
        }
      }
      // Everything read from stdin in this turn goes out together: one write per client.
      if (appended) send_all();
    }
  }

 private:
  static constexpr std::uint64_t listener_tag = ~std::uint64_t{0};
  static constexpr std::uint64_t stdin_tag = ~std::uint64_t{0} - 1;

  void watch(int fd, std::uint32_t events, std::uint64_t tag) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = tag;
    if (epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev) != 0) die("epoll_ctl");
  }

  std::uint64_t log_end() const noexcept { return base_ + log_.size(); }

  void accept_all() {
    for (;;) {
      int fd = accept4(listener_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED) return;
        if (errno == EMFILE || errno == ENFILE) return;  // the backlog waits for a free slot
        die("accept");
      }
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      std::size_t slot = free_.empty() ? clients_.size() : free_.back();
      if (free_.empty()) {
        clients_.emplace_back();
      } else {
        free_.pop_back();
      }
      clients_[slot] = client{};
      clients_[slot].fd = fd;
      // Edge-triggered: EPOLLOUT reports once when a full socket drains, which is all we ask.
      watch(fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, slot);
    }
  }

  // Appends each complete stdin line to the log as an event. True when any was appended.
  bool read_stdin() {
    bool appended = false;
    char buf[65536];
    for (;;) {
      ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN) break;
        die("read stdin");
      }
      if (n == 0) {  // end of input: keep serving what there is
        epoll_ctl(epoll_, EPOLL_CTL_DEL, STDIN_FILENO, nullptr);
        break;
      }
      std::string_view in(buf, static_cast<std::size_t>(n));
      for (;;) {
        std::size_t nl = in.find('\n');
        if (nl == std::string_view::npos) {
          partial_.append(in);
          break;
        }
        std::string_view line = in.substr(0, nl);
        if (!partial_.empty()) {
          partial_.append(line);
          line = partial_;
        }
        char id[24];
        auto [end, ec] = std::to_chars(id, id + sizeof id, ++events_);
        (void)ec;
        log_.append("id: ").append(id, end).append("\ndata: ").append(line).append("\n\n");
        partial_.clear();
        in.remove_prefix(nl + 1);
        appended = true;
      }
      if (static_cast<std::size_t>(n) < sizeof buf) break;
    }
    return appended;
  }

  // True when a publisher's requests appended events.
  bool on_client(std::size_t slot, std::uint32_t what) {
    client& c = clients_[slot];
    if (c.fd < 0) return false;
    if (c.publisher || (!c.streaming && (what & EPOLLIN) && starts_with_post(c.fd)))
      return on_publisher(slot, what);
    if (what & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
      // The request (or anything after it) is read and thrown away; its arrival starts the stream.
      char sink[4096];
      for (;;) {
        ssize_t n = read(c.fd, sink, sizeof sink);
        if (n > 0) {
          if (!c.streaming) {
            c.streaming = true;
            c.cursor = log_end();  // live only: no history
            c.pending.assign(response_head);
          }
          continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) break;
        drop(slot);  // end of file or an error
        return false;
      }
    }
    if (what & EPOLLOUT) c.blocked = false;
    if (!c.streaming) return false;
    // The rest of a cut-short write, then (if that went) what piled up meanwhile.
    for (int round = 0; round < 2 && c.fd >= 0 && !c.blocked; ++round) {
      if (!send(slot)) break;
    }
    return false;
  }

  static bool starts_with_post(int fd) {
    char first[5];
    ssize_t n = recv(fd, first, sizeof first, MSG_PEEK);
    return n == 5 && std::string_view(first, 5) == "POST ";
  }

  // Reads a publisher's requests, appends each body as an event and answers them all in one write.
  bool on_publisher(std::size_t slot, std::uint32_t what) {
    client& c = clients_[slot];
    c.publisher = true;
    char buf[65536];
    for (;;) {
      ssize_t n = read(c.fd, buf, sizeof buf);
      if (n > 0) {
        c.in.append(buf, static_cast<std::size_t>(n));
        if (static_cast<std::size_t>(n) < sizeof buf) break;
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) break;
      drop(slot);
      return false;
    }
    bool appended = false;
    std::size_t pos = 0;
    for (;;) {
      std::size_t end = c.in.find("\r\n\r\n", pos);
      if (end == std::string::npos) break;
      std::size_t length = 0;
      std::string_view head(c.in.data() + pos, end - pos);
      for (std::size_t at = 0; (at = head.find("\r\n", at)) != std::string_view::npos;) {
        at += 2;
        if (head.size() - at > 15 && strncasecmp(head.data() + at, "content-length:", 15) == 0) {
          std::size_t v = at + 15;
          while (v < head.size() && head[v] == ' ') ++v;
          std::from_chars(head.data() + v, head.data() + head.size(), length);
        }
      }
      if (c.in.size() < end + 4 + length) break;
      std::string_view body(c.in.data() + end + 4, length);
      char id[24];
      auto [id_end, ec] = std::to_chars(id, id + sizeof id, ++events_);
      (void)ec;
      log_.append("id: ").append(id, id_end).append("\ndata: ").append(body).append("\n\n");
      c.pending.append("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
      appended = true;
      pos = end + 4 + length;
    }
    c.in.erase(0, pos);
    if (what & EPOLLOUT) c.blocked = false;
    if (!c.pending.empty() && !c.blocked) {
      ssize_t n = write(c.fd, c.pending.data(), c.pending.size());
      if (n < 0 && errno != EAGAIN && errno != EINTR) {
        drop(slot);
        return appended;
      }
      std::size_t done = n > 0 ? static_cast<std::size_t>(n) : 0;
      c.pending.erase(0, done);
      c.blocked = !c.pending.empty();
    }
    return appended;
  }

  // One write: the rest of the last one if it was cut short, else the backlog as one chunk.
  // False when there was nothing to send or the client is gone.
  bool send(std::size_t slot) {
    client& c = clients_[slot];
    std::string_view out;
    if (!c.pending.empty()) {
      out = c.pending;
    } else {
      std::uint64_t backlog = log_end() - c.cursor;
      if (backlog == 0) return false;
      std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(backlog, max_write));
      char size[20];
      int len = std::snprintf(size, sizeof size, "%zx\r\n", take);
      scratch_.assign(size, static_cast<std::size_t>(len));
      scratch_.append(log_, static_cast<std::size_t>(c.cursor - base_), take).append("\r\n");
      c.cursor += take;
      out = scratch_;
    }
    ssize_t n = write(c.fd, out.data(), out.size());
    if (n < 0) {
      if (errno != EAGAIN && errno != EINTR) {
        drop(slot);
        return false;
      }
      n = 0;
    }
    auto done = static_cast<std::size_t>(n);
    if (done < out.size()) {
      c.blocked = true;
      if (out.data() == c.pending.data()) {
        c.pending.erase(0, done);
      } else {
        c.pending.assign(out.substr(done));
      }
    } else {
      c.pending.clear();
    }
    return true;
  }

  void send_all() {
    std::uint64_t keep = log_end();  // the oldest log byte a client still needs
    for (std::size_t slot = 0; slot < clients_.size(); ++slot) {
      client& c = clients_[slot];
      if (c.fd < 0 || !c.streaming) continue;
      if (c.blocked) {
        if (log_end() - c.cursor + c.pending.size() > client_buffer_) {
          drop(slot);
          continue;
        }
      } else {
        send(slot);
        if (c.fd < 0) continue;
      }
      keep = std::min(keep, c.cursor);
    }
    // The log keeps only what someone still needs, trimmed when that frees most of it.
    std::uint64_t unused = keep - base_;
    if (unused > (std::size_t{1} << 20) && unused * 2 > log_.size()) {
      log_.erase(0, static_cast<std::size_t>(unused));
      base_ = keep;
    }
  }

  void drop(std::size_t slot) {
    client& c = clients_[slot];
    close(c.fd);  // also removes it from the epoll set
    c = client{};
    free_.push_back(slot);
  }

  int epoll_ = -1;
  int listener_ = -1;
  std::size_t client_buffer_;
  std::vector<client> clients_;
  std::vector<std::size_t> free_;
  std::string log_;         // the events from base_ on
  std::uint64_t base_ = 0;  // log offset of log_[0]
  std::uint64_t events_ = 0;
  std::string partial_;  // a stdin line not yet complete
  std::string scratch_;  // the one buffer every write is built in
};

std::uint64_t parse_size(char const* text, char const* what) {
  std::uint64_t v = 0;
  std::string_view s(text);
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  std::string_view suffix(p, static_cast<std::size_t>(s.data() + s.size() - p));
  if (ec != std::errc{}) v = ~std::uint64_t{0};
  if (suffix == "K") v <<= 10;
  if (suffix == "M") v <<= 20;
  if (ec != std::errc{} || !(suffix.empty() || suffix == "K" || suffix == "M")) {
    std::fprintf(stderr, "fanout-yardstick: error: bad %s: %s\n", what, text);
    std::exit(2);
  }
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t port = 0;
  std::uint64_t client_buffer = std::uint64_t{4} << 20;  // sse-serve's default
  for (int i = 1; i < argc; ++i) {
    std::string_view arg(argv[i]);
    if (arg == "--port" && i + 1 < argc) {
      port = parse_size(argv[++i], "--port");
      if (port > 65535) port = ~std::uint64_t{0};
    } else if (arg == "--client-buffer" && i + 1 < argc) {
      client_buffer = parse_size(argv[++i], "--client-buffer");
    } else {
      std::fprintf(stderr, "usage: fanout-yardstick [--port N] [--client-buffer BYTES]\n");
      return 2;
    }
  }
  if (port > 65535) {
    std::fprintf(stderr, "fanout-yardstick: error: bad --port\n");
    return 2;
  }
  std::signal(SIGPIPE, SIG_IGN);
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
  yardstick y(static_cast<std::uint16_t>(port), static_cast<std::size_t>(client_buffer));
  y.run();
}
