// client: reads an event stream with Beast's response parser and libsse's parser. Each piece of
// the body goes to sse::parser as it arrives (chunked or not), so an event is printed as soon as
// its blank line is in. Prints each event's data, after "TYPE: " for a type other than message.
//   usage: client HOST PORT TARGET [COUNT]   (COUNT: stop after that many events)
//   try:   client 127.0.0.1 8080 /hello 3
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <limits>
#include <sse/parser.hpp>
#include <string>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

class printer final : public sse::handler {
 public:
  explicit printer(long count) : left_(count) {}
  sse::action on_event(sse::event_view const& ev) override {
    if (ev.type != "message")
      std::printf("%.*s: ", static_cast<int>(ev.type.size()), ev.type.data());
    std::printf("%.*s\n", static_cast<int>(ev.data.size()), ev.data.data());
    std::fflush(stdout);
    return --left_ == 0 ? sse::action::stop : sse::action::proceed;
  }
  bool done() const { return left_ == 0; }

 private:
  long left_;  // negative: no limit
};

int main(int argc, char** argv) try {
  long const count = argc > 4 ? std::atol(argv[4]) : -1;
  if (argc < 4 || argc > 5 || count == 0 || count < -1) {
    std::fputs("usage: client HOST PORT TARGET [COUNT]\n", stderr);
    return 2;
  }
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.connect(tcp::resolver(ioc).resolve(argv[1], argv[2]));

  http::request<http::empty_body> request(http::verb::get, argv[3], 11);
  request.set(http::field::host, argv[1]);
  request.set(http::field::accept, "text/event-stream");
  http::write(stream, request);

  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> response;
  // A stream may go on for ever. (Not boost::none: Boost 1.74 then refuses any Content-Length.)
  response.body_limit(std::numeric_limits<std::uint64_t>::max());
  http::read_header(stream, buffer, response);
  auto const type = response.get()[http::field::content_type];
  if (response.get().result() != http::status::ok || type.substr(0, 17) != "text/event-stream") {
    std::fprintf(stderr, "client: error: expected a 200 event stream, got %u %s\n",
                 response.get().result_int(), std::string(type).c_str());
    return 1;
  }

  printer print(count);
  sse::parser events(print);
  char body[4096];
  while (!response.is_done() && !print.done()) {
    response.get().body().data = body;
    response.get().body().size = sizeof body;
    beast::error_code ec;
    http::read_some(stream, buffer, response, ec);  // returns with what has arrived
    if (ec && ec != http::error::need_buffer) throw beast::system_error(ec);
    events.feed({body, sizeof body - response.get().body().size});
  }
  events.finish();
  return 0;
} catch (std::exception const& e) {
  std::fprintf(stderr, "client: error: %s\n", e.what());
  return 1;
}
