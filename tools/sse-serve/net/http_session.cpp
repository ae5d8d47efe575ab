#include "net/http_session.hpp"

#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>
#include <chrono>
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

std::string_view sv(beast::string_view s) {
  return std::string_view(s.data(), s.size());
}

template <typename Stream>
constexpr bool is_tls = !std::is_same_v<Stream, beast::tcp_stream>;

}  // namespace

request_view view_of(http::request<http::string_body> const& head) {
  request_view v;
  v.method = method_of(sv(head.method_string()));
  v.target = sv(head.target());
  auto value = [&head](http::field f) {
    auto it = head.find(f);
    return it == head.end() ? std::string_view() : sv(it->value());
  };
  v.authorization = value(http::field::authorization);
  v.cookie = value(http::field::cookie);
  v.accept = value(http::field::accept);
  if (auto it = head.find(http::field::content_type); it != head.end())
    v.content_type = sv(it->value());
  if (auto it = head.find("Last-Event-ID"); it != head.end()) v.last_event_id = sv(it->value());
  v.http10 = head.version() < 11;
  v.keep_alive = head.keep_alive();
  return v;
}

std::string http1_response(answer const& a) {
  std::string r = "HTTP/1.1 " + std::to_string(a.status) + " ";
  beast::string_view reason = http::obsolete_reason(http::int_to_status(a.status));
  r.append(reason.data(), reason.size()).append("\r\nServer: sse-serve\r\n");
  if (!a.content_type.empty()) r.append("Content-Type: ").append(a.content_type).append("\r\n");
  for (auto const& [name, value] : a.headers)
    r.append(name).append(": ").append(value).append("\r\n");
  if (!a.keep_alive) r.append("Connection: close\r\n");
  if (a.status != 204)
    r.append("Content-Length: ").append(std::to_string(a.body.size())).append("\r\n");
  r.append("\r\n");
  if (!a.head_only) r.append(a.body);
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
  read_request();
}

template <typename Stream>
void basic_http_session<Stream>::read_request() {
  parser_.emplace();
  parser_->header_limit(max_request_head);
  parser_->body_limit(max_request_body);
  beast::get_lowest_layer(stream_).expires_after(
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          std::chrono::duration<double>(ctx_.config.request_timeout)));
  http::async_read_header(
      stream_, buffer_, *parser_,
      beast::bind_front_handler(&basic_http_session::on_header, this->shared_from_this()));
}

template <typename Stream>
void basic_http_session<Stream>::on_header(error_code ec, std::size_t) {
  if (ec) {
    read_failed(ec);
    return;
  }
  auto const& req = parser_->get();
  request_view head = view_of(req);
  if (auto length = parser_->content_length()) head.content_length = *length;
  if (router_.is_publish(head)) {
    if (std::optional<answer> refused = router_.admit_publish(head, peer_)) {
      answer_with(*refused, head, head.http10);
      return;
    }
    parser_->body_limit(router_.body_limit(head));
    if (auto expect = req.find(http::field::expect);
        expect != req.end() && beast::iequals(expect->value(), "100-continue")) {
      // curl waits a second for this before sending a body over 1 KiB.
      static constexpr std::string_view go_on = "HTTP/1.1 100 Continue\r\n\r\n";
      asio::async_write(stream_, asio::buffer(go_on.data(), go_on.size()),
                        [self = this->shared_from_this()](error_code wec, std::size_t) {
                          if (wec) {
                            self->read_failed(wec);
                            return;
                          }
                          self->read_body();
                        });
      return;
    }
  }
  read_body();
}

template <typename Stream>
void basic_http_session<Stream>::read_body() {
  http::async_read(
      stream_, buffer_, *parser_,
      beast::bind_front_handler(&basic_http_session::on_read, this->shared_from_this()));
}

template <typename Stream>
void basic_http_session<Stream>::on_read(error_code ec, std::size_t) {
  if (ec) {
    read_failed(ec);
    return;
  }
  request req = parser_->release();
  parser_.reset();
  handle(req);
}

template <typename Stream>
void basic_http_session<Stream>::read_failed(error_code ec) {
  if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
      ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
      ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) {
    error_code ignored;
    beast::get_lowest_layer(stream_).socket().shutdown(asio::ip::tcp::socket::shutdown_both,
                                                       ignored);
    beast::get_lowest_layer(stream_).close();
    return;
  }
  if (ec == http::error::header_limit) {
    write_raw(http1_response(router_.head_too_large()), false);
    return;
  }
  if (ec == http::error::body_limit) {
    request_view head;
    if (parser_) head = view_of(parser_->get());
    write_raw(http1_response(router_.body_too_large(head)), false);
    return;
  }
  write_raw(http1_response(router_.bad_request(ec.message())), false);
}

template <typename Stream>
void basic_http_session<Stream>::handle(request const& req) {
  request_view view = view_of(req);
  view.body = req.body();
  answer a = router_.route(view, peer_);
  answer_with(a, view, view.http10);
}

template <typename Stream>
void basic_http_session<Stream>::answer_with(answer const& a, request_view const& view,
                                             bool http10) {
  switch (a.what) {
    case answer::kind::response:
      write_raw(http1_response(a), a.keep_alive);
      return;
    case answer::kind::stream_head:
      write_raw(http1_stream_head(ctx_.config, !http10), a.keep_alive);
      return;
    case answer::kind::turn_away: {
      std::string bytes = http1_stream_head(ctx_.config, !http10);
      if (!http10) {
        append_chunk(bytes, a.body);
        bytes += http1_last_chunk;
      } else {
        bytes += a.body;
      }
      write_raw(std::move(bytes), false);
      return;
    }
    case answer::kind::stream:
      start_stream(a, view, http10);
      return;
    case answer::kind::publish:
      // Answered at once, or once the shared store (--redis) has the events.
      router_.publish(view, peer_, [self = this->shared_from_this(), http10](answer later) {
        self->answer_with(later, request_view{}, http10);
      });
      return;
  }
}

template <typename Stream>
void basic_http_session<Stream>::start_stream(answer const& a, request_view const& view,
                                              bool http10) {
  beast::get_lowest_layer(stream_).expires_never();
  std::shared_ptr<event_stream> s;
  if constexpr (is_tls<Stream>) {
    auto tls =
        std::make_shared<basic_http1_stream<Stream>>(std::move(stream_), ctx_, !http10, peer_);
    router_.start_stream(tls, a, view);
    tls->start();
  } else {
    auto plain = std::make_shared<http1_stream>(stream_.release_socket(), ctx_, !http10, peer_);
    router_.start_stream(plain, a, view);
    plain->start();
  }
}

template <typename Stream>
void basic_http_session<Stream>::write_raw(std::string bytes, bool keep_alive) {
  response_ = std::move(bytes);
  asio::async_write(stream_, asio::buffer(response_),
                    beast::bind_front_handler(&basic_http_session::on_written,
                                              this->shared_from_this(), keep_alive));
}

template <typename Stream>
void basic_http_session<Stream>::on_written(bool keep_alive, error_code ec, std::size_t) {
  response_.clear();
  if (!ec && keep_alive && ctx_.state == stopping::no) {
    read_request();
    return;
  }
  linger_close();
}

template <typename Stream>
void basic_http_session<Stream>::linger_close() {
  // Closing with unread request bytes would send a reset that can destroy the response before
  // the client reads it (e.g. a 431 for a huge head): end our side, then drain until the client
  // closes or a short deadline passes. One deadline for the whole drain: a client trickling bytes
  // must not keep the socket forever.
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
