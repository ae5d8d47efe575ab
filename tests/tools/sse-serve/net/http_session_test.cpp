// http_session's routing over a real loopback connection: each request gets the documented
// answer (the page, 404, 405, preflights, HEAD, 204 after the end, turn-aways while stopping),
// and pipelined requests are answered in order, none after one that closes the connection.
#include "net/http_session.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
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

access_policy publish_token(std::string token) {
  access_config config;
  config.publish_token = std::move(token);
  access_report report;
  return std::move(*access_policy::load(config, report));
}

struct setup {
  explicit setup(access_policy p = no_tokens())
      : history(10, 1 << 20),
        hub(history, {}, [this](std::function<void()> f) { asio::post(ioc, std::move(f)); }),
        policy(std::move(p)),
        ctx(hub, config, "<!DOCTYPE html><p>page</p>", policy) {}

  // Sends request (one or several) and returns everything the server sent until it closed. With
  // half_close, the client ends its side after the request, as one that asks to close would.
  std::string exchange(std::string const& request, bool half_close = true) {
    tcp::acceptor acceptor(ioc, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    tcp::socket client(ioc);
    client.connect(acceptor.local_endpoint());
    tcp::socket server(ioc);
    acceptor.accept(server);
    std::make_shared<http_session>(std::move(server), ctx)->start();
    std::string response;
    std::thread peer([&] {
      asio::write(client, asio::buffer(request));
      if (half_close) client.shutdown(tcp::socket::shutdown_send);
      boost::system::error_code ec;
      asio::read(client, asio::dynamic_buffer(response), ec);
    });
    ioc.run();
    ioc.restart();
    peer.join();
    return response;
  }

  asio::io_context ioc;
  http_config config;
  ring_history history;
  event_hub hub;
  access_policy policy;
  stream_context ctx;
};

std::string status_line(std::string const& r) {
  return r.substr(0, r.find("\r\n"));
}
bool has_header(std::string const& r, std::string const& h) {
  return r.substr(0, r.find("\r\n\r\n") + 2).find("\r\n" + h + "\r\n") != std::string::npos;
}
std::string body(std::string const& r) {
  return r.substr(r.find("\r\n\r\n") + 4);
}

// The status lines and bodies of the responses in r, in order ("201 {...}"), read by their
// Content-Length.
std::vector<std::string> responses(std::string r) {
  std::vector<std::string> out;
  while (!r.empty()) {
    std::size_t const head_end = r.find("\r\n\r\n");
    if (head_end == std::string::npos) {
      out.push_back("incomplete: " + r);
      break;
    }
    std::string const head = r.substr(0, head_end + 2);
    std::size_t length = 0;
    if (std::size_t at = head.find("Content-Length: "); at != std::string::npos)
      length = std::stoul(head.substr(at + 16));
    std::string const status = head.substr(9, 3);
    out.push_back(status + " " + r.substr(head_end + 4, length));
    r.erase(0, head_end + 4 + length);
  }
  return out;
}

std::string post(std::string const& target, std::string const& data,
                 std::string const& extra = "") {
  return "POST " + target + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer secret\r\n" + extra +
         "Content-Type: text/plain\r\nContent-Length: " + std::to_string(data.size()) + "\r\n\r\n" +
         data;
}

TEST(HttpSession, ThePage) {
  setup t;
  std::string r = t.exchange("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_line(r), "HTTP/1.1 200 OK");
  EXPECT_TRUE(has_header(r, "Content-Type: text/html; charset=utf-8"));
  EXPECT_EQ(body(r), "<!DOCTYPE html><p>page</p>");
  r = t.exchange("HEAD /index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_line(r), "HTTP/1.1 200 OK");
  EXPECT_TRUE(body(r).empty());
  r = t.exchange("DELETE / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_line(r), "HTTP/1.1 405 Method Not Allowed");
  EXPECT_TRUE(has_header(r, "Allow: GET, HEAD"));
}

TEST(HttpSession, UnknownPathsAndMethods) {
  setup t;
  std::string r = t.exchange("GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_line(r), "HTTP/1.1 404 Not Found");
  EXPECT_NE(body(r).find("/events"), std::string::npos);
  r = t.exchange(
      "POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_line(r), "HTTP/1.1 405 Method Not Allowed");
  EXPECT_TRUE(has_header(r, "Allow: GET, HEAD, OPTIONS"));
  r = t.exchange("GARBAGE\r\n\r\n");
  EXPECT_EQ(status_line(r), "HTTP/1.1 400 Bad Request");
}

TEST(HttpSession, Preflights) {
  setup t;
  std::string r = t.exchange("OPTIONS /events HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_line(r), "HTTP/1.1 204 No Content");
  EXPECT_FALSE(has_header(r, "Access-Control-Allow-Origin: *"));
  t.config.cors = "*";
  r = t.exchange("OPTIONS /events HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(has_header(r, "Access-Control-Allow-Origin: *"));
  EXPECT_TRUE(has_header(
      r,
      "Access-Control-Allow-Headers: Last-Event-ID, Cache-Control, Accept, Authorization, "
      "Content-Type"));
}

TEST(HttpSession, HeadOfTheStreamHasNoBody) {
  setup t;
  std::string r = t.exchange("HEAD /events HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_line(r), "HTTP/1.1 200 OK");
  EXPECT_TRUE(has_header(r, "Content-Type: text/event-stream"));
  EXPECT_TRUE(body(r).empty());
  EXPECT_EQ(t.hub.clients(), 0u);
}

TEST(HttpSession, AfterTheEndOfInputTheStreamAnswers204) {
  setup t;
  t.ctx.state = stopping::end_of_input;
  std::string r =
      t.exchange("GET /events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n");
  EXPECT_EQ(status_line(r), "HTTP/1.1 204 No Content");
}

TEST(HttpSession, WhileShuttingDownEventSourcesAreToldToComeBack) {
  setup t;
  t.ctx.state = stopping::shutdown;
  std::string r =
      t.exchange("GET /events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n");
  EXPECT_EQ(status_line(r), "HTTP/1.1 200 OK");
  EXPECT_TRUE(has_header(r, "Transfer-Encoding: chunked"));
  EXPECT_NE(body(r).find("retry: "), std::string::npos);
  EXPECT_EQ(body(r).substr(body(r).size() - 5), "0\r\n\r\n");  // a clean end
  r = t.exchange("GET /events HTTP/1.0\r\nAccept: text/event-stream\r\n\r\n");
  EXPECT_EQ(status_line(r), "HTTP/1.1 200 OK");
  EXPECT_TRUE(has_header(r, "Connection: close"));
  EXPECT_NE(body(r).find("retry: "), std::string::npos);
  r = t.exchange("GET /events HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n");
  EXPECT_EQ(status_line(r), "HTTP/1.1 503 Service Unavailable");
  EXPECT_TRUE(has_header(r, "Retry-After: 5"));
}

TEST(HttpSession, WhoAcceptsAnEventStream) {
  EXPECT_TRUE(accepts_event_stream("text/event-stream"));
  EXPECT_TRUE(accepts_event_stream("Text/Event-Stream"));
  EXPECT_TRUE(accepts_event_stream("application/json, text/event-stream;q=0.5"));
  EXPECT_TRUE(accepts_event_stream(" text/event-stream ; charset=utf-8"));
  EXPECT_FALSE(accepts_event_stream("*/*"));
  EXPECT_FALSE(accepts_event_stream("text/*"));
  EXPECT_FALSE(accepts_event_stream("text/event-stream;q=0"));
  EXPECT_FALSE(accepts_event_stream("text/event-stream; q=0.000"));
  EXPECT_FALSE(accepts_event_stream("text/event-streams"));
  EXPECT_FALSE(accepts_event_stream(""));
}

TEST(HttpSession, PipelinedPublishesAreAnsweredInOrderInOneGo) {
  setup t(publish_token("secret"));
  // Three POSTs and a HEAD of the stream in one segment: the answers come in the order asked,
  // and the events were published in that order.
  std::string r = t.exchange(post("/events", "one") + post("/events/a", "two") +
                             "HEAD /events HTTP/1.1\r\nHost: x\r\n\r\n" +
                             post("/events", "three", "Connection: close\r\n"));
  std::vector<std::string> got = responses(r);
  ASSERT_EQ(got.size(), 4u) << r;
  EXPECT_EQ(got[0], "201 {\"ids\":[\"1\"]}\n");
  EXPECT_EQ(got[1], "201 {\"ids\":[\"2\"]}\n");
  EXPECT_EQ(got[2], "200 ");
  EXPECT_EQ(got[3], "201 {\"ids\":[\"3\"]}\n");
  EXPECT_EQ(t.hub.last_id(), "3");
  EXPECT_EQ(t.ctx.counters.publish_requests[201], 3u);
}

TEST(HttpSession, AFloodOfPipelinedPublishesIsAnsweredInOrder) {
  setup t(publish_token("secret"));
  // Far more than one read takes at first: the reads grow, and every answer still comes in order.
  std::string requests;
  for (int i = 1; i <= 1000; ++i) requests += post("/events/t" + std::to_string(i % 7), "e");
  requests += "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  std::vector<std::string> got = responses(t.exchange(requests));
  ASSERT_EQ(got.size(), 1001u);
  for (std::size_t i = 0; i < 1000; ++i)
    ASSERT_EQ(got[i], "201 {\"ids\":[\"" + std::to_string(i + 1) + "\"]}\n") << i;
  EXPECT_EQ(got[1000], "200 ok\n");
  EXPECT_EQ(t.hub.last_id(), "1000");
}

TEST(HttpSession, NothingIsAnsweredAfterARequestThatCloses) {
  setup t(publish_token("secret"));
  // A refused publish closes the connection (its body is not read): what follows is not
  // answered, nor published, though it came in the same segment.
  std::string refused =
      "POST /events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer wrong\r\n"
      "Content-Length: 3\r\n\r\nbad";
  std::vector<std::string> got =
      responses(t.exchange(post("/events", "one") + refused + post("/events", "two")));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], "201 {\"ids\":[\"1\"]}\n");
  EXPECT_EQ(got[1].substr(0, 4), "401 ");
  EXPECT_EQ(t.hub.last_id(), "1");
  // The same after a request that asks to close.
  got = responses(t.exchange("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" +
                             post("/events", "three")));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], "200 ok\n");
  EXPECT_EQ(t.hub.last_id(), "1");
}

TEST(HttpSession, ExpectContinueComesBeforeTheAnswer) {
  setup t(publish_token("secret"));
  std::string r = t.exchange(post("/events", "one", "Expect: 100-continue\r\n") +
                             post("/events", "two", "Connection: close\r\n"));
  EXPECT_EQ(r.substr(0, 25), "HTTP/1.1 100 Continue\r\n\r\n");
  std::vector<std::string> got = responses(r.substr(25));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], "201 {\"ids\":[\"1\"]}\n");
  EXPECT_EQ(got[1], "201 {\"ids\":[\"2\"]}\n");
}

TEST(HttpSession, TheFieldsTheRouterReadsAreFoundInAnyCaseAndAChunkedBodyIsJoined) {
  setup t(publish_token("secret"));
  // Field names in any case; the body in two chunks is one event's data.
  std::string r = t.exchange(
      "POST /events HTTP/1.1\r\nhost: x\r\nAUTHORIZATION: Bearer secret\r\n"
      "content-TYPE: text/plain\r\nTransfer-Encoding: chunked\r\nconnection: close\r\n\r\n"
      "3\r\none\r\n3\r\ntwo\r\n0\r\n\r\n");
  std::vector<std::string> got = responses(r);
  ASSERT_EQ(got.size(), 1u) << r;
  EXPECT_EQ(got[0], "201 {\"ids\":[\"1\"]}\n");
  std::vector<held_event> held = t.history.last(1);
  ASSERT_EQ(held.size(), 1u);
  EXPECT_EQ(held[0].data->payload(), "id: 1\ndata: onetwo\n\n");
  // The first Authorization counts; several Cookie fields are one cookie string, as over HTTP/2.
  got = responses(
      t.exchange("POST /events HTTP/1.1\r\nHost: x\r\nCookie: a=b\r\ncookie: sse_token=secret\r\n"
                 "Content-Length: 5\r\n\r\nthree" +
                 post("/events", "four", "Authorization: Bearer wrong\r\nConnection: close\r\n")));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], "201 {\"ids\":[\"2\"]}\n");
  EXPECT_EQ(got[1], "201 {\"ids\":[\"3\"]}\n");
}

TEST(RequestReader, KeepsTheFieldsTheRouterReads) {
  request_head head;
  request_reader reader(head);
  std::string const text =
      "GET /events/a?x=1 HTTP/1.0\r\nHost: x\r\nlast-event-id: 41\r\nAccept: text/event-stream\r\n"
      "Accept: text/html\r\nX-Other: y\r\nExpect: 100-CONTINUE\r\nCookie: a=1\r\n"
      "Cookie: b=2\r\nConnection: keep-alive\r\n\r\n";
  boost::beast::error_code ec;
  EXPECT_EQ(reader.put(boost::asio::buffer(text), ec), text.size());
  ASSERT_FALSE(ec) << ec.message();
  ASSERT_TRUE(reader.is_done());
  request_view v = head.view();
  EXPECT_EQ(v.method, http_method::get);
  EXPECT_EQ(v.target, "/events/a?x=1");
  EXPECT_TRUE(v.http10);
  EXPECT_TRUE(v.keep_alive);
  EXPECT_EQ(v.last_event_id.value_or("none"), "41");
  EXPECT_EQ(v.accept, "text/event-stream");
  EXPECT_EQ(v.cookie, "a=1; b=2");
  EXPECT_FALSE(v.content_type.has_value());
  EXPECT_TRUE(head.expect_continue);
  // The next request on the connection starts from nothing.
  request_reader next(head);
  std::string const second = "POST /events HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi";
  EXPECT_EQ(next.put(boost::asio::buffer(second), ec), second.size() - 2);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(next.put(boost::asio::buffer(second.substr(second.size() - 2)), ec), 2u);
  ASSERT_TRUE(next.is_done());
  v = head.view();
  EXPECT_EQ(v.method, http_method::post);
  EXPECT_FALSE(v.last_event_id.has_value());
  EXPECT_TRUE(v.cookie.empty());
  EXPECT_FALSE(head.expect_continue);
  EXPECT_EQ(v.body, "hi");
  EXPECT_FALSE(v.http10);
}

TEST(HttpSession, PublishBodiesUpToMaxPublish) {
  setup t(publish_token("secret"));
  // Larger than any other request's body may be (16 KiB), within --max-publish.
  std::string big(100'000, 'x');
  std::vector<std::string> got =
      responses(t.exchange(post("/events", big, "Connection: close\r\n")));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], "201 {\"ids\":[\"1\"]}\n");
  // Beyond it, 413 before the body is read; other requests keep the 16 KiB bound.
  t.config.max_publish = 1000;
  got = responses(t.exchange(post("/events", std::string(1001, 'x'))));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], "413 the body is larger than --max-publish (1000 bytes)\n");
  got = responses(t.exchange("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 20000\r\n\r\n"));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], "413 request body too large\n");
  EXPECT_EQ(t.hub.last_id(), "1");
}

TEST(HttpSession, ARequestCutShortIsABadRequest) {
  setup t;
  std::string r = t.exchange("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /hea");
  std::vector<std::string> got = responses(r);
  ASSERT_EQ(got.size(), 2u) << r;
  EXPECT_EQ(got[0], "200 ok\n");
  EXPECT_EQ(got[1].substr(0, 4), "400 ");
  EXPECT_NE(got[1].find("partial message"), std::string::npos);
}

TEST(HttpSession, AnIdleKeepAliveConnectionIsClosedAfterTheRequestTimeout) {
  setup t;
  t.config.request_timeout = 0.2;
  // The client keeps its side open: only the server's deadline ends the exchange.
  std::vector<std::string> got =
      responses(t.exchange("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", false));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], "200 ok\n");
}

}  // namespace
}  // namespace sse::serve
