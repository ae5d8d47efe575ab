// A user of the installed sse::beast: serves one event over a loopback connection with
// sse/beast.hpp, closes the stream, and prints what its client received. run.sh builds it against
// an installed tree (find_package(sse COMPONENTS beast)) and checks the output.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <cstdio>
#include <sse/beast.hpp>
#include <string>
#include <string_view>
#include <thread>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

int main() {
  asio::io_context ioc;
  tcp::acceptor acceptor(ioc, {asio::ip::make_address("127.0.0.1"), 0});
  std::string received;
  // The client, on a thread of its own: a request, then everything up to the end of the stream.
  std::thread client([&received, to = acceptor.local_endpoint()] {
    asio::io_context client_ioc;
    tcp::socket socket(client_ioc);
    socket.connect(to);
    std::string_view const request = "GET /events?lastEventId=41 HTTP/1.1\r\nHost: x\r\n\r\n";
    asio::write(socket, asio::buffer(request));
    boost::system::error_code ec;
    asio::read(socket, asio::dynamic_buffer(received), ec);
  });

  beast::tcp_stream stream(acceptor.accept());
  beast::flat_buffer buffer;
  http::request<http::empty_body> request;
  http::read(stream, buffer, request);
  auto es = sse::beast::start_event_stream(std::move(stream), request);
  std::printf("last event id: %s\n", es->last_event_id().value_or("none").c_str());
  sse::event ev;
  ev.data = "hello";
  ev.id = "42";
  es->async_send(ev, [](boost::system::error_code ec) {
    std::printf("sent: %s\n", ec ? ec.message().c_str() : "ok");
  });
  es->async_close([](boost::system::error_code ec) {
    std::printf("closed: %s\n", ec ? ec.message().c_str() : "ok");
  });
  es.reset();
  ioc.run();
  client.join();

  std::string body = received.substr(received.find("\r\n\r\n") + 4);
  for (auto at = body.find_first_of("\r\n"); at != std::string::npos;
       at = body.find_first_of("\r\n", at + 2)) {
    body.replace(at, 1, body[at] == '\r' ? "\\r" : "\\n");
  }
  std::printf("body: %s\n", body.c_str());
  return 0;
}
