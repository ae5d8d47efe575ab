#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <memory>
#include <stdexcept>
#include <utility>

#include "test_support.hpp"

namespace sse::serve::test {

bool response_head::chunked() const {
  return header("transfer-encoding").find("chunked") != std::string::npos;
}

std::string response_head::header(std::string const& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

class http_client::collector final : public sse::handler {
 public:
  explicit collector(http_client& c) : c_(c) {}
  sse::action on_event(sse::event_view const& ev) override {
    c_.events_.push_back({std::string(ev.type), std::string(ev.data), std::string(ev.id)});
    return sse::action::proceed;
  }
  void on_retry(std::uint64_t ms) override { c_.retries_.push_back(ms); }
  void on_comment(std::string_view text) override { c_.comments_.emplace_back(text); }

 private:
  http_client& c_;
};

http_client::http_client(std::uint16_t port, int receive_buffer) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error("socket");
  if (receive_buffer > 0) {
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    throw std::runtime_error("connect failed");
  }
  collector_ = std::make_unique<collector>(*this);
  sse::parser_options po;
  po.comments = true;
  po.max_event_size = 0;
  parser_ = std::make_unique<sse::parser>(*collector_, po);
}

http_client::~http_client() {
  if (fd_ >= 0) ::close(fd_);
}

void http_client::send(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // the server may close early (e.g. 431); the response tells the rest
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

void http_client::get(std::string const& target, std::vector<std::string> const& headers,
                      std::string const& method, std::string const& version) {
  std::string req = method + " " + target + " " + version + "\r\nHost: 127.0.0.1\r\n";
  for (auto const& h : headers) req += h + "\r\n";
  req += "\r\n";
  send(req);
}

bool http_client::read_more(clock::time_point until) {
  if (closed_) return false;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - clock::now()).count();
  if (left <= 0) return false;
  pollfd p{fd_, POLLIN, 0};
  int r = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 200)));
  if (r <= 0) return true;  // nothing yet; the caller checks the deadline
  char buf[65536];
  ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
  if (n <= 0) {
    closed_ = true;
    return false;
  }
  raw_.append(buf, static_cast<std::size_t>(n));
  return true;
}

response_head http_client::read_head(clock::time_point until) {
  std::size_t end;
  while ((end = raw_.find("\r\n\r\n")) == std::string::npos) {
    if (!read_more(until) && (closed_ || clock::now() >= until)) {
      throw std::runtime_error("no complete response head; got: " + raw_.substr(0, 200));
    }
  }
  response_head head;
  std::string text = raw_.substr(0, end);
  raw_.erase(0, end + 4);
  std::size_t line_end = text.find("\r\n");
  std::string status_line = text.substr(0, line_end);
  head.status = std::stoi(status_line.substr(status_line.find(' ') + 1));
  while (line_end != std::string::npos) {
    std::size_t start = line_end + 2;
    line_end = text.find("\r\n", start);
    std::string line =
        text.substr(start, line_end == std::string::npos ? std::string::npos : line_end - start);
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    head.headers[name] = value;
  }
  head_done_ = true;
  chunked_ = head.chunked();
  return head;
}

std::string http_client::read_body(response_head const& head, clock::time_point until) {
  std::string length = head.header("content-length");
  if (!length.empty()) {
    std::size_t n = std::stoul(length);
    while (raw_.size() < n && (read_more(until) || (!closed_ && clock::now() < until))) {
    }
    std::string body = raw_.substr(0, n);
    raw_.erase(0, std::min(n, raw_.size()));
    return body;
  }
  while (read_more(until) || (!closed_ && clock::now() < until)) {
  }
  return std::exchange(raw_, {});
}

// Moves what raw_ holds of the body into the SSE parser, undoing chunked framing on the way.
void http_client::take_body() {
  if (!chunked_) {
    body_bytes_ += raw_.size();
    parser_->feed(raw_);
    raw_.clear();
    return;
  }
  while (!last_chunk_seen_) {
    std::size_t eol = raw_.find("\r\n");
    if (eol == std::string::npos) return;
    std::size_t size = std::stoul(raw_.substr(0, eol), nullptr, 16);
    if (size == 0) {
      if (raw_.size() < eol + 4) return;  // wait for the final CRLF too
      last_chunk_seen_ = true;
      raw_.erase(0, eol + 4);
      return;
    }
    if (raw_.size() < eol + 2 + size + 2) return;
    std::string_view chunk(raw_.data() + eol + 2, size);
    if (raw_.compare(eol + 2 + size, 2, "\r\n") != 0) throw std::runtime_error("bad chunk framing");
    body_bytes_ += size;
    parser_->feed(chunk);
    raw_.erase(0, eol + 2 + size + 2);
  }
}

bool http_client::read_events(std::size_t n, clock::time_point until) {
  if (!head_done_) throw std::runtime_error("read_head first");
  for (;;) {
    take_body();
    if (events_.size() >= n) return true;
    if (!read_more(until) && (closed_ || clock::now() >= until)) {
      take_body();
      return events_.size() >= n;
    }
  }
}

bool http_client::read_to_close(clock::time_point until) {
  for (;;) {
    if (head_done_) take_body();
    if (!read_more(until)) {
      if (head_done_) take_body();
      if (closed_) return true;
      if (clock::now() >= until) return false;
    }
  }
}

bool http_client::wait_open(clock::time_point until) {
  for (;;) {
    take_body();
    if (!comments_.empty()) return true;
    if (!read_more(until) && (closed_ || clock::now() >= until)) return false;
  }
}

}  // namespace sse::serve::test
