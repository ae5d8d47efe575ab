#include "net/http_session.hpp"

#include <algorithm>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "common/endpoint.hpp"
#include "net/http1_stream.hpp"
#include "net/tls_stream.hpp"

namespace sse::serve {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;

namespace {

template <typename Stream>
constexpr bool is_tls = !std::is_same_v<Stream, beast::tcp_stream>;

}  // namespace

namespace {

void append_number(std::string& out, std::uint64_t n) {
  char digits[20];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, n);
  (void)ec;  // 20 digits hold any 64-bit number
  out.append(digits, static_cast<std::size_t>(end - digits));
}

}  // namespace

void append_http1_response(std::string& r, answer const& a) {
  r.append("HTTP/1.1 ");
  append_number(r, a.status);
  r.push_back(' ');
  beast::string_view reason = http::obsolete_reason(http::int_to_status(a.status));
  r.append(reason.data(), reason.size()).append("\r\nServer: sse-serve\r\n");
  if (!a.content_type.empty()) r.append("Content-Type: ").append(a.content_type).append("\r\n");
  for (auto const& [name, value] : a.headers)
    r.append(name).append(": ").append(value).append("\r\n");
  if (!a.keep_alive) r.append("Connection: close\r\n");
  if (a.status != 204) {
    r.append("Content-Length: ");
    append_number(r, a.body.size());
    r.append("\r\n");
  }
  r.append("\r\n");
  if (!a.head_only) r.append(a.body);
}

std::string http1_response(answer const& a) {
  std::string r;
  append_http1_response(r, a);
  return r;
}

template <typename Stream>
void basic_http_session<Stream>::init_peer() {
  if (!peer_.empty()) return;
  error_code ec;
  auto ep = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
  peer_ = ec ? "?" : tools::host_port(ep.address().to_string(), ep.port());
  peer_ += is_tls<Stream> ? " (h1 tls)" : " (h1)";
}

template <typename Stream>
void basic_http_session<Stream>::start() {
  ++ctx_.counters.connections[0][is_tls<Stream> ? 1 : 0];
  // The deadline is ours (arm_deadline), not Beast's per-operation one.
  beast::get_lowest_layer(stream_).expires_never();
  if constexpr (!is_tls<Stream>) {
    // Answers are written at once when the socket takes them (start_write), without a handler.
    error_code ignored;
    beast::get_lowest_layer(stream_).socket().non_blocking(true, ignored);
  }
  pump();
}

template <typename Stream>
void basic_http_session<Stream>::pump() {
  for (;;) {
    if (done_ || reading_ || writing_) return;
    if (!waiting_ && !closing_ && !stream_answer_) process_buffered();
    if (done_) return;
    // Whatever is answered goes out before the connection waits for anything else: the client
    // may be waiting for it, and a stream or a close must come after it.
    if (!out_.empty()) {
      start_write();
      continue;  // written at once, or writing_ until on_written pumps again
    }
    if (waiting_) return;  // the publish's answer pumps again
    if (closing_) {
      linger_close();
      return;
    }
    if (stream_answer_) {
      start_stream();
      return;
    }
    start_read();
    return;
  }
}

template <typename Stream>
void basic_http_session<Stream>::begin_request() {
  parser_.emplace(head_);
  parser_->header_limit(max_request_head);
  // Until the head is read, room for the largest body any request may have: the limit that
  // applies (router::body_limit) is set in on_header, once it is known what the request is.
  parser_->body_limit(std::max<std::uint64_t>(max_request_body, router_.body_limit_ceiling()));
  parser_->eager(false);  // stop after the head, so on_header runs before the body is taken
  head_done_ = false;
  // Requests taken from one read share its deadline: one clock read per read, not per request.
  if (!armed_this_pass_) arm_deadline();
  armed_this_pass_ = true;
}

template <typename Stream>
void basic_http_session<Stream>::process_buffered() {
  in_process_ = true;
  armed_this_pass_ = false;
  while (!waiting_ && !closing_ && !stream_answer_ && !done_) {
    if (!parser_) begin_request();
    if (buffer_.size() == 0) break;  // need more bytes
    error_code ec;
    std::size_t const used = parser_->put(buffer_.data(), ec);
    buffer_.consume(used);
    if (ec == http::error::need_more) {
      if (used > 0) continue;  // the start line was taken: the fields follow in what is left
      break;
    }
    if (ec) {
      fail(ec);
      break;
    }
    if (parser_->is_header_done() && !head_done_) {
      head_done_ = true;
      if (!on_header()) break;
      parser_->eager(true);
    }
    if (parser_->is_done()) handle_request();
  }
  in_process_ = false;
}

template <typename Stream>
bool basic_http_session<Stream>::on_header() {
  request_view head = head_.view();
  if (auto length = parser_->content_length()) head.content_length = *length;
  if (router_.is_publish(head)) {
    if (std::optional<answer> refused = router_.admit_publish(head, peer_)) {
      answer_with(*refused, head, head.http10);
      return false;
    }
    if (head_.expect_continue) {
      // curl waits a second for this before sending a body over 1 KiB. It leaves before the
      // connection reads the body (pump writes what is answered before reading).
      out_.append("HTTP/1.1 100 Continue\r\n\r\n");
    }
  } else if (head.content_length && *head.content_length > max_request_body) {
    answer_with(router_.body_too_large(head), head, head.http10);
    return false;
  }
  parser_->body_limit(router_.body_limit(head));
  return true;
}

template <typename Stream>
void basic_http_session<Stream>::handle_request() {
  request_view view = head_.view();
  answer a = router_.route(view, peer_);
  answer_with(a, view, view.http10);
  // A stream keeps the request (its view) until it starts.
  if (!stream_answer_) parser_.reset();
}

template <typename Stream>
void basic_http_session<Stream>::fail(error_code ec) {
  if (ec == http::error::header_limit) {
    answer_with(router_.head_too_large(), request_view{}, false);
    return;
  }
  if (ec == http::error::body_limit) {
    request_view head;
    if (parser_) head = head_.view();
    answer_with(router_.body_too_large(head), head, false);
    return;
  }
  answer_with(router_.bad_request(ec.message()), request_view{}, false);
}

template <typename Stream>
void basic_http_session<Stream>::answer_with(answer const& a, request_view const& view,
                                             bool http10) {
  switch (a.what) {
    case answer::kind::response:
      append_http1_response(out_, a);
      answered(a.keep_alive);
      return;
    case answer::kind::stream_head:
      out_ += http1_stream_head(ctx_.config, !http10);
      answered(a.keep_alive);
      return;
    case answer::kind::turn_away: {
      out_ += http1_stream_head(ctx_.config, !http10);
      if (!http10) {
        append_chunk(out_, a.body);
        out_ += http1_last_chunk;
      } else {
        out_ += a.body;
      }
      answered(false);
      return;
    }
    case answer::kind::stream:
      http10_ = http10;
      stream_answer_ = a;
      return;
    case answer::kind::publish:
      // Answered at once, or once the shared store (--redis) has the events. The handler holds
      // only the session, small enough for std::function to keep without an allocation.
      waiting_ = true;
      router_.publish(view, peer_, [self = this->shared_from_this()](answer later) {
        self->waiting_ = false;
        self->answer_with(later, request_view{}, false);
        if (!self->in_process_) {
          self->arm_deadline();  // the answer's write gets the time a request gets
          self->pump();
        }
      });
      return;
  }
}

template <typename Stream>
void basic_http_session<Stream>::answered(bool keep_alive) {
  // A request after one that closes the connection is not answered, even if it was sent.
  if (!keep_alive || ctx_.state != stopping::no) closing_ = true;
}

template <typename Stream>
void basic_http_session<Stream>::start_write() {
  sending_.clear();
  std::swap(sending_, out_);
  if constexpr (!is_tls<Stream>) {
    // Most answers fit the socket's buffer: written now, no handler to run.
    auto& socket = beast::get_lowest_layer(stream_).socket();
    error_code ec;
    std::size_t const n = socket.write_some(asio::buffer(sending_), ec);
    if (ec && ec != asio::error::would_block && ec != asio::error::try_again) {
      done_ = true;
      close_now();
      return;
    }
    if (!ec && n == sending_.size()) {
      sending_.clear();
      return;
    }
    writing_ = true;
    asio::async_write(
        socket, asio::buffer(sending_.data() + (ec ? 0 : n), sending_.size() - (ec ? 0 : n)),
        beast::bind_front_handler(&basic_http_session::on_written, this->shared_from_this()));
  } else {
    writing_ = true;
    asio::async_write(
        stream_, asio::buffer(sending_),
        beast::bind_front_handler(&basic_http_session::on_written, this->shared_from_this()));
  }
}

template <typename Stream>
void basic_http_session<Stream>::on_written(error_code ec, std::size_t) {
  writing_ = false;
  sending_.clear();
  if (done_) return;
  if (ec) {
    linger_close();
    return;
  }
  pump();
}

template <typename Stream>
void basic_http_session<Stream>::start_read() {
  reading_ = true;
  std::size_t const room = std::max(read_size_, buffer_.capacity() - buffer_.size());
  auto handler = beast::bind_front_handler(&basic_http_session::on_read, this->shared_from_this());
  if constexpr (!is_tls<Stream>) {
    beast::get_lowest_layer(stream_).socket().async_read_some(buffer_.prepare(room),
                                                              std::move(handler));
  } else {
    stream_.async_read_some(buffer_.prepare(room), std::move(handler));
  }
}

template <typename Stream>
void basic_http_session<Stream>::on_read(error_code ec, std::size_t bytes) {
  reading_ = false;
  if (done_) return;
  // A read that filled its room leaves more behind: a publisher pushing hard. Taking all of its
  // requests at once is what lets one flush of the hub carry several events to each client
  // (per-client writes, not parsing, are the cost then); a connection that sends little keeps
  // its small buffer.
  if (bytes >= read_size_ && read_size_ < max_read_size) read_size_ *= 2;
  buffer_.commit(bytes);
  if (ec == asio::error::eof && parser_ && parser_->got_some()) {
    // A request cut short: what Beast's read says of it ("partial message").
    error_code eof_ec;
    parser_->put_eof(eof_ec);
    if (eof_ec) {
      fail(eof_ec);
      pump();
      return;
    }
  }
  if (ec) {
    // The client left (or timed out, or the server is stopping): nothing to answer.
    done_ = true;
    close_now();
    return;
  }
  pump();
}

template <typename Stream>
void basic_http_session<Stream>::start_stream() {
  done_ = true;
  deadline_timer_.cancel();
  answer const a = std::move(*stream_answer_);
  stream_answer_.reset();
  request_view view = head_.view();
  if constexpr (!is_tls<Stream>) {
    auto plain = std::make_shared<http1_stream>(beast::get_lowest_layer(stream_).release_socket(),
                                                ctx_, !http10_, peer_);
    router_.start_stream(plain, a, view);
    plain->start();
  } else {
    auto tls =
        std::make_shared<basic_http1_stream<Stream>>(std::move(stream_), ctx_, !http10_, peer_);
    router_.start_stream(tls, a, view);
    tls->start();
  }
}

template <typename Stream>
void basic_http_session<Stream>::arm_deadline() {
  deadline_ = clock::now() + std::chrono::duration_cast<clock::duration>(
                                 std::chrono::duration<double>(ctx_.config.request_timeout));
  if (timer_waiting_) return;  // it finds the new deadline when it fires
  timer_waiting_ = true;
  deadline_timer_.expires_at(deadline_);
  deadline_timer_.async_wait(
      [weak = std::weak_ptr<basic_http_session>(this->shared_from_this())](error_code ec) {
        if (auto self = weak.lock()) self->on_deadline(ec);
      });
}

template <typename Stream>
void basic_http_session<Stream>::on_deadline(error_code ec) {
  timer_waiting_ = false;
  if (ec || done_) return;
  if (clock::now() < deadline_) {
    timer_waiting_ = true;
    deadline_timer_.expires_at(deadline_);
    deadline_timer_.async_wait(
        [weak = std::weak_ptr<basic_http_session>(this->shared_from_this())](error_code wec) {
          if (auto self = weak.lock()) self->on_deadline(wec);
        });
    return;
  }
  // Too slow: a request not sent in time, or an answer the client does not read. Closed
  // without a response, as Beast's timeout did; the pending operation ends with an error.
  if (reading_ || writing_) {
    done_ = true;
    close_now();
  }
}

template <typename Stream>
void basic_http_session<Stream>::close_now() {
  deadline_timer_.cancel();
  error_code ignored;
  beast::get_lowest_layer(stream_).socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  beast::get_lowest_layer(stream_).close();
}

template <typename Stream>
void basic_http_session<Stream>::linger_close() {
  // Closing with unread request bytes would send a reset that can destroy the response before
  // the client reads it (e.g. a 431 for a huge head): end our side, then drain until the client
  // closes or a short deadline passes. One deadline for the whole drain: a client trickling bytes
  // must not keep the socket forever.
  done_ = true;
  deadline_timer_.cancel();
  auto& tcp = beast::get_lowest_layer(stream_);
  tcp.expires_after(std::chrono::seconds(2));
  buffer_.clear();
  if constexpr (is_tls<Stream>) {
    // close_notify, then Asio reads until the client's (or the deadline).
    stream_.async_shutdown([self = this->shared_from_this()](error_code) {
      beast::get_lowest_layer(self->stream_).close();
    });
  } else {
    error_code ignored;
    tcp.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    drain();
  }
}

template <typename Stream>
void basic_http_session<Stream>::drain() {
  stream_.async_read_some(buffer_.prepare(4096),
                          [self = this->shared_from_this()](error_code ec, std::size_t) {
                            if (ec) {
                              beast::get_lowest_layer(self->stream_).close();
                              return;
                            }
                            self->buffer_.clear();
                            self->drain();
                          });
}

template class basic_http_session<beast::tcp_stream>;
template class basic_http_session<tls_stream>;

}  // namespace sse::serve
