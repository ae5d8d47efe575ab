#include "scripted_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <stdexcept>

namespace sse::listen::test {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool send_all(int fd, std::string_view bytes, std::atomic<std::uint64_t>* sent = nullptr) {
  while (!bytes.empty()) {
    ssize_t n =
        ::send(fd, bytes.data(), std::min<std::size_t>(bytes.size(), 64 * 1024), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
    if (sent != nullptr) *sent += static_cast<std::uint64_t>(n);
  }
  return true;
}

// Reads one request head and its Content-Length body. False when the client went away first.
bool read_request(int fd, recorded_request& r) {
  std::string in;
  char buf[4096];
  std::size_t head_end;
  while ((head_end = in.find("\r\n\r\n")) == std::string::npos) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return false;
    in.append(buf, static_cast<std::size_t>(n));
  }
  std::string head = in.substr(0, head_end);
  std::string rest = in.substr(head_end + 4);
  std::size_t pos = head.find("\r\n");
  std::string first = head.substr(0, pos);
  auto sp1 = first.find(' '), sp2 = first.rfind(' ');
  r.method = first.substr(0, sp1);
  r.target = first.substr(sp1 + 1, sp2 - sp1 - 1);
  while (pos != std::string::npos) {
    std::size_t next = head.find("\r\n", pos + 2);
    std::string line =
        head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
    pos = next;
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    r.headers.emplace_back(line.substr(0, colon), value);
  }
  std::size_t length = r.has_header("Content-Length") ? std::stoul(r.header("Content-Length")) : 0;
  while (rest.size() < length) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return false;
    rest.append(buf, static_cast<std::size_t>(n));
  }
  r.body = rest.substr(0, length);
  return true;
}

}  // namespace

std::string recorded_request::header(std::string_view name) const {
  for (auto const& [k, v] : headers) {
    if (iequals(k, name)) return v;
  }
  return {};
}

bool recorded_request::has_header(std::string_view name) const {
  return std::any_of(headers.begin(), headers.end(),
                     [&](auto const& h) { return iequals(h.first, name); });
}

response response::events(std::string const& body, std::string const& extra_headers) {
  response r;
  r.send("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n" +
         extra_headers + "Connection: close\r\n\r\n" + body);
  return r;
}

response response::head(std::string const& status, std::string const& headers) {
  response r;
  r.send("HTTP/1.1 " + status + "\r\n" + headers + "Connection: close\r\n\r\n");
  return r;
}

scripted_server::scripted_server(std::vector<response> responses)
    : scripted_server([responses](std::size_t i, recorded_request const&) {
        return responses.at(std::min(i, responses.size() - 1));
      }) {}

scripted_server::scripted_server(script s) : script_(std::move(s)) {
  if (::pipe(stop_pipe_) != 0) throw std::runtime_error("pipe");
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::runtime_error("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 16) != 0) {
    throw std::runtime_error("bind/listen");
  }
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

scripted_server::~scripted_server() {
  stop();
  ::close(listen_fd_);
  ::close(stop_pipe_[0]);
  ::close(stop_pipe_[1]);
}

std::string scripted_server::url(std::string const& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

std::vector<recorded_request> scripted_server::requests() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return requests_;
}

void scripted_server::open_gate(int n) {
  {
    std::lock_guard<std::mutex> lock(gate_mutex_);
    gates_open_ = std::max(gates_open_, n);
  }
  gate_changed_.notify_all();
}

void scripted_server::stop() {
  if (stopping_.exchange(true)) return;
  {
    std::lock_guard<std::mutex> lock(gate_mutex_);  // no gate wait misses the news
  }
  gate_changed_.notify_all();
  char b = 1;
  [[maybe_unused]] auto n = ::write(stop_pipe_[1], &b, 1);
  acceptor_.join();
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    threads.swap(threads_);
  }
  for (auto& t : threads) t.join();
}

bool scripted_server::wait_stop(int ms) {
  pollfd pfd{stop_pipe_[0], POLLIN, 0};
  return ::poll(&pfd, 1, ms) > 0;
}

void scripted_server::accept_loop() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) continue;
    if (fds[1].revents != 0) return;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::lock_guard<std::mutex> lock(mutex_);
    std::size_t index = next_index_++;
    threads_.emplace_back([this, fd, index] { serve(fd, index); });
  }
}

void scripted_server::serve(int fd, std::size_t index) {
  recorded_request request;
  bool const read = read_request(fd, request);
  request.at = std::chrono::steady_clock::now();
  if (!read) {
    ::close(fd);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    requests_.push_back(request);
  }
  response r = script_(index, request);
  for (auto const& s : r.steps) {
    bool go_on = true;
    switch (s.what) {
      case response::step::kind::send:
        go_on = send_all(fd, s.bytes, &bytes_sent_);
        break;
      case response::step::kind::pause:
        go_on = !wait_stop(s.ms);
        break;
      case response::step::kind::gate: {
        std::unique_lock<std::mutex> lock(gate_mutex_);
        gate_changed_.wait(lock, [&] { return gates_open_ >= s.ms || stopping_; });
        go_on = !stopping_;
        break;
      }
      case response::step::kind::hold: {
        // Until the server stops or the client closes its end.
        pollfd fds[2] = {{stop_pipe_[0], POLLIN, 0}, {fd, POLLIN, 0}};
        for (;;) {
          ::poll(fds, 2, -1);
          if (fds[0].revents != 0) break;
          if (fds[1].revents != 0) {
            char buf[256];
            if (::recv(fd, buf, sizeof buf, 0) <= 0) break;
          }
        }
        go_on = false;
        break;
      }
    }
    if (!go_on) break;
  }
  ::shutdown(fd, SHUT_WR);
  ::close(fd);
}

}  // namespace sse::listen::test
