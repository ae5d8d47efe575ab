#include "net/detect_session.hpp"

#include <boost/asio/ssl/error.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/detect_ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "common/diagnostics.hpp"
#include "common/endpoint.hpp"
#include "net/h2_session.hpp"
#include "net/http_session.hpp"
#include "net/tls_stream.hpp"

namespace sse::serve {

namespace asio = boost::asio;
namespace beast = boost::beast;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr std::string_view h2_preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

std::chrono::steady_clock::duration seconds(double s) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(s));
}

class detect_session : public std::enable_shared_from_this<detect_session> {
 public:
  detect_session(tcp::socket socket, stream_context& ctx)
      : stream_(std::move(socket)), ctx_(ctx), tls_(ctx.tls) {
    error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    peer_ = ec ? "?" : tools::host_port(ep.address().to_string(), ep.port());
  }

  void start() {
    stream_.expires_after(seconds(ctx_.config.request_timeout));
    read_more();
  }

 private:
  enum class verdict { undecided, tls, h2, h1 };

  void read_more() {
    stream_.async_read_some(
        buffer_.prepare(1024),
        beast::bind_front_handler(&detect_session::on_read, shared_from_this()));
  }

  void on_read(error_code ec, std::size_t n) {
    buffer_.commit(n);
    if (ec) {
      // Gone (or silent past the deadline) before saying anything: nothing to answer.
      close();
      return;
    }
    switch (decide()) {
      case verdict::undecided:
        read_more();
        return;
      case verdict::tls:
        if (tls_) {
          handshake();
        } else {
          if (ctx_.config.verbose) {
            tools::info("client " + peer_ +
                        " sent a TLS handshake to this plaintext port (start with --tls-cert to "
                        "serve HTTPS); closed");
          }
          close();
        }
        return;
      case verdict::h2:
        if (tls_) {
          // An HTTP/2 client with prior knowledge cannot read an HTTP/1 answer either.
          if (ctx_.config.verbose)
            tools::info("client " + peer_ + " spoke plaintext HTTP/2 to the TLS port; closed");
          close();
        } else {
          start_h2_plain();
        }
        return;
      case verdict::h1:
        if (tls_) {
          plaintext_on_tls_port();
        } else {
          stream_.expires_never();
          std::make_shared<basic_http_session<beast::tcp_stream>>(std::move(stream_), ctx_,
                                                                  std::move(buffer_))
              ->start();
        }
        return;
    }
  }

  verdict decide() const {
    auto const data = buffer_.cdata();
    std::string_view bytes(static_cast<char const*>(data.data()), data.size());
    if (bytes.empty()) return verdict::undecided;
    if (bytes[0] == 0x16) {
      boost::tribool hello = beast::detail::is_tls_client_hello(data);
      if (boost::indeterminate(hello)) return verdict::undecided;
      if (hello) return verdict::tls;
      return verdict::h1;  // the HTTP parser will say what is wrong with it
    }
    std::size_t const n = std::min(bytes.size(), h2_preface.size());
    if (bytes.compare(0, n, h2_preface, 0, n) == 0)
      return n == h2_preface.size() ? verdict::h2 : verdict::undecided;
    return verdict::h1;
  }

  void handshake() {
    tls_stream_.emplace(std::move(stream_), *tls_);
    tls_stream_->async_handshake(
        asio::ssl::stream_base::server, buffer_.data(),
        beast::bind_front_handler(&detect_session::on_handshake, shared_from_this()));
  }

  void on_handshake(error_code ec, std::size_t used) {
    if (ec) {
      if (ctx_.config.verbose)
        tools::info("client " + peer_ + " TLS handshake failed: " + describe(ec));
      beast::get_lowest_layer(*tls_stream_).close();
      return;
    }
    buffer_.consume(used);
    std::string const alpn = alpn_selected(tls_stream_->native_handle());
    if (alpn == "h2") {
      start_h2_tls();
      return;
    }
    std::make_shared<basic_http_session<tls_stream>>(std::move(*tls_stream_), ctx_,
                                                     std::move(buffer_))
        ->start();
  }

  static std::string describe(error_code const& ec) {
    if (ec == beast::error::timeout) return "timed out";
    if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated)
      return "the client closed the connection (it may not trust the certificate)";
    return ec.message();
  }

  void start_h2_plain();
  void start_h2_tls();

  void plaintext_on_tls_port() {
    error_code ec;
    auto local = stream_.socket().local_endpoint(ec);
    std::string url = ec ? std::string("https://HOST:PORT/")
                         : tools::endpoint_url("https", local.address().to_string(), local.port());
    std::string body = "this port speaks HTTPS: use " + url + "\n";
    if (ctx_.config.verbose)
      tools::info("client " + peer_ + " sent plaintext HTTP to the TLS port; answered 400");
    reply_ =
        "HTTP/1.1 400 Bad Request\r\nServer: sse-serve\r\nContent-Type: text/plain; "
        "charset=utf-8\r\nConnection: close\r\nContent-Length: " +
        std::to_string(body.size()) + "\r\n\r\n" + body;
    asio::async_write(stream_, asio::buffer(reply_),
                      [self = shared_from_this()](error_code, std::size_t) { self->linger(); });
  }

  // Ends our side, then reads until the client closes (or 2 s): closing with its request unread
  // would reset the connection and could destroy the answer before it is read.
  void linger() {
    error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(std::chrono::seconds(2));
    buffer_.clear();
    drain();
  }

  void drain() {
    stream_.async_read_some(buffer_.prepare(4096),
                            [self = shared_from_this()](error_code ec, std::size_t) {
                              if (ec) {
                                self->close();
                                return;
                              }
                              self->buffer_.clear();
                              self->drain();
                            });
  }

  void close() {
    error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  std::optional<tls_stream> tls_stream_;
  beast::flat_buffer buffer_;
  stream_context& ctx_;
  tls_context tls_;  // the context this connection started with, whatever SIGHUP loads meanwhile
  std::string peer_;
  std::string reply_;
};

void detect_session::start_h2_plain() {
  start_h2_session(std::move(stream_), std::move(buffer_), ctx_);
}

void detect_session::start_h2_tls() {
  start_h2_session(std::move(*tls_stream_), std::move(buffer_), ctx_);
}

}  // namespace

void start_connection(tcp::socket socket, stream_context& ctx) {
  std::make_shared<detect_session>(std::move(socket), ctx)->start();
}

}  // namespace sse::serve
