// chat: every client of GET /events gets each message POSTed to /say, with an id. A client that
// comes back with a Last-Event-ID (the header EventSource sends, or ?lastEventId=) first gets what
// it missed from the last 100 messages. One thread, so the room needs no lock.
//   usage: chat [PORT]   (listens on 127.0.0.1, port 8080 by default; 0 picks a free one)
//   try:   curl -N localhost:8080/events & curl -d 'hello' localhost:8080/say
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <set>
#include <sse/beast.hpp>
#include <string>
#include <string_view>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using event_stream = sse::beast::event_stream<beast::tcp_stream>;

class room {
 public:
  void join(std::shared_ptr<event_stream> const& es) {
    if (auto const& last = es->last_event_id()) {  // ids are 1, 2, 3...: resend the later ones
      std::uint64_t const after = std::strtoull(last->c_str(), nullptr, 10);
      for (auto const& [id, text] : history_)
        if (id > after) send(es, id, text);
    }
    clients_.insert(es);
    es->async_wait_closed([this, es](beast::error_code) { clients_.erase(es); });
  }

  void say(std::string text) {
    std::uint64_t const id = next_id_++;
    for (auto const& es : clients_) send(es, id, text);
    history_.emplace_back(id, std::move(text));
    if (history_.size() > 100) history_.pop_front();
  }

 private:
  static void send(std::shared_ptr<event_stream> const& es, std::uint64_t id,
                   std::string const& text) {
    std::string const id_text = std::to_string(id);
    sse::event ev;
    ev.data = text;
    ev.id = id_text;
    es->async_send(ev, [es](beast::error_code ec) {
      // Too far behind to keep up: drop it; it resumes from the history when it reconnects.
      if (ec == sse::beast::error::queue_full) es->close();
    });
  }

  std::set<std::shared_ptr<event_stream>> clients_;
  std::deque<std::pair<std::uint64_t, std::string>> history_;
  std::uint64_t next_id_ = 1;
};

struct session : std::enable_shared_from_this<session> {
  beast::tcp_stream stream;
  room& chat;
  beast::flat_buffer buffer;
  http::request<http::string_body> request;

  session(tcp::socket socket, room& r) : stream(std::move(socket)), chat(r) {}

  void read() {
    request = {};
    stream.expires_after(std::chrono::seconds(30));
    http::async_read(stream, buffer, request,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       if (!ec) self->respond();
                     });
  }

  void respond() {
    auto const path = request.target().substr(0, request.target().find('?'));
    if (request.method() == http::verb::get && path == "/events") {
      return chat.join(sse::beast::start_event_stream(std::move(stream), request));
    }
    bool const said = request.method() == http::verb::post && path == "/say";
    if (said) chat.say(std::move(request.body()));
    auto res = std::make_shared<http::response<http::string_body>>(
        said ? http::status::no_content : http::status::not_found, request.version());
    res->keep_alive(request.keep_alive());
    res->prepare_payload();
    http::async_write(stream, *res,
                      [self = shared_from_this(), res](beast::error_code ec, std::size_t) {
                        if (!ec && res->keep_alive()) self->read();
                      });
  }
};

void accept(tcp::acceptor& acceptor, room& chat) {
  acceptor.async_accept([&acceptor, &chat](beast::error_code ec, tcp::socket socket) {
    if (!ec) std::make_shared<session>(std::move(socket), chat)->read();
    accept(acceptor, chat);
  });
}

int main(int argc, char** argv) {
  unsigned short port = 8080;
  std::string_view const arg = argc > 1 ? argv[1] : "8080";
  auto const [end, error] = std::from_chars(arg.data(), arg.data() + arg.size(), port);
  if (argc > 2 || error != std::errc() || end != arg.data() + arg.size()) {
    std::fputs("usage: chat [PORT]\n", stderr);
    return 2;
  }
  asio::io_context ioc;
  tcp::acceptor acceptor(ioc, {asio::ip::make_address("127.0.0.1"), port});
  std::fprintf(stderr, "listening on http://127.0.0.1:%u/\n", acceptor.local_endpoint().port());
  room chat;
  accept(acceptor, chat);
  ioc.run();
}
