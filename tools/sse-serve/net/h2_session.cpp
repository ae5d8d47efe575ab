#include "net/h2_session.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <memory>
#include <string_view>
#include <type_traits>
#include <utility>

#include "common/endpoint.hpp"
#include "net/buffer_view.hpp"
#include "net/h2_connection.hpp"
#include "net/tls_stream.hpp"

namespace sse::serve {

namespace asio = boost::asio;
namespace beast = boost::beast;
using boost::system::error_code;

namespace {

template <typename Stream>
std::string peer_of(Stream& stream) {
  error_code ec;
  auto ep = beast::get_lowest_layer(stream).socket().remote_endpoint(ec);
  std::string peer = ec ? "?" : tools::host_port(ep.address().to_string(), ep.port());
  return peer + (std::is_same_v<Stream, beast::tcp_stream> ? " (h2)" : " (h2 tls)");
}

template <typename Stream>
class h2_session final : public h2_connection,
                         public std::enable_shared_from_this<h2_session<Stream>> {
 public:
  h2_session(Stream stream, stream_context& ctx)
      : h2_connection(ctx, peer_of(stream)),
        stream_(std::move(stream)),
        timer_(beast::get_lowest_layer(stream_).get_executor()) {}

  void start(std::string_view already_read) {
    // The timeouts from here on are nghttp2's and the idle timer's.
    beast::get_lowest_layer(stream_).expires_never();
    ++context().counters.connections[1][std::is_same_v<Stream, beast::tcp_stream> ? 0 : 1];
    begin(already_read);
    read();
  }

 private:
  void read() {
    if (closed()) return;
    stream_.async_read_some(
        asio::buffer(input_),
        beast::bind_front_handler(&h2_session::on_read, this->shared_from_this()));
  }

  void on_read(error_code ec, std::size_t n) {
    if (ec) {
      transport_closed(ec == asio::error::eof ? "client closed the connection"
                                              : "client went away");
      return;
    }
    received(std::string_view(input_, n));
    read();
  }

  void start_write(std::vector<asio::const_buffer> const& buffers) override {
    asio::async_write(stream_, buffer_view{buffers.data(), buffers.data() + buffers.size()},
                      beast::bind_front_handler(&h2_session::on_write, this->shared_from_this()));
  }

  void on_write(error_code ec, std::size_t) { written(!ec); }

  void post_flush() override {
    asio::post(timer_.get_executor(), [self = this->shared_from_this()] { self->flush(); });
  }

  void arm_timer(std::chrono::steady_clock::duration d) override {
    timer_.expires_after(d);
    timer_.async_wait([self = this->shared_from_this()](error_code ec) {
      if (!ec) self->idle_expired();
    });
  }

  void cancel_timer() override { timer_.cancel(); }

  void close_transport() override {
    error_code ignored;
    auto& tcp = beast::get_lowest_layer(stream_);
    tcp.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    tcp.close();
  }

  Stream stream_;
  asio::steady_timer timer_;
  char input_[8192];
};

template <typename Stream>
void start(Stream stream, beast::flat_buffer buffer, stream_context& ctx) {
  auto session = std::make_shared<h2_session<Stream>>(std::move(stream), ctx);
  auto const data = buffer.cdata();
  session->start(std::string_view(static_cast<char const*>(data.data()), data.size()));
}

}  // namespace

void start_h2_session(beast::tcp_stream stream, beast::flat_buffer buffer, stream_context& ctx) {
  start(std::move(stream), std::move(buffer), ctx);
}

void start_h2_session(tls_stream stream, beast::flat_buffer buffer, stream_context& ctx) {
  start(std::move(stream), std::move(buffer), ctx);
}

}  // namespace sse::serve
