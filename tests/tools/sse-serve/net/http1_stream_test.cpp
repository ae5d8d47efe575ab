// http1_stream over a real loopback connection: the head and opening, chunk framing (HTTP/1.1) and
// close-delimited bodies (HTTP/1.0), and writes that coalesce a backlog: a client 10,000 events
// behind gets them in far fewer writes than events, exactly and in order.
#include "net/http1_stream.hpp"

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <sse/parser.hpp>
#include <string>
#include <thread>
#include <vector>

namespace sse::serve {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

access_policy no_tokens() {
  access_report report;
  return std::move(*access_policy::load(access_config{}, report));
}

// Decodes a chunked body; returns false when it is malformed or lacks its last chunk.
bool dechunk(std::string_view body, std::string& out) {
  while (true) {
    std::size_t line_end = body.find("\r\n");
    if (line_end == std::string_view::npos) return false;
    std::size_t size = std::stoul(std::string(body.substr(0, line_end)), nullptr, 16);
    body.remove_prefix(line_end + 2);
    if (size == 0) return body == "\r\n";
    if (body.size() < size + 2 || body.substr(size, 2) != "\r\n") return false;
    out.append(body.substr(0, size));
    body.remove_prefix(size + 2);
  }
}

struct setup {
  explicit setup(hub_config hc = {})
      : history(100, 1 << 20),
        hub(history, hc, [this](std::function<void()> f) { asio::post(ioc, std::move(f)); }),
        ctx(hub, config, "", policy) {}

  // A connected pair: the server side becomes the stream; the client side is read by a thread.
  std::shared_ptr<http1_stream> open(bool chunked) {
    tcp::acceptor acceptor(ioc, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    client.connect(acceptor.local_endpoint());
    tcp::socket server(ioc);
    acceptor.accept(server);
    auto s = std::make_shared<http1_stream>(std::move(server), ctx, chunked, "test");
    hub.attach(s, std::nullopt);
    return s;
  }

  // Reads until the server closes.
  std::string read_all() {
    std::string all;
    boost::system::error_code ec;
    asio::read(client, asio::dynamic_buffer(all), ec);
    return all;
  }

  asio::io_context ioc;
  http_config config;
  ring_history history;
  event_hub hub;
  access_policy policy = no_tokens();
  stream_context ctx;
  tcp::socket client{ioc};
};

std::string body_of(std::string const& response) {
  std::size_t head_end = response.find("\r\n\r\n");
  return head_end == std::string::npos ? std::string() : response.substr(head_end + 4);
}

TEST(Http1Stream, HeadOpeningAndChunkedFrames) {
  setup t;
  t.config.cors = "https://example.com";
  t.config.headers = {{"X-Extra", "1"}};
  t.config.retry = 2000;
  auto s = t.open(true);
  s->start();
  source_event ev;
  ev.data = "hello";
  t.hub.publish(ev);
  t.hub.flush();
  t.hub.end("eof");
  std::string response;
  std::thread reader([&] { response = t.read_all(); });
  t.ioc.run();
  reader.join();
  std::string head = response.substr(0, response.find("\r\n\r\n") + 4);
  EXPECT_EQ(
      head,
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache, "
      "no-transform\r\n"
      "X-Accel-Buffering: no\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n"
      "Access-Control-Allow-Origin: https://example.com\r\nVary: Origin\r\nX-Extra: 1\r\n\r\n");
  std::string body;
  ASSERT_TRUE(dechunk(body_of(response), body)) << response;
  EXPECT_EQ(body,
            ": sse-serve\nretry: 2000\n\nid: 1\ndata: hello\n\nevent: sse-end\ndata: "
            "{\"reason\":\"eof\"}\n\n");
  EXPECT_EQ(t.ctx.open_streams, 0u);
  EXPECT_EQ(t.hub.clients(), 0u);
}

// Publishes n events before the stream writes anything (it is n events behind), then runs.
void backlog(bool chunked) {
  setup t;
  auto s = t.open(chunked);
  constexpr int n = 10000;
  std::string large(40 << 10, 'L');  // one large frame in the middle goes by reference
  for (int i = 1; i <= n; ++i) {
    source_event ev;
    ev.data = i == n / 2 ? large : "event " + std::to_string(i);
    t.hub.publish(ev);
  }
  t.hub.end("eof");
  s->start();
  std::string response;
  std::thread reader([&] { response = t.read_all(); });
  t.ioc.run();
  reader.join();
  std::string body;
  if (chunked) {
    ASSERT_TRUE(dechunk(body_of(response), body));
  } else {
    body = body_of(response);
  }
  std::vector<owned_event> events = parse_all(body);
  ASSERT_EQ(events.size(), static_cast<std::size_t>(n) + 1);
  for (int i = 1; i <= n; ++i) {
    owned_event const& e = events[static_cast<std::size_t>(i - 1)];
    ASSERT_EQ(e.id, std::to_string(i));
    ASSERT_EQ(e.data, i == n / 2 ? large : "event " + std::to_string(i));
  }
  EXPECT_EQ(events.back().type, "sse-end");
  std::printf("%d events (%s) in %llu writes\n", n, chunked ? "chunked" : "HTTP/1.0",
              static_cast<unsigned long long>(s->writes()));
  EXPECT_LT(s->writes(), static_cast<std::uint64_t>(n / 100));
}

TEST(Http1Stream, ABacklogIsCoalescedIntoFewWritesChunked) {
  backlog(true);
}
TEST(Http1Stream, ABacklogIsCoalescedIntoFewWritesHttp10) {
  backlog(false);
}

TEST(Http1Stream, TheClientLeavingClosesTheStream) {
  setup t;
  auto s = t.open(true);
  s->start();
  t.client.close();
  t.ioc.run_for(std::chrono::seconds(10));
  EXPECT_EQ(t.ctx.open_streams, 0u);
  EXPECT_EQ(t.hub.clients(), 0u);
}

}  // namespace
}  // namespace sse::serve
