// End-to-end: the real sse-serve binary on a free loopback port, real sockets, libsse parsing what
// arrives. Assertions are on counts and content; every wait has a deadline; nothing is timed.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "test_support.hpp"

namespace sse::serve::test {
namespace {

std::vector<owned_event> numbered(int from, int to, std::string const& prefix = "") {
  std::vector<owned_event> out;
  for (int i = from; i <= to; ++i)
    out.push_back({"message", prefix + std::to_string(i), std::to_string(i)});
  return out;
}

std::string lines(int from, int to, std::string const& prefix = "") {
  std::string out;
  for (int i = from; i <= to; ++i) out += prefix + std::to_string(i) + "\n";
  return out;
}

// Opens a stream and waits until the server has attached it (its opening comment arrived).
std::unique_ptr<http_client> open_stream(server_process& s, std::string const& target = "/events",
                                         std::vector<std::string> const& headers = {}) {
  auto c = std::make_unique<http_client>(s.port());
  c->get(target, headers);
  response_head head = c->read_head(deadline());
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(c->wait_open(deadline()));
  return c;
}

TEST(Serve, LinesArriveInOrderWithIds) {
  server_process s({});
  auto c = std::make_unique<http_client>(s.port());
  c->get("/events");
  response_head head = c->read_head(deadline());
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.header("content-type"), "text/event-stream");
  EXPECT_EQ(head.header("cache-control"), "no-cache, no-transform");
  EXPECT_EQ(head.header("x-accel-buffering"), "no");
  EXPECT_TRUE(head.chunked());
  ASSERT_TRUE(c->wait_open(deadline()));
  s.write_stdin(lines(1, 50, "line "));
  ASSERT_TRUE(c->read_events(50, deadline()));
  EXPECT_EQ(c->events(), numbered(1, 50, "line "));
}

TEST(Serve, Utf8AndOneMebibyteLinesIntact) {
  server_process s({"--event", "text"});
  auto c = open_stream(s);
  std::string big(std::size_t{1} << 20, 'x');
  for (std::size_t i = 0; i < big.size(); i += 1000)
    big[i] = static_cast<char>('a' + (i / 1000) % 26);
  std::string too_big(std::size_t{1} << 20 | 1, 'y');
  s.write_stdin("h\xc3\xa9llo w\xc3\xb6rld \xe2\x9c\x93 \xf0\x9f\x98\x80\r\n");
  s.write_stdin(big + "\n");
  s.write_stdin("broken \xff\xfe utf-8\n");
  s.write_stdin(too_big + "\n");
  s.write_stdin("after\n");
  ASSERT_TRUE(c->read_events(4, deadline()));
  ASSERT_EQ(c->events().size(), 4u);
  EXPECT_EQ(c->events()[0],
            (owned_event{"text", "h\xc3\xa9llo w\xc3\xb6rld \xe2\x9c\x93 \xf0\x9f\x98\x80", "1"}));
  EXPECT_EQ(c->events()[1].data, big);
  EXPECT_EQ(c->events()[2].data, "broken \xef\xbf\xbd\xef\xbf\xbd utf-8");
  EXPECT_EQ(c->events()[3], (owned_event{"text", "after", "4"}));
  EXPECT_TRUE(s.wait_stderr("stdin line 4: longer than --max-line", deadline()));
}

TEST(Serve, JsonFormat) {
  server_process s({"--format", "json"});
  auto c = open_stream(s);
  s.write_stdin(R"({"event":"greet","data":"hello","id":"g1"})"
                "\n"
                "not json\n"
                R"({"data":"two\nlines","retry":2500})"
                "\n"
                R"({"data":{"k":[1,2]}})"
                "\n");
  ASSERT_TRUE(c->read_events(3, deadline()));
  EXPECT_EQ(c->events(), (std::vector<owned_event>{{"greet", "hello", "g1"},
                                                   {"message", "two\nlines", "2"},
                                                   {"message", R"({"k":[1,2]})", "3"}}));
  EXPECT_EQ(c->retries(), (std::vector<std::uint64_t>{2500}));
  EXPECT_TRUE(s.wait_stderr("sse-serve: warning: stdin line 2: not valid JSON", deadline()));
}

TEST(Serve, SseFormat) {
  server_process s({"--format", "sse"});
  auto c = open_stream(s);
  s.write_stdin(
      "event: a\ndata: x\nid: 7\n\n: a comment\ndata: y1\ndata: y2\n\nid: q\ndata: z\n\n");
  ASSERT_TRUE(c->read_events(3, deadline()));
  EXPECT_EQ(c->events(), (std::vector<owned_event>{
                             {"a", "x", "7"}, {"message", "y1\ny2", "2"}, {"message", "z", "q"}}));
}

TEST(Serve, TypesAreAnnouncedToThePage) {
  server_process s({"--format", "json"});
  auto page = open_stream(s, "/events?types=1");
  auto plain = open_stream(s);
  s.write_stdin(R"({"event":"a","data":"1"})"
                "\n"
                R"({"event":"b","data":"2"})"
                "\n");
  ASSERT_TRUE(page->read_events(4, deadline()));
  ASSERT_TRUE(plain->read_events(2, deadline()));
  EXPECT_EQ(page->events()[0], (owned_event{"sse-types", R"(["a"])", ""}));
  EXPECT_EQ(page->events()[2], (owned_event{"sse-types", R"(["b"])", "1"}));
  EXPECT_EQ(plain->events(), (std::vector<owned_event>{{"a", "1", "1"}, {"b", "2", "2"}}));
}

TEST(Serve, SeveralClientsEachGetEverything) {
  server_process s({});
  std::vector<std::unique_ptr<http_client>> clients;
  for (int i = 0; i < 8; ++i) clients.push_back(open_stream(s));
  s.write_stdin(lines(1, 200));
  for (auto& c : clients) {
    ASSERT_TRUE(c->read_events(200, deadline()));
    EXPECT_EQ(c->events(), numbered(1, 200));
  }
}

TEST(Serve, LastEventIdResumesWithoutGapOrDuplicate) {
  server_process s({});
  auto watcher = open_stream(s);
  s.write_stdin(lines(1, 10));
  ASSERT_TRUE(watcher->read_events(10, deadline()));  // all ten are published and held

  auto by_header = open_stream(s, "/events", {"Last-Event-ID: 4"});
  auto by_query = open_stream(s, "/events?x=1&lastEventId=7");
  // The header wins over the query, as for a browser's reconnect of a page that used the query.
  auto both = open_stream(s, "/events?lastEventId=2", {"Last-Event-ID: 9"});
  s.write_stdin(lines(11, 12));
  ASSERT_TRUE(by_header->read_events(8, deadline()));
  ASSERT_TRUE(by_query->read_events(5, deadline()));
  ASSERT_TRUE(both->read_events(3, deadline()));
  EXPECT_EQ(by_header->events(), numbered(5, 12));
  EXPECT_EQ(by_query->events(), numbered(8, 12));
  EXPECT_EQ(both->events(), numbered(10, 12));
}

TEST(Serve, BacklogForNewClientsIsOptIn) {
  server_process s({"--backlog", "3"});
  auto watcher = open_stream(s);
  s.write_stdin(lines(1, 10));
  ASSERT_TRUE(watcher->read_events(10, deadline()));
  auto fresh = open_stream(s);
  auto resuming = open_stream(s, "/events", {"Last-Event-ID: 9"});
  s.write_stdin("11\n");
  ASSERT_TRUE(fresh->read_events(4, deadline()));
  ASSERT_TRUE(resuming->read_events(2, deadline()));
  EXPECT_EQ(fresh->events(), numbered(8, 11));
  EXPECT_EQ(resuming->events(), numbered(10, 11));  // the id wins over the backlog
}

TEST(Serve, ResetEventWhenTheIdIsNotHeldThenEverythingStillHeld) {
  server_process s({"--history", "3"});
  auto watcher = open_stream(s);
  s.write_stdin(lines(1, 10));
  ASSERT_TRUE(watcher->read_events(10, deadline()));
  auto expired = open_stream(s, "/events", {"Last-Event-ID: 2"});
  auto unknown = open_stream(s, "/events?lastEventId=from-another-run");
  auto held = open_stream(s, "/events", {"Last-Event-ID: 8"});
  // Reconnecting from where a reset places a client (just before the oldest event held) loses
  // nothing and gets no second reset.
  auto placed = open_stream(s, "/events", {"Last-Event-ID: 7"});
  s.write_stdin("11\n");
  ASSERT_TRUE(expired->read_events(5, deadline()));
  ASSERT_TRUE(unknown->read_events(5, deadline()));
  ASSERT_TRUE(held->read_events(3, deadline()));
  // Events 3..7 are gone: the reset says exactly that many, and places the client just before the
  // oldest one held (7), which then follow, then live events.
  std::vector<owned_event> want{{"sse-reset", R"({"reason":"expired","missed":5})", "7"}};
  for (owned_event const& e : numbered(8, 11)) want.push_back(e);
  EXPECT_EQ(expired->events(), want);
  want[0] = {"sse-reset", R"({"reason":"unknown"})", "7"};
  EXPECT_EQ(unknown->events(), want);
  EXPECT_EQ(held->events(), numbered(9, 11));
  ASSERT_TRUE(placed->read_events(4, deadline()));
  EXPECT_EQ(placed->events(), numbered(8, 11));
}

TEST(Serve, RetryAndPingOnTheWire) {
  server_process s({"--retry", "1500", "--ping", "0.2"});
  auto c = open_stream(s);
  EXPECT_EQ(c->retries(), (std::vector<std::uint64_t>{1500}));
  auto until = deadline();
  while (c->comments().size() < 3 && clock::now() < until)
    c->read_events(1, clock::now() + std::chrono::milliseconds(200));
  ASSERT_GE(c->comments().size(), 3u);
  EXPECT_EQ(c->comments()[0], " sse-serve");
  EXPECT_EQ(c->comments()[1], " ping");
  EXPECT_EQ(c->comments()[2], " ping");
  EXPECT_TRUE(c->events().empty());
}

TEST(Serve, CorsPreflightAndExtraHeaders) {
  server_process s(
      {"--cors", "https://example.com", "--header", "X-Test: yes", "--header", "X-Other:two"});
  http_client pre(s.port());
  pre.get("/events",
          {"Origin: https://example.com", "Access-Control-Request-Method: GET",
           "Access-Control-Request-Headers: last-event-id"},
          "OPTIONS");
  response_head p = pre.read_head(deadline());
  EXPECT_EQ(p.status, 204);
  EXPECT_EQ(p.header("access-control-allow-origin"), "https://example.com");
  EXPECT_NE(p.header("access-control-allow-methods").find("GET"), std::string::npos);
  EXPECT_NE(p.header("access-control-allow-headers").find("Last-Event-ID"), std::string::npos);

  http_client c(s.port());
  c.get("/events", {"Origin: https://example.com"});
  response_head h = c.read_head(deadline());
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.header("access-control-allow-origin"), "https://example.com");
  EXPECT_EQ(h.header("x-test"), "yes");
  EXPECT_EQ(h.header("x-other"), "two");
}

TEST(Serve, ErrorsAndTheServerGoesOn) {
  server_process s({});
  struct probe {
    std::string request;
    int status;
  };
  std::vector<probe> probes{
      {"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", 404},
      {"POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi", 405},
      {"DELETE / HTTP/1.1\r\nHost: x\r\n\r\n", 405},
      {"THIS IS NOT HTTP\r\n\r\n", 400},
      {"GET /events HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(64 * 1024, 'a') + "\r\n\r\n",
       431},
  };
  for (auto const& pr : probes) {
    http_client c(s.port());
    c.send(pr.request);
    response_head h = c.read_head(deadline());
    EXPECT_EQ(h.status, pr.status) << pr.request.substr(0, 30);
    EXPECT_FALSE(c.read_body(h, deadline()).empty()) << "a short body explains the status";
  }
  http_client page(s.port());
  page.get("/");
  response_head ph = page.read_head(deadline());
  EXPECT_EQ(ph.status, 200);
  EXPECT_EQ(ph.header("content-type"), "text/html; charset=utf-8");
  EXPECT_NE(page.read_body(ph, deadline()).find("new EventSource("), std::string::npos);

  http_client head(s.port());
  head.get("/events", {}, "HEAD");
  response_head hh = head.read_head(deadline());
  EXPECT_EQ(hh.status, 200);
  EXPECT_EQ(hh.header("content-type"), "text/event-stream");

  auto c = open_stream(s);
  s.write_stdin("still here\n");
  ASSERT_TRUE(c->read_events(1, deadline()));
  EXPECT_EQ(c->events()[0].data, "still here");
}

TEST(Serve, PageThenStreamOnOneKeepAliveConnection) {
  server_process s({"--path", "/api/stream"});
  http_client c(s.port());
  c.get("/");
  response_head page = c.read_head(deadline());
  ASSERT_EQ(page.status, 200);
  // The page finds the stream by a relative URL, so it also works behind a path prefix.
  EXPECT_NE(c.read_body(page, deadline()).find("const streamUrl = \"api/stream\";"),
            std::string::npos);
  c.get("/api/stream", {"Last-Event-ID: nothing-yet"});
  response_head stream = c.read_head(deadline());
  ASSERT_EQ(stream.status, 200);
  ASSERT_TRUE(c.wait_open(deadline()));
  s.write_stdin("a\n");
  ASSERT_TRUE(c.read_events(2, deadline()));
  EXPECT_EQ(c.events()[0], (owned_event{"sse-reset", R"({"reason":"unknown"})", ""}));
  EXPECT_EQ(c.events()[1], (owned_event{"message", "a", "1"}));
}

TEST(Serve, Http10ClientGetsACloseDelimitedStream) {
  server_process s({"--exit-on-eof"});
  http_client c(s.port());
  c.get("/events", {}, "GET", "HTTP/1.0");
  response_head h = c.read_head(deadline());
  EXPECT_EQ(h.status, 200);
  EXPECT_FALSE(h.chunked());
  ASSERT_TRUE(c.wait_open(deadline()));
  s.write_stdin(lines(1, 3));
  s.close_stdin();
  ASSERT_TRUE(c.read_to_close(deadline()));
  ASSERT_EQ(c.events().size(), 4u);
  EXPECT_EQ(std::vector<owned_event>(c.events().begin(), c.events().begin() + 3), numbered(1, 3));
}

TEST(Serve, ExitOnEofDeliversEverythingEndsStreamsAndExitsZero) {
  server_process s({"--exit-on-eof"});
  auto a = open_stream(s);
  auto b = open_stream(s);
  s.write_stdin(lines(1, 1000));
  s.close_stdin();
  for (auto* c : {a.get(), b.get()}) {
    ASSERT_TRUE(c->read_to_close(deadline()));
    ASSERT_EQ(c->events().size(), 1001u);
    EXPECT_EQ(std::vector<owned_event>(c->events().begin(), c->events().end() - 1),
              numbered(1, 1000));
    EXPECT_EQ(c->events().back(), (owned_event{"sse-end", R"({"reason":"eof"})", "1000"}));
    EXPECT_TRUE(c->body_ended_cleanly());
  }
  auto status = s.wait_exit(deadline());
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 0);
}

TEST(Serve, AfterTheEndReconnectsGet204) {
  // A client that does not read holds the server in its shutdown grace; meanwhile a reconnect
  // must be told to stop (204) rather than be given a stream that will never carry anything.
  server_process s({"--exit-on-eof", "--shutdown-grace", "120", "--client-buffer", "64M"});
  auto stalled = std::make_unique<http_client>(s.port(), 4096);
  stalled->get("/events");
  ASSERT_EQ(stalled->read_head(deadline()).status, 200);
  auto reader = open_stream(s);
  std::string line(1000, 'x');
  std::thread writer([&] {
    for (int i = 0; i < 16; ++i) {
      std::string batch;
      for (int j = 0; j < 1000; ++j) batch += line + "\n";
      s.write_stdin(batch);
    }
    s.close_stdin();
  });
  bool closed = reader->read_to_close(deadline(std::chrono::seconds(90)));
  writer.join();
  ASSERT_TRUE(closed);
  ASSERT_EQ(reader->events().size(), 16001u);
  EXPECT_EQ(reader->events().back().type, "sse-end");
  http_client late(s.port());
  late.get("/events");
  EXPECT_EQ(late.read_head(deadline()).status, 204);
  EXPECT_FALSE(s.wait_exit(clock::now()).has_value()) << "still waiting for the stalled client";
}

TEST(Serve, WithoutExitOnEofItKeepsServing) {
  server_process s({});
  auto a = open_stream(s);
  s.write_stdin(lines(1, 3));
  s.close_stdin();
  ASSERT_TRUE(a->read_events(3, deadline()));
  // After the end of stdin, the history still serves a client that resumes.
  auto b = open_stream(s, "/events", {"Last-Event-ID: 1"});
  ASSERT_TRUE(b->read_events(2, deadline()));
  EXPECT_EQ(b->events(), numbered(2, 3));
}

TEST(Serve, StalledClientDoesNotDelayOthersAndIsDropped) {
  server_process s({"-v", "--client-buffer", "1M", "--history", "10"});
  // A reader that never reads, with a small window so the kernel holds little for it.
  auto stalled = std::make_unique<http_client>(s.port(), 4096);
  stalled->get("/events");
  ASSERT_TRUE(s.wait_stderr("connected", deadline()));
  auto reader = open_stream(s);

  constexpr int total = 16000;  // 16 MB: far beyond the bound plus every kernel buffer
  std::string payload(990, 'p');
  std::atomic<int> received{0};
  std::atomic<bool> stop{false};
  std::atomic<bool> write_failed{false};
  std::thread writer([&] {
    try {
      // Paced by the reader, so that at most ~100 KB are ever queued for it: far below its bound
      // however slowly this machine runs the test.
      for (int i = 1; i <= total && !stop; i += 50) {
        while (i - received.load() > 50 && !stop)
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        std::string batch;
        for (int j = i; j < i + 50; ++j) batch += std::to_string(j) + " " + payload + "\n";
        s.write_stdin(batch);
      }
    } catch (std::exception const&) {
      write_failed = true;
    }
  });
  auto until = deadline(std::chrono::seconds(90));
  while (received < total && clock::now() < until) {
    reader->read_events(static_cast<std::size_t>(received) + 1,
                        clock::now() + std::chrono::milliseconds(200));
    received = static_cast<int>(reader->events().size());
  }
  stop = true;
  writer.join();
  if (write_failed) {
    auto status = s.wait_exit(deadline(std::chrono::seconds(2)));
    FAIL() << "sse-serve stopped reading stdin; wait status " << (status ? *status : -1) << "\n"
           << s.stderr_text();
  }
  ASSERT_EQ(received.load(), total) << s.stderr_text();
  for (int i = 0; i < total; i += 997) {
    ASSERT_EQ(reader->events()[static_cast<std::size_t>(i)].id, std::to_string(i + 1));
  }
  EXPECT_TRUE(s.wait_stderr("dropped", deadline()));
  // The stalled client now finds its connection closed after a prefix of the stream.
  stalled->read_head(deadline());
  ASSERT_TRUE(stalled->read_to_close(deadline()));
  EXPECT_LT(stalled->events().size(), static_cast<std::size_t>(total));
  EXPECT_LT(stalled->body_bytes(), 12u << 20);
}

// seq 100000 | sse-serve --backpressure: a client that reads slowly (a small window, in sips)
// still gets every line, and so does a fast one; without backpressure the slow one would be
// dropped at --client-buffer.
TEST(Serve, BackpressureGivesASlowReaderEveryLine) {
  server_process s(
      {"--backpressure", "--exit-on-eof", "--client-buffer", "64K", "--history", "10", "-v"});
  auto slow = std::make_unique<http_client>(s.port(), 4096);
  slow->get("/events");
  ASSERT_EQ(slow->read_head(deadline()).status, 200);
  ASSERT_TRUE(slow->wait_open(deadline()));
  auto fast = open_stream(s);
  constexpr int total = 100000;
  std::thread writer([&] {
    s.write_stdin(lines(1, total));
    s.close_stdin();
  });
  auto until = deadline(std::chrono::seconds(120));
  for (std::size_t want = 2000; clock::now() < until; want += 2000) {
    if (!slow->read_events(want, until)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ASSERT_TRUE(slow->read_to_close(until));
  ASSERT_TRUE(fast->read_to_close(until));
  writer.join();
  for (auto* c : {slow.get(), fast.get()}) {
    ASSERT_EQ(c->events().size(), static_cast<std::size_t>(total) + 1) << s.stderr_text();
    for (int i = 0; i < total; i += 997) {
      ASSERT_EQ(c->events()[static_cast<std::size_t>(i)].id, std::to_string(i + 1));
    }
    EXPECT_EQ(c->events().back().type, "sse-end");
    EXPECT_TRUE(c->body_ended_cleanly());
  }
  EXPECT_EQ(s.stderr_text().find("dropped"), std::string::npos) << s.stderr_text();
  auto status = s.wait_exit(deadline());
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
}

// With backpressure, a client that takes nothing holds the others back only until
// --stall-timeout: then it is dropped and the stream goes on.
TEST(Serve, AStalledClientIsDroppedAfterTheStallTimeout) {
  server_process s({"-v", "--backpressure", "--stall-timeout", "1", "--client-buffer", "64K"});
  auto stalled = std::make_unique<http_client>(s.port(), 4096);
  stalled->get("/events");
  ASSERT_TRUE(s.wait_stderr("connected", deadline()));
  auto reader = open_stream(s);
  constexpr int total = 80000;  // 16 MB: past every kernel buffer the stalled connection has
  std::string payload(190, 'p');
  std::string input;
  for (int i = 1; i <= total; ++i) input += std::to_string(i) + " " + payload + "\n";
  std::thread writer([&] { s.write_stdin(input); });
  bool all = reader->read_events(total, deadline(std::chrono::seconds(90)));
  writer.join();
  ASSERT_TRUE(all) << reader->events().size() << " events\n" << s.stderr_text();
  EXPECT_EQ(reader->events().back().id, std::to_string(total));
  EXPECT_TRUE(s.wait_stderr("dropped: took nothing for the --stall-timeout", deadline()));
}

TEST(Serve, SigtermEndsStreamsAndExits) {
  server_process s({});
  auto c = open_stream(s);
  s.write_stdin("one\n");
  ASSERT_TRUE(c->read_events(1, deadline()));
  s.signal(SIGTERM);
  ASSERT_TRUE(c->read_to_close(deadline()));
  ASSERT_EQ(c->events().size(), 2u);
  EXPECT_EQ(c->events()[1].type, "sse-end");
  auto status = s.wait_exit(deadline());
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFSIGNALED(*status));
  EXPECT_EQ(WTERMSIG(*status), SIGTERM);
}

TEST(Serve, MaxClientsTurnsEventSourcesAwayWithARetryAndOthersWith503) {
  server_process s({"--max-clients", "2", "--retry", "800"});
  auto a = open_stream(s);
  auto b = open_stream(s);
  {
    http_client third(s.port());
    third.get("/events");
    response_head h = third.read_head(deadline());
    EXPECT_EQ(h.status, 503);
    EXPECT_FALSE(h.header("retry-after").empty());
  }
  {
    // What an EventSource sends: a 503 would strand it for good, so it gets a stream that ends at
    // once with a reconnection time (800 ms plus up to half again of jitter).
    http_client browser(s.port());
    browser.get("/events", {"Accept: text/event-stream"});
    response_head h = browser.read_head(deadline());
    EXPECT_EQ(h.status, 200);
    EXPECT_EQ(h.header("content-type"), "text/event-stream");
    ASSERT_TRUE(browser.read_to_close(deadline()));
    EXPECT_TRUE(browser.body_ended_cleanly());
    EXPECT_TRUE(browser.events().empty());
    ASSERT_EQ(browser.retries().size(), 1u);
    EXPECT_GE(browser.retries()[0], 800u);
    EXPECT_LE(browser.retries()[0], 1200u);
  }
  a.reset();  // one leaves; the server notices and makes room
  auto until = deadline();
  int status = 0;
  while (clock::now() < until) {
    http_client again(s.port());
    again.get("/events");
    status = again.read_head(deadline()).status;
    if (status == 200) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(status, 200);
}

TEST(Serve, CounterSource) {
  server_process s({"--counter", "--interval", "0.05", "--event", "tick"});
  auto c = open_stream(s);
  ASSERT_TRUE(c->read_events(3, deadline()));
  // The client joined at some count; what follows is consecutive.
  int first = std::stoi(c->events()[0].data);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(c->events()[static_cast<std::size_t>(i)],
              (owned_event{"tick", std::to_string(first + i), std::to_string(first + i)}));
  }
}

TEST(Serve, UsageErrorsExitTwo) {
  for (std::vector<std::string> args :
       {std::vector<std::string>{"--format", "xml"},
        std::vector<std::string>{"--header", "no colon"},
        std::vector<std::string>{"--path", "events"}, std::vector<std::string>{"--ping", "1e300"},
        std::vector<std::string>{"--request-timeout", "0"}, std::vector<std::string>{"--bogus"}}) {
    server_process s(args, false);
    auto status = s.wait_exit(deadline());
    ASSERT_TRUE(status.has_value());
    EXPECT_TRUE(WIFEXITED(*status));
    EXPECT_EQ(WEXITSTATUS(*status), 2) << args[0];
    EXPECT_NE(s.stderr_text().find("sse-serve: error:"), std::string::npos);
  }
}

// Whether this machine has an IPv6 loopback to bind (containers often have none).
bool has_ipv6_loopback() {
  int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in6 addr{};
  addr.sin6_family = AF_INET6;
  addr.sin6_addr = in6addr_loopback;
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

TEST(Serve, IPv6AndBusyPort) {
  if (!has_ipv6_loopback()) GTEST_SKIP() << "this machine has no IPv6 loopback (::1) to listen on";
  server_process v6({"--host", "::1"});
  EXPECT_NE(v6.stderr_text().find("listening on http://[::1]:"), std::string::npos);
  server_process busy({"--host", "::1", "-p", std::to_string(v6.port())}, false);
  auto status = busy.wait_exit(deadline());
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(WEXITSTATUS(*status), 1);
  EXPECT_NE(busy.stderr_text().find("cannot listen"), std::string::npos);
}

}  // namespace
}  // namespace sse::serve::test
