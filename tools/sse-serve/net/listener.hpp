// Accepts connections and hands each to start_connection (net/detect_session.hpp). Running out of
// file descriptors pauses accepting briefly instead of spinning or failing, with one warning per
// shortage, not per accept.
#ifndef SSE_SERVE_NET_LISTENER_HPP
#define SSE_SERVE_NET_LISTENER_HPP

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <string>

#include "net/stream_context.hpp"

namespace sse::serve {

class listener {
 public:
  listener(boost::asio::io_context& ioc, stream_context& ctx);

  // Binds and listens; returns an error message, or an empty string on success.
  std::string open(std::string const& host, std::uint16_t port);
  boost::asio::ip::tcp::endpoint local_endpoint() const;
  void start();
  void stop();

 private:
  void accept();

  boost::asio::io_context& ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_timer_;
  stream_context& ctx_;
  bool stopped_ = false;
  bool short_of_descriptors_ = false;  // warned about the current shortage already
};

// "http://HOST:PORT/" (or https://) with an IPv6 address in brackets.
std::string url_of(boost::asio::ip::tcp::endpoint const& ep, bool tls = false);

}  // namespace sse::serve

#endif
