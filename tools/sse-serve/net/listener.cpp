#include "net/listener.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/socket_base.hpp>
#include <chrono>
#include <memory>

#include "common/diagnostics.hpp"
#include "common/endpoint.hpp"
#include "net/detect_session.hpp"

namespace sse::serve {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

listener::listener(asio::io_context& ioc, stream_context& ctx)
    : ioc_(ioc), acceptor_(ioc), retry_timer_(ioc), ctx_(ctx) {}

std::string listener::open(std::string const& host, std::uint16_t port) {
  error_code ec;
  std::string name = host;
  if (name.size() > 2 && name.front() == '[' && name.back() == ']')
    name = name.substr(1, name.size() - 2);
  tcp::endpoint endpoint;
  asio::ip::address address = asio::ip::make_address(name, ec);
  if (!ec) {
    endpoint = tcp::endpoint(address, port);
  } else {
    tcp::resolver resolver(ioc_);
    auto results = resolver.resolve(name, std::to_string(port), tcp::resolver::passive, ec);
    if (ec || results.empty()) return "cannot resolve host '" + host + "': " + ec.message();
    endpoint = results.begin()->endpoint();
  }
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return "cannot listen on " + url_of(endpoint).substr(7) + ": " + ec.message();
  }
  return {};
}

tcp::endpoint listener::local_endpoint() const {
  error_code ec;
  return acceptor_.local_endpoint(ec);
}

void listener::start() {
  accept();
}

void listener::stop() {
  stopped_ = true;
  error_code ignored;
  acceptor_.close(ignored);
  retry_timer_.cancel();
}

void listener::accept() {
  acceptor_.async_accept([this](error_code ec, tcp::socket socket) {
    if (stopped_) return;
    if (ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space ||
        ec == asio::error::no_memory) {
      // Out of file descriptors: wait for clients to leave rather than spin on the error.
      if (!ctx_.config.quiet && !short_of_descriptors_) {
        tools::warning("cannot accept connections: " + ec.message() +
                       "; waiting for clients to leave (raise the limit with ulimit -n)");
      }
      short_of_descriptors_ = true;
      retry_timer_.expires_after(std::chrono::milliseconds(100));
      retry_timer_.async_wait([this](error_code wait_ec) {
        if (!wait_ec && !stopped_) accept();
      });
      return;
    }
    if (!ec) {
      if (short_of_descriptors_ && ctx_.config.verbose) tools::info("accepting connections again");
      short_of_descriptors_ = false;
      error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      start_connection(std::move(socket), ctx_);
    }
    accept();
  });
}

std::string url_of(tcp::endpoint const& ep, bool tls) {
  return tools::endpoint_url(tls ? "https" : "http", ep.address().to_string(), ep.port());
}

}  // namespace sse::serve
