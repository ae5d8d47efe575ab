// One HTTP/1.x connection until it becomes an event stream (or closes): reads requests with Beast's
// parser (head size and body limits), asks the router (net/router.hpp) what each gets, and writes
// that. What a stream sends is not here but in http1_stream. One implementation over plain TCP and
// over TLS, both instantiated in http_session.cpp.
#ifndef SSE_SERVE_NET_HTTP_SESSION_HPP
#define SSE_SERVE_NET_HTTP_SESSION_HPP

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "net/router.hpp"
#include "net/stream_context.hpp"

namespace sse::serve {

// Stream: boost::beast::tcp_stream, or tls_stream (net/tls_stream.hpp).
template <typename Stream>
class basic_http_session final : public std::enable_shared_from_this<basic_http_session<Stream>> {
 public:
  // buffer: bytes already read from the connection (while telling its protocol).
  template <typename S>
  basic_http_session(S&& stream, stream_context& ctx, boost::beast::flat_buffer buffer = {},
                     std::string peer = {})
      : stream_(std::forward<S>(stream)),
        buffer_(std::move(buffer)),
        ctx_(ctx),
        router_(ctx),
        peer_(std::move(peer)) {
    init_peer();
  }
  void start();

 private:
  using request = boost::beast::http::request<boost::beast::http::string_body>;
  using request_header = boost::beast::http::request_header<>;

  void init_peer();
  void read_request();
  void on_header(boost::system::error_code ec, std::size_t bytes);
  void read_body();
  void on_read(boost::system::error_code ec, std::size_t bytes);
  void read_failed(boost::system::error_code ec);
  void handle(request const& req);
  void answer_with(answer const& a, request_view const& view, bool http10);
  void start_stream(answer const& a, request_view const& view, bool http10);
  void write_raw(std::string bytes, bool keep_alive);
  void on_written(bool keep_alive, boost::system::error_code ec, std::size_t bytes);
  void linger_close();
  void drain();

  Stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  std::string response_;  // the response being written
  stream_context& ctx_;
  router router_;
  std::string peer_;
};

using http_session = basic_http_session<boost::beast::tcp_stream>;

// The fields of a request head the router reads, as views into it.
request_view view_of(boost::beast::http::request<boost::beast::http::string_body> const& head);

// A complete HTTP/1.1 response for an answer of kind response (or HEAD), as bytes.
std::string http1_response(answer const& a);

}  // namespace sse::serve

#endif
