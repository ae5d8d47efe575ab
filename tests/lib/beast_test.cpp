// sse/beast.hpp over a loopback socket: the server side runs on its own io_context thread, the test
// thread is the client (blocking reads that give up at a deadline) and drives the event stream
// through completion handlers and use_future, from outside the stream's thread.
#include <gtest/gtest.h>

#include <boost/asio/detached.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <sse/beast.hpp>
#include <string>

#include "beast_loopback.hpp"

namespace {

using namespace sse_test;
using plain_stream = sse::beast::event_stream<beast::tcp_stream>;

constexpr std::string_view get11 = "GET /events HTTP/1.1\r\nHost: x\r\n\r\n";

// Closes the stream and checks the clean end: the last chunk, then the end of the connection.
void close_cleanly(loopback& t, std::shared_ptr<plain_stream> const& es) {
  outcome closed;
  es->async_close(closed.handler());
  t.client.read_to_eof();
  EXPECT_TRUE(t.client.eof);
  error_code ignored;
  t.client.socket().close(ignored);  // the teardown waits for this
  EXPECT_EQ(closed.get(), error_code());
}

// --- The shared pieces: head, chunks, Last-Event-ID ---

TEST(BeastHttp1, HeadWithCorsAndExtraHeaders) {
  EXPECT_EQ(sse::beast::stream_head(true, std::nullopt, {}), plain_head);
  EXPECT_EQ(sse::beast::stream_head(false, "*", {{"X-A", "1"}, {"X-B", ""}}),
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\nCache-Control: "
            "no-cache, no-transform\r\nX-Accel-Buffering: no\r\nConnection: close\r\n"
            "Access-Control-Allow-Origin: *\r\nX-A: 1\r\nX-B: \r\n\r\n");
  std::string const origin = sse::beast::stream_head(true, "https://a.example", {});
  EXPECT_NE(origin.find("Access-Control-Allow-Origin: https://a.example\r\nVary: Origin\r\n\r\n"),
            std::string::npos);
  EXPECT_NE(sse::beast::stream_head(true, std::nullopt, {}, "text/event-stream")
                .find("Content-Type: text/event-stream\r\n"),
            std::string::npos);
}

TEST(BeastHttp1, HeadRefusesFieldsThatWouldSplitIt) {
  EXPECT_THROW(sse::beast::stream_head(true, "a\r\nX-Evil: 1", {}), std::invalid_argument);
  EXPECT_THROW(sse::beast::stream_head(true, std::nullopt, {{"X-A", "1\n2"}}),
               std::invalid_argument);
  EXPECT_THROW(sse::beast::stream_head(true, std::nullopt, {{"X A", "1"}}), std::invalid_argument);
  EXPECT_THROW(sse::beast::stream_head(true, std::nullopt, {{"", "1"}}), std::invalid_argument);
  EXPECT_THROW(sse::beast::stream_head(true, std::nullopt, {{"X-A", std::string("a\0b", 3)}}),
               std::invalid_argument);
}

TEST(BeastHttp1, ChunkFraming) {
  std::string out;
  sse::beast::append_chunk(out, "data: x\n\n");
  EXPECT_EQ(out, "9\r\ndata: x\n\n\r\n");
  out.clear();
  sse::beast::append_chunk(out, "");  // a chunk of size 0 would end the body
  EXPECT_EQ(out, "");
  for (auto [size, line] : std::initializer_list<std::pair<std::size_t, std::string_view>>{
           {1, "1\r\n"},
           {15, "f\r\n"},
           {16, "10\r\n"},
           {255, "ff\r\n"},
           {4096, "1000\r\n"},
           {std::size_t{0xabcdef12}, "abcdef12\r\n"}}) {
    out.clear();
    sse::beast::append_chunk_size(out, size);
    EXPECT_EQ(out, line);
  }
  EXPECT_EQ(sse::beast::last_chunk, "0\r\n\r\n");
}

TEST(BeastHttp1, LastEventIdFromHeaderOrQuery) {
  using sse::beast::last_event_id;
  EXPECT_EQ(last_event_id(std::nullopt, "/events"), std::nullopt);
  EXPECT_EQ(last_event_id(std::nullopt, "/events?lastEventId=42"), "42");
  EXPECT_EQ(last_event_id(std::nullopt, "/e?topic=a&lastEventId=a%20b+c%2&x=1"), "a b c%2");
  EXPECT_EQ(last_event_id(std::nullopt, "/e?lastEventId"), "");
  EXPECT_EQ(last_event_id(std::nullopt, "/e?lastEventId=1&lastEventId=2"), "1");
  EXPECT_EQ(last_event_id(std::nullopt, "/e?lasteventid=1"), std::nullopt);
  EXPECT_EQ(last_event_id(std::nullopt, "/e?last%45ventId=7"), "7");
  // The header a reconnecting EventSource sends wins over the query of the page's first URL.
  EXPECT_EQ(last_event_id(std::string_view("9"), "/events?lastEventId=42"), "9");
  EXPECT_EQ(last_event_id(std::string_view(""), "/events?lastEventId=42"), "");

  http::request<http::empty_body> req(http::verb::get, "/e?lastEventId=5", 11);
  EXPECT_EQ(last_event_id(req), "5");
  req.set("last-event-id", "6");  // field names are case-insensitive
  EXPECT_EQ(last_event_id(req), "6");
}

// --- The stream on the wire ---

TEST(BeastStream, HeadBytesExactWithRetryAsTheFirstChunk) {
  loopback t;
  auto options = quiet();
  options.cors = "https://example.com";
  options.headers = {{"X-Extra", "1"}};
  options.retry = 2000;
  auto es = t.open(get11, options);
  EXPECT_TRUE(es->chunked());
  std::string const head =
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\nCache-Control: "
      "no-cache, no-transform\r\nX-Accel-Buffering: no\r\nConnection: keep-alive\r\n"
      "Transfer-Encoding: chunked\r\nAccess-Control-Allow-Origin: https://example.com\r\n"
      "Vary: Origin\r\nX-Extra: 1\r\n\r\n";
  std::string const retry = "d\r\nretry: 2000\n\n\r\n";
  ASSERT_TRUE(t.client.read_until(retry));
  EXPECT_EQ(t.client.received, head + retry);
  close_cleanly(t, es);
  EXPECT_EQ(t.client.received, head + retry + "0\r\n\r\n");
}

TEST(BeastStream, EventsAreChunksAndQueuedOnesShareOne) {
  loopback t;
  auto es = t.open(get11);
  outcome first;
  es->async_send("0", first.handler());
  ASSERT_EQ(first.get(), error_code());  // nothing is in flight now
  // Three sends in one go: the first is written at once, the other two wait for it and go
  // together, as one chunk.
  outcome a, b, c;
  asio::post(t.ioc(), [&] {
    es->async_send("1", a.handler());
    es->async_send("2", b.handler());
    sse::event ev;
    ev.data = "3\nthree";
    ev.type = "number";
    ev.id = "x3";
    ev.retry = 500;
    es->async_send(ev, c.handler());
  });
  EXPECT_EQ(a.get(), error_code());
  EXPECT_EQ(b.get(), error_code());
  EXPECT_EQ(c.get(), error_code());
  std::string const tail = "data: 2\n\nevent: number\nid: x3\nretry: 500\ndata: 3\ndata: three\n\n";
  ASSERT_TRUE(t.client.read_until(tail));
  EXPECT_EQ(t.client.received, std::string(plain_head) + "9\r\ndata: 0\n\n\r\n" +
                                   "9\r\ndata: 1\n\n\r\n" + "3e\r\n" + tail + "\r\n");
  close_cleanly(t, es);
}

TEST(BeastStream, CommentsAndUseFuture) {
  loopback t;
  auto es = t.open(get11);
  es->async_send_comment("hello\nthere", asio::use_future).get();
  ASSERT_TRUE(t.client.read_until(": hello\n: there\n"));
  EXPECT_EQ(t.client.received, std::string(plain_head) + "10\r\n: hello\n: there\n\r\n");
  close_cleanly(t, es);
  // After the end, a send fails with error::closed, through the future as a system_error.
  try {
    es->async_send("late", asio::use_future).get();
    ADD_FAILURE() << "a send after the close succeeded";
  } catch (boost::system::system_error const& e) {
    EXPECT_EQ(e.code(), sse::beast::error::closed);
  }
}

TEST(BeastStream, AnEventTheFormatCannotCarryFailsItsSend) {
  loopback t;
  auto es = t.open(get11);
  sse::event ev;
  ev.data = "x";
  ev.id = "a\nb";
  outcome bad;
  es->async_send(ev, bad.handler());
  error_code const ec = bad.get();
  EXPECT_EQ(ec, sse::encode_error::id_has_line_break);
  EXPECT_EQ(ec.message(), sse::to_string(sse::encode_error::id_has_line_break));
  close_cleanly(t, es);
  EXPECT_EQ(t.client.received, std::string(plain_head) + "0\r\n\r\n");
}

TEST(BeastStream, Http10IsCloseDelimited) {
  loopback t;
  auto es = t.open("GET /events HTTP/1.0\r\n\r\n");
  EXPECT_FALSE(es->chunked());
  outcome sent;
  es->async_send("x", sent.handler());
  EXPECT_EQ(sent.get(), error_code());
  close_cleanly(t, es);
  EXPECT_EQ(t.client.received,
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\nCache-Control: "
            "no-cache, no-transform\r\nX-Accel-Buffering: no\r\nConnection: close\r\n\r\n"
            "data: x\n\n");
}

TEST(BeastStream, HeadRequestGetsTheHeadAndTheEnd) {
  loopback t;
  auto es = t.open("HEAD /events HTTP/1.1\r\nHost: x\r\n\r\n");
  outcome ended;
  es->async_wait_closed(ended.handler());
  t.client.read_to_eof();
  EXPECT_EQ(t.client.received, plain_head);
  error_code ignored;
  t.client.socket().close(ignored);
  EXPECT_EQ(ended.get(), error_code());
}

TEST(BeastStream, LastEventIdFromTheRequest) {
  {
    loopback t;
    auto es = t.open("GET /events?lastEventId=q1 HTTP/1.1\r\nLast-Event-ID: h1\r\n\r\n");
    EXPECT_EQ(es->last_event_id(), "h1");
    close_cleanly(t, es);
  }
  {
    loopback t;
    auto es = t.open("GET /events?lastEventId=q%201 HTTP/1.1\r\n\r\n");
    EXPECT_EQ(es->last_event_id(), "q 1");
    close_cleanly(t, es);
  }
  {
    loopback t;
    auto es = t.open(get11);
    EXPECT_EQ(es->last_event_id(), std::nullopt);
    close_cleanly(t, es);
  }
}

TEST(BeastStream, PingsComeAtTheIntervalWhenNothingElseIsSent) {
  loopback t;
  auto options = quiet();
  options.ping_interval = 20ms;
  auto es = t.open(get11, options);
  std::string const ping = "7\r\n: ping\n\r\n";
  ASSERT_TRUE(t.client.read_until(std::string(ping) + ping));
  EXPECT_EQ(t.client.received.substr(0, plain_head.size() + ping.size()),
            std::string(plain_head) + ping);
  close_cleanly(t, es);
}

TEST(BeastStream, ClientLeavingIsNoticedAndLaterSendsFail) {
  loopback t;
  auto es = t.open(get11);
  outcome ended;
  es->async_wait_closed(ended.handler());
  ASSERT_TRUE(t.client.read_until(plain_head));
  t.client.socket().close();
  EXPECT_EQ(ended.get(), asio::error::eof);
  outcome late;
  es->async_send("late", late.handler());
  EXPECT_EQ(late.get(), sse::beast::error::closed);
  outcome closed;
  es->async_close(closed.handler());  // what ended the stream
  EXPECT_EQ(closed.get(), asio::error::eof);
}

// A large first event fills the small socket buffers while the client reads nothing: it stays in
// flight, and the queue stays full, until the client reads.
constexpr std::size_t large = std::size_t{4} << 20;

TEST(BeastStream, FullQueueFailsTheSendWhenAskedTo) {
  loopback t;
  auto options = quiet();
  options.queue_limit = 64 << 10;
  options.on_full = sse::beast::when_full::fail;
  auto es = t.open(get11, options, true);
  std::string const big(large, 'b');
  outcome sent_big, refused;
  es->async_send(big, sent_big.handler());
  es->async_send("refused", refused.handler());
  EXPECT_EQ(refused.get(), sse::beast::error::queue_full);
  EXPECT_FALSE(sent_big.ready());
  ASSERT_TRUE(t.client.read_until(big + "\n\n\r\n"));
  EXPECT_EQ(sent_big.get(), error_code());
  outcome after;
  es->async_send("after", after.handler());
  EXPECT_EQ(after.get(), error_code());
  ASSERT_TRUE(t.client.read_until("data: after\n\n"));
  EXPECT_EQ(t.client.received.find("refused"), std::string::npos);
  close_cleanly(t, es);
}

TEST(BeastStream, FullQueueHoldsTheSendsInOrderWhenAskedTo) {
  loopback t;
  auto options = quiet();
  options.queue_limit = 64 << 10;
  options.on_full = sse::beast::when_full::wait;
  auto es = t.open(get11, options, true);
  std::string const big(large, 'b');
  outcome sent_big, w1, w2;
  es->async_send(big, sent_big.handler());
  es->async_send("w1", w1.handler());
  es->async_send("w2", w2.handler());
  t.settle();
  // Nothing can have been written yet: the client has read nothing.
  EXPECT_FALSE(w1.ready());
  EXPECT_FALSE(w2.ready());
  ASSERT_TRUE(t.client.read_until("data: w2\n\n\r\n"));
  EXPECT_EQ(sent_big.get(), error_code());
  EXPECT_EQ(w1.get(), error_code());
  EXPECT_EQ(w2.get(), error_code());
  // Let in together once the large event was out: one chunk, in the order sent.
  EXPECT_NE(t.client.received.find(big + "\n\n\r\n14\r\ndata: w1\n\ndata: w2\n\n\r\n"),
            std::string::npos);
  close_cleanly(t, es);
}

TEST(BeastStream, ClientLeavingCancelsTheSendsStillQueued) {
  loopback t;
  auto options = quiet();
  options.queue_limit = 64 << 10;
  options.on_full = sse::beast::when_full::wait;
  auto es = t.open(get11, options, true);
  outcome ended, sent_big, held;
  es->async_wait_closed(ended.handler());
  es->async_send(std::string(large, 'b'), sent_big.handler());
  es->async_send("held", held.handler());
  t.settle();
  t.client.socket().close();  // unread data: a reset
  EXPECT_EQ(held.get(), asio::error::operation_aborted);
  EXPECT_NE(sent_big.get(), error_code());
  EXPECT_NE(ended.get(), error_code());
}

TEST(BeastStream, CloseDeliversWhatIsQueuedThenTheLastChunk) {
  loopback t;
  auto es = t.open(get11);
  outcome ended, first, closed, late;
  es->async_wait_closed(ended.handler());
  es->async_send("0", first.handler());
  ASSERT_EQ(first.get(), error_code());  // nothing is in flight now
  asio::post(t.ioc(), [&] {
    es->async_send("1", asio::detached);
    es->async_send("2", asio::detached);
    es->async_send("3", asio::detached);
    es->async_close(closed.handler());
    es->async_send("late", late.handler());
  });
  EXPECT_EQ(late.get(), sse::beast::error::closed);
  t.client.read_to_eof();
  t.client.socket().close();
  EXPECT_EQ(closed.get(), error_code());
  EXPECT_EQ(ended.get(), error_code());
  EXPECT_EQ(t.client.received, std::string(plain_head) +
                                   "9\r\ndata: 0\n\n\r\n9\r\ndata: 1\n\n\r\n" +
                                   "12\r\ndata: 2\n\ndata: 3\n\n\r\n0\r\n\r\n");
}

TEST(BeastStream, CloseGivesUpAtItsTimeout) {
  loopback t;
  auto options = quiet();
  options.close_timeout = 50ms;
  auto es = t.open(get11, options, true);
  outcome closed, sent_big;
  es->async_send(std::string(large, 'b'), sent_big.handler());
  es->async_close(closed.handler());  // the client reads nothing: the large event never leaves
  EXPECT_EQ(closed.get(), asio::error::timed_out);
  EXPECT_NE(sent_big.get(), error_code());
}

TEST(BeastStream, CloseWithoutTheLastChunk) {
  loopback t;
  auto es = t.open(get11);
  outcome ended;
  es->async_wait_closed(ended.handler());
  ASSERT_TRUE(t.client.read_until(plain_head));
  es->close();
  EXPECT_EQ(ended.get(), asio::error::operation_aborted);
  t.client.read_to_eof();
  EXPECT_EQ(t.client.received, plain_head);
}

// --- TLS: the same stream over beast::ssl_stream, with close_notify at the end ---

constexpr char test_cert[] = R"(-----BEGIN CERTIFICATE-----
MIIBgDCCASWgAwIBAgIUEg3Yo+ubs/CnQxBcxAuyAftG8OgwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEyOTIzMDgyMVoYDzIxMjYxMTA1
MjMwODIxWjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAARLfqkPtl4K/1UAv5PIRtztVZGSR8ujNLVmJMEBK6K8qM2kBBCGwHTR
akWi65b0JYnzMygz3SBj0iX/JdXL5kBTo1MwUTAdBgNVHQ4EFgQUDtvRzGmR08VO
vJPFoHONNFARcEEwHwYDVR0jBBgwFoAUDtvRzGmR08VOvJPFoHONNFARcEEwDwYD
VR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNJADBGAiEA9wUfKR5mR3ABjRJLtU0z
K9Kqcv0t5ARpTYykOhuM7UICIQCGG5cq+cHkwMUh1yFviWd0bF3ATuvZaWXEbhEv
hBU1DQ==
-----END CERTIFICATE-----
)";
constexpr char test_key[] = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgmEFAcIFygsO0sBud
hzFDdkiZreKLHyH1Qh9Xqlz3jmChRANCAARLfqkPtl4K/1UAv5PIRtztVZGSR8uj
NLVmJMEBK6K8qM2kBBCGwHTRakWi65b0JYnzMygz3SBj0iX/JdXL5kBT
-----END PRIVATE KEY-----
)";

using tls_stream = beast::ssl_stream<beast::tcp_stream>;

// The server side of a TLS connection: handshake, request, stream, all on the server thread.
struct tls_server : std::enable_shared_from_this<tls_server> {
  tls_stream stream;
  beast::flat_buffer buffer;
  http::request<http::empty_body> request;
  std::promise<std::shared_ptr<sse::beast::event_stream<tls_stream>>> started;

  tls_server(tcp::socket socket, asio::ssl::context& ctx) : stream(std::move(socket), ctx) {}

  void run() {
    stream.async_handshake(
        asio::ssl::stream_base::server, [self = shared_from_this()](error_code ec) {
          if (ec)
            return self->started.set_exception(
                std::make_exception_ptr(boost::system::system_error(ec)));
          http::async_read(self->stream, self->buffer, self->request,
                           [self](error_code read_ec, std::size_t) {
                             if (read_ec) {
                               return self->started.set_exception(
                                   std::make_exception_ptr(boost::system::system_error(read_ec)));
                             }
                             self->started.set_value(sse::beast::start_event_stream(
                                 std::move(self->stream), self->request, quiet()));
                           });
        });
  }
};

TEST(BeastStream, OverTlsWithCloseNotifyAtTheEnd) {
  loopback t;  // for its server thread; the client here is a TLS one
  asio::io_context& server_ioc = t.ioc();
  asio::ssl::context server_ctx(asio::ssl::context::tls_server);
  server_ctx.use_certificate_chain(asio::buffer(test_cert, sizeof test_cert - 1));
  server_ctx.use_private_key(asio::buffer(test_key, sizeof test_key - 1), asio::ssl::context::pem);
  asio::io_context client_ioc;
  asio::ssl::context client_ctx(asio::ssl::context::tls_client);  // verify_none: a test cert
  asio::ssl::stream<tcp::socket> client(client_ioc, client_ctx);

  tcp::acceptor acceptor(server_ioc, {asio::ip::make_address("127.0.0.1"), 0});
  client.next_layer().connect(acceptor.local_endpoint());
  tcp::socket accepted(server_ioc);
  acceptor.accept(accepted);
  auto server = std::make_shared<tls_server>(std::move(accepted), server_ctx);
  auto started = server->started.get_future();
  server->run();
  client.handshake(asio::ssl::stream_base::client);
  std::string const request = "GET /events HTTP/1.1\r\nHost: x\r\nLast-Event-ID: 7\r\n\r\n";
  asio::write(client, asio::buffer(request));
  ASSERT_EQ(started.wait_for(deadline), std::future_status::ready);
  auto es = started.get();
  EXPECT_EQ(es->last_event_id(), "7");

  es->async_send("over tls", asio::use_future).get();
  std::future<void> closed = es->async_close(asio::use_future);
  std::string received;
  error_code ec;
  char buffer[4096];
  while (!ec) {  // to the server's close_notify
    std::size_t const n = client.read_some(asio::buffer(buffer), ec);
    received.append(buffer, n);
  }
  EXPECT_EQ(ec, asio::error::eof);
  EXPECT_EQ(received, std::string(plain_head) + "10\r\ndata: over tls\n\n\r\n0\r\n\r\n");
  client.shutdown(ec);  // our close_notify completes the server's
  ASSERT_EQ(closed.wait_for(deadline), std::future_status::ready);
  EXPECT_NO_THROW(closed.get());
}

}  // namespace
