// What the request and HTTP/2 fuzz targets share: one exchange with a server connection over a
// real loopback socket on a fresh io_context. The client sends the bytes, ends its side and reads
// until the server closes; a server that neither closes within 5 s nor leaves the io_context
// idle after the client closed aborts the run (libFuzzer keeps the input).
#ifndef SSE_FUZZ_LOOPBACK_EXCHANGE_HPP
#define SSE_FUZZ_LOOPBACK_EXCHANGE_HPP

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>

namespace sse::fuzz {

[[noreturn]] inline void fail(char const* target, char const* what, std::string const& received) {
  std::fprintf(stderr, "%s: %s (%zu bytes received)\n%s\n", target, what, received.size(),
               received.c_str());
  std::abort();
}

// Everything the server sent. loop points at the exchange's io_context while it runs (the hub's
// post function needs it). start takes the accepted socket and starts the server's side;
// on_read sees what was received so far after each read (e.g. to end a stream that opened).
inline std::string loopback_exchange(char const* target, std::string const& request,
                                     boost::asio::io_context*& loop,
                                     std::function<void(boost::asio::ip::tcp::socket)> const& start,
                                     std::function<void(std::string const&)> const& on_read = {}) {
  namespace asio = boost::asio;
  using asio::ip::tcp;
  std::string received;
  bool done = false;
  // Declared after everything the server's objects refer to (the caller's), so it (and every
  // session and stream its handlers own) goes first.
  asio::io_context ioc;
  loop = &ioc;
  tcp::acceptor acceptor(ioc, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  tcp::socket client(ioc);
  // All asynchronous: libFuzzer's timeout alarm interrupts blocking calls (EINTR), which the
  // reactor retries and a synchronous connect does not.
  acceptor.async_accept([&](boost::system::error_code ec, tcp::socket server) {
    if (ec) fail(target, "accept failed", ec.message());
    acceptor.close();
    start(std::move(server));
  });
  std::function<void()> read_more;
  client.async_connect(acceptor.local_endpoint(), [&](boost::system::error_code ec) {
    if (ec) fail(target, "connect failed", ec.message());
    asio::async_write(client, asio::buffer(request),
                      [&](boost::system::error_code wec, std::size_t) {
                        // The server may close first (a 431, a GOAWAY): a refused rest is no
                        // fault.
                        client.shutdown(tcp::socket::shutdown_send, wec);
                        read_more();
                      });
  });
  std::string chunk(4096, '\0');
  read_more = [&] {
    client.async_read_some(asio::buffer(chunk), [&](boost::system::error_code rec, std::size_t n) {
      received.append(chunk, 0, n);
      if (rec) {
        done = true;
        client.set_option(asio::socket_base::linger(true, 0), rec);
        client.close(rec);
        return;
      }
      if (on_read) on_read(received);
      read_more();
    });
  };
  ioc.run_for(std::chrono::seconds(5));
  if (!done) fail(target, "the server neither answered nor closed within 5 s", received);
  ioc.restart();
  ioc.run_for(std::chrono::seconds(5));
  if (!ioc.stopped())
    fail(target, "the server left work pending after the client closed", received);
  loop = nullptr;
  return received;
}

}  // namespace sse::fuzz

#endif
