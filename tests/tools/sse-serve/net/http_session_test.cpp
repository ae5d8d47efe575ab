// http_session's routing over a real loopback connection: each request gets the documented
// answer (the page, 404, 405, preflights, HEAD, 204 after the end, turn-aways while stopping).
#include "net/http_session.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <string>
#include <thread>

namespace sse::serve {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

access_policy no_tokens() {
  access_report report;
  return std::move(*access_policy::load(access_config{}, report));
}

struct setup {
  setup()
      : history(10, 1 << 20),
        hub(history, {}, [this](std::function<void()> f) { asio::post(ioc, std::move(f)); }),
        ctx(hub, config, "<!DOCTYPE html><p>page</p>", policy) {}

  // Sends one request (which should ask to close) and returns everything the server sent.
  std::string exchange(std::string const& request) {
    tcp::acceptor acceptor(ioc, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    tcp::socket client(ioc);
    client.connect(acceptor.local_endpoint());
    tcp::socket server(ioc);
    acceptor.accept(server);
    std::make_shared<http_session>(std::move(server), ctx)->start();
    std::string response;
    std::thread peer([&] {
      asio::write(client, asio::buffer(request));
      client.shutdown(tcp::socket::shutdown_send);
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
  access_policy policy = no_tokens();
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

}  // namespace
}  // namespace sse::serve
