// hello: aiohttp_sse's README example with Boost.Beast and sse/beast.hpp. GET /index serves a
// page whose EventSource shows the latest event; GET /hello streams "foo 0" to "foo 99", one a
// second, then ends the stream.
//   usage: hello [PORT]   (listens on 127.0.0.1, port 8080 by default; 0 picks a free one)
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <charconv>
#include <cstdio>
#include <memory>
#include <sse/beast.hpp>
#include <string>
#include <string_view>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using event_stream = sse::beast::event_stream<beast::tcp_stream>;

constexpr char page[] = R"(<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>hello</title></head>
<body>
  <h1>Response from server:</h1>
  <div id="response"></div>
  <script>
    const source = new EventSource("/hello");
    source.onmessage = (e) => { document.getElementById("response").textContent = e.data; };
  </script>
</body>
</html>
)";

// Sends "foo i", then a second later "foo i+1", up to "foo 99"; then ends the stream.
void count(std::shared_ptr<event_stream> es, std::shared_ptr<asio::steady_timer> timer, int i) {
  if (i == 100) return es->async_close(asio::detached);
  std::string const data = "foo " + std::to_string(i);
  es->async_send(data, [es, timer, i](beast::error_code ec) {
    if (ec) return;  // the client went away
    timer->expires_after(std::chrono::seconds(1));
    timer->async_wait([es, timer, i](beast::error_code) { count(es, timer, i + 1); });
  });
}

// One connection: requests are read and answered in turn until one of them becomes a stream.
struct session : std::enable_shared_from_this<session> {
  beast::tcp_stream stream;
  beast::flat_buffer buffer;
  http::request<http::string_body> request;

  explicit session(tcp::socket socket) : stream(std::move(socket)) {}

  void read() {
    request = {};
    stream.expires_after(std::chrono::seconds(30));
    http::async_read(stream, buffer, request,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       if (!ec) self->respond();
                     });
  }

  void respond() {
    if (request.target() == "/hello") {
      auto es = sse::beast::start_event_stream(std::move(stream), request);
      count(es, std::make_shared<asio::steady_timer>(es->get_executor()), 0);
      return;
    }
    bool const found = request.target() == "/index";
    auto res = std::make_shared<http::response<http::string_body>>(
        found ? http::status::ok : http::status::not_found, request.version());
    res->set(http::field::content_type, found ? "text/html; charset=utf-8" : "text/plain");
    res->body() = found ? page : "not found\n";
    res->keep_alive(request.keep_alive());
    res->prepare_payload();
    http::async_write(stream, *res,
                      [self = shared_from_this(), res](beast::error_code ec, std::size_t) {
                        if (!ec && res->keep_alive()) self->read();
                      });
  }
};

void accept(tcp::acceptor& acceptor) {
  acceptor.async_accept([&acceptor](beast::error_code ec, tcp::socket socket) {
    if (!ec) std::make_shared<session>(std::move(socket))->read();
    accept(acceptor);
  });
}

int main(int argc, char** argv) {
  unsigned short port = 8080;
  std::string_view const arg = argc > 1 ? argv[1] : "8080";
  auto const [end, error] = std::from_chars(arg.data(), arg.data() + arg.size(), port);
  if (argc > 2 || error != std::errc() || end != arg.data() + arg.size()) {
    std::fputs("usage: hello [PORT]\n", stderr);
    return 2;
  }
  asio::io_context ioc;
  tcp::acceptor acceptor(ioc, {asio::ip::make_address("127.0.0.1"), port});
  std::fprintf(stderr, "listening on http://127.0.0.1:%u/\n", acceptor.local_endpoint().port());
  accept(acceptor);
  ioc.run();
}
