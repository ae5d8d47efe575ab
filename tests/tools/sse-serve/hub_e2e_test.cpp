// The hub end to end, with the real binary: topics on one connection, resume with a topic filter,
// metrics and health. (HTTP publishing and tokens have their own tests below.)
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "auth/auth_test_support.hpp"
#include "test_support.hpp"

namespace sse::serve::test {
namespace {

std::unique_ptr<http_client> open_stream(server_process& s, std::string const& target,
                                         std::vector<std::string> const& headers = {}) {
  auto c = std::make_unique<http_client>(s.port());
  c->get(target, headers);
  response_head head = c->read_head(deadline());
  EXPECT_EQ(head.status, 200) << target;
  EXPECT_TRUE(c->wait_open(deadline()));
  return c;
}

std::vector<std::string> data_of(http_client const& c) {
  std::vector<std::string> out;
  for (auto const& e : c.events()) out.push_back(e.data);
  return out;
}

TEST(Hub, TopicsFromJsonLinesReachOnlyTheirFollowers) {
  server_process s({"--format", "json"});
  auto a = open_stream(s, "/events/a");
  auto ab = open_stream(s, "/events?topic=a&topic=b%20c");
  auto all = open_stream(s, "/events");
  s.write_stdin(R"({"data":"1","topic":"a"})"
                "\n"
                R"({"data":"2","topic":"b c"})"
                "\n"
                R"({"data":"3"})"
                "\n"
                R"({"data":"4","topic":"a"})"
                "\n");
  ASSERT_TRUE(all->read_events(4, deadline()));
  ASSERT_TRUE(ab->read_events(3, deadline()));
  ASSERT_TRUE(a->read_events(2, deadline()));
  EXPECT_EQ(data_of(*a), (std::vector<std::string>{"1", "4"}));
  EXPECT_EQ(data_of(*ab), (std::vector<std::string>{"1", "2", "4"}));
  EXPECT_EQ(data_of(*all), (std::vector<std::string>{"1", "2", "3", "4"}));
  EXPECT_EQ(a->events()[1].id, "4");  // one id sequence across topics
}

TEST(Hub, TheTopicOptionAndBadTopicNames) {
  server_process s({"--topic", "logs"});
  auto logs = open_stream(s, "/events/logs");
  s.write_stdin("line\n");
  ASSERT_TRUE(logs->read_events(1, deadline()));
  EXPECT_EQ(logs->events()[0].data, "line");
  for (std::string target : {"/events/", "/events/a%2Fb", "/events?topic=", "/events?topic=%01"}) {
    http_client c(s.port());
    c.get(target);
    response_head h = c.read_head(deadline());
    EXPECT_EQ(h.status, 400) << target;
    EXPECT_NE(c.read_body(h, deadline()).find("bad topic"), std::string::npos) << target;
  }
}

TEST(Hub, ResumingWithATopicFilterAfterAShortGapIsExactAndAfterEvictionResets) {
  server_process s({"--format", "json", "--history", "4"});
  auto watcher = open_stream(s, "/events");
  std::string input;
  for (int i = 1; i <= 6; ++i) {
    input += R"({"data":")" + std::to_string(i) + R"(","topic":")" + (i % 2 == 0 ? "even" : "odd") +
             "\"}\n";
  }
  s.write_stdin(input);
  ASSERT_TRUE(watcher->read_events(6, deadline()));
  // Held: 3..6. After 4: only the even ones after it.
  auto exact = open_stream(s, "/events/even", {"Last-Event-ID: 4"});
  // 1 is gone: the reset, then the held even events.
  auto reset = open_stream(s, "/events/even", {"Last-Event-ID: 1"});
  s.write_stdin(R"({"data":"8","topic":"even"})"
                "\n");
  ASSERT_TRUE(exact->read_events(2, deadline()));
  ASSERT_TRUE(reset->read_events(4, deadline()));
  EXPECT_EQ(data_of(*exact), (std::vector<std::string>{"6", "8"}));
  EXPECT_EQ(reset->events()[0].type, "sse-reset");
  EXPECT_EQ(reset->events()[0].data, R"({"reason":"expired"})");
  std::vector<std::string> after_reset = data_of(*reset);
  after_reset.erase(after_reset.begin());
  EXPECT_EQ(after_reset, (std::vector<std::string>{"4", "6", "8"}));
}

TEST(Hub, HealthAndMetrics) {
  server_process s({"--metrics"});
  auto a = open_stream(s, "/events");
  s.write_stdin("x\n");
  ASSERT_TRUE(a->read_events(1, deadline()));
  {
    http_client c(s.port());
    c.get("/healthz");
    response_head h = c.read_head(deadline());
    EXPECT_EQ(h.status, 200);
    EXPECT_EQ(c.read_body(h, deadline()), "ok\n");
  }
  http_client c(s.port());
  c.get("/metrics");
  response_head h = c.read_head(deadline());
  ASSERT_EQ(h.status, 200);
  EXPECT_EQ(h.header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  std::string body = c.read_body(h, deadline());
  EXPECT_NE(body.find("\nsse_clients 1\n"), std::string::npos) << body;
  EXPECT_NE(body.find("\nsse_events_published_total{source=\"stdin\"} 1\n"), std::string::npos)
      << body;
  EXPECT_NE(body.find("# TYPE sse_events_delivered_total counter\n"), std::string::npos) << body;
  // Prometheus's own linter accepts the exposition (names, HELP/TYPE, units, _total).
  std::FILE* promtool = ::popen(PROMTOOL " check metrics", "w");
  ASSERT_NE(promtool, nullptr);
  std::fwrite(body.data(), 1, body.size(), promtool);
  int status = ::pclose(promtool);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "promtool check metrics failed on:\n"
      << body;
  // Without --metrics there is no such path.
  server_process plain({});
  http_client p(plain.port());
  p.get("/metrics");
  EXPECT_EQ(p.read_head(deadline()).status, 404);
}

// --- publishing and tokens, driven with curl as users do ---

std::string shell_quote(std::string const& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

struct curl_result {
  int status = 0;       // the HTTP status
  std::string headers;  // the response head, lower-cased names as sent
  std::string body;
};

curl_result curl(std::vector<std::string> const& args) {
  std::string command = std::string(CURL_PROGRAM) + " -sS --max-time 30 -D - -o - ";
  for (auto const& a : args) command += shell_quote(a) + " ";
  std::FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) throw std::runtime_error("popen curl");
  std::string out;
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, p)) > 0;) out.append(buffer, n);
  ::pclose(p);
  curl_result r;
  // A 100 Continue head may come first: the last head is the answer.
  std::size_t head_start = 0;
  for (std::size_t at; (at = out.find("HTTP/1.1 ", head_start + 1)) != std::string::npos &&
                       out.compare(head_start, 12, "HTTP/1.1 100") == 0;) {
    head_start = at;
  }
  std::size_t head_end = out.find("\r\n\r\n", head_start);
  if (head_end == std::string::npos) return r;
  r.headers = out.substr(head_start, head_end - head_start);
  r.status = std::stoi(out.substr(head_start + 9, 3));
  r.body = out.substr(head_end + 4);
  return r;
}

// Sends request on a connection of its own and returns everything until the server closes.
std::string raw_exchange(std::uint16_t port, std::string const& request) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    throw std::runtime_error("connect");
  if (::write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size()))
    throw std::runtime_error("write");
  std::string out;
  char buffer[4096];
  for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;)
    out.append(buffer, static_cast<std::size_t>(n));
  ::close(fd);
  return out;
}

std::string base_of(server_process const& s) {
  return "http://127.0.0.1:" + std::to_string(s.port());
}

TEST(Publish, TokensBodiesAndRefusals) {
  test::temp_dir dir;
  std::string tokens = dir.write("publish-tokens", "# CI\n  pub-secret  \n\n");
  server_process s({"--publish-token-file", tokens, "--max-publish", "1K", "--no-stdin", "-v"});
  auto ci = open_stream(s, "/events/ci");
  std::string const url = base_of(s) + "/events/ci";
  std::string const auth = "Authorization: Bearer pub-secret";

  curl_result r = curl({"-X", "POST", "--data", "deploy done", url});
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.headers.find("WWW-Authenticate: Bearer"), std::string::npos) << r.headers;
  EXPECT_EQ(curl({"-H", "Authorization: Bearer wrong", "--data", "x", url}).status, 401);

  // curl --data: form-encoded by name, taken as text.
  r = curl({"-H", auth, "--data", "deploy done", url + "?event=deploy"});
  EXPECT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.body, "{\"ids\":[\"1\"]}\n");
  r = curl({"-H", auth, "-H", "Content-Type: application/json", "--data-binary",
            R"([{"data":"a"},{"data":{"n":2},"event":"count"}])", url});
  EXPECT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.body, "{\"ids\":[\"2\",\"3\"]}\n");
  // A bad array publishes nothing: the next ids follow on without a gap.
  r = curl({"-H", auth, "-H", "Content-Type: application/json", "--data-binary",
            R"([{"data":"x"},{"id":1.5}])", url});
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("item 1"), std::string::npos) << r.body;
  r = curl({"-H", auth, "-H", "Content-Type: text/event-stream", "--data-binary",
            "event: e\ndata: sse\n\n", url});
  EXPECT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.body, "{\"ids\":[\"4\"]}\n");
  EXPECT_EQ(curl({"-H", auth, "-H", "Content-Type: image/png", "--data-binary", "x", url}).status,
            415);
  EXPECT_EQ(curl({"-H", auth, "--data-binary", std::string(2048, 'x'), url}).status, 413);

  ASSERT_TRUE(ci->read_events(4, deadline()));
  EXPECT_EQ(ci->events(), (std::vector<owned_event>{{"deploy", "deploy done", "1"},
                                                    {"message", "a", "2"},
                                                    {"count", R"({"n":2})", "3"},
                                                    {"e", "sse", "4"}}));
  EXPECT_EQ(s.stderr_text().find("pub-secret"), std::string::npos) << s.stderr_text();
}

TEST(Publish, WithoutATokenSourcePostIsNotAllowed) {
  server_process s({});
  curl_result r = curl({"--data", "x", base_of(s) + "/events"});
  EXPECT_EQ(r.status, 405);
  EXPECT_NE(r.headers.find("Allow: GET, HEAD, OPTIONS"), std::string::npos) << r.headers;
}

// Publishers that keep their connection: 10,000 events over one, answered in order.
TEST(Publish, TenThousandEventsOverOneKeepAliveConnection) {
  test::temp_dir dir;
  server_process s(
      {"--publish-token-file", dir.write("t", "k\n"), "--no-stdin", "--history", "10"});
  auto all = open_stream(s, "/events");
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(s.port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  constexpr int total = 10000;
  std::string pending;
  int answered = 0;
  int created = 0;
  auto read_answers = [&](int until) {
    char buffer[65536];
    while (answered < until) {
      ssize_t n = ::read(fd, buffer, sizeof buffer);
      if (n <= 0) return;
      pending.append(buffer, static_cast<std::size_t>(n));
      for (std::size_t at; (at = pending.find("\r\n\r\n")) != std::string::npos;) {
        std::size_t length = std::stoul(pending.substr(pending.find("Content-Length: ") + 16));
        if (pending.size() < at + 4 + length) break;
        if (pending.compare(0, 12, "HTTP/1.1 201") == 0) ++created;
        pending.erase(0, at + 4 + length);
        ++answered;
      }
    }
  };
  for (int i = 1; i <= total; ++i) {
    std::string body = "event " + std::to_string(i);
    std::string request =
        "POST /events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\nContent-Length: " +
        std::to_string(body.size()) + "\r\n\r\n" + body;
    ASSERT_EQ(::write(fd, request.data(), request.size()), static_cast<ssize_t>(request.size()));
    if (i % 100 == 0) read_answers(i);  // a window of 100 requests in flight
  }
  read_answers(total);
  ::close(fd);
  EXPECT_EQ(answered, total);
  EXPECT_EQ(created, total);
  ASSERT_TRUE(all->read_events(total, deadline()));
  EXPECT_EQ(all->events().back().data, "event 10000");
}

TEST(Tokens, SubscribersNeedOneFromAnyOfThreePlacesAndSighupReloads) {
  test::temp_dir dir;
  std::string file = dir.write("tokens", "sub-one\n");
  server_process s({"--token-file", file, "-v"});
  {
    http_client c(s.port());
    c.get("/events");
    response_head h = c.read_head(deadline());
    EXPECT_EQ(h.status, 401);
    EXPECT_EQ(h.header("www-authenticate"), "Bearer");
  }
  {
    // HEAD gets the same answer without a body (the page asks this way why it was refused).
    std::string r =
        raw_exchange(s.port(), "HEAD /events HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(r.substr(0, 12), "HTTP/1.1 401");
    EXPECT_EQ(r.substr(r.find("\r\n\r\n") + 4), "");
  }
  auto by_query = open_stream(s, "/events?token=sub-one");
  auto by_header = open_stream(s, "/events", {"Authorization: Bearer sub-one"});
  auto by_cookie = open_stream(s, "/events", {"Cookie: theme=dark; sse_token=sub-one"});
  s.write_stdin("one\n");
  for (auto* c : {by_query.get(), by_header.get(), by_cookie.get()})
    ASSERT_TRUE(c->read_events(1, deadline()));

  dir.write("tokens", "sub-two\n");
  s.signal(SIGHUP);
  ASSERT_TRUE(s.wait_stderr("SIGHUP: reloaded 1 subscriber tokens", deadline()));
  {
    http_client old(s.port());
    old.get("/events?token=sub-one");
    EXPECT_EQ(old.read_head(deadline()).status, 401);
  }
  auto fresh = open_stream(s, "/events?token=sub-two");
  s.write_stdin("two\n");
  ASSERT_TRUE(by_query->read_events(2, deadline()));  // the stream opened before is kept
  ASSERT_TRUE(fresh->read_events(1, deadline()));
  // A reload that fails keeps the tokens in force.
  std::filesystem::remove(file);
  s.signal(SIGHUP);
  ASSERT_TRUE(s.wait_stderr("keeping the tokens loaded before", deadline()));
  open_stream(s, "/events?token=sub-two");
  EXPECT_EQ(s.stderr_text().find("sub-one"), std::string::npos) << s.stderr_text();
  EXPECT_EQ(s.stderr_text().find("sub-two"), std::string::npos) << s.stderr_text();
  EXPECT_NE(s.stderr_text().find("token=REDACTED"), std::string::npos) << s.stderr_text();
}

TEST(Tokens, JwtTopicsPublishClaimsExpiryAndSignature) {
  test::temp_dir dir;
  std::string const secret = "0123456789abcdef0123456789abcdef";
  server_process s({"--jwt-secret-file", dir.write("jwt", secret + "\n"), "--format", "json"});
  long long const later = static_cast<long long>(std::time(nullptr)) + 3600;
  std::string a_only = test::make_jwt(
      R"({"topics":["a"],"publish":["a"],"exp":)" + std::to_string(later) + "}", secret);
  std::string expired = test::make_jwt(R"({"exp":1000})", secret);
  std::string forged = test::make_jwt(R"({"topics":["*"]})", "another secret, long enough to pass");
  auto status_of = [&](std::string const& target) {
    http_client c(s.port());
    c.get(target);
    return c.read_head(deadline()).status;
  };
  EXPECT_EQ(status_of("/events/b?token=" + a_only), 403);
  EXPECT_EQ(status_of("/events?token=" + a_only), 403);  // every topic is more than a
  EXPECT_EQ(status_of("/events/a?token=" + expired), 401);
  EXPECT_EQ(status_of("/events/a?token=" + forged), 401);
  auto a = open_stream(s, "/events/a?token=" + a_only);
  std::string const url = base_of(s) + "/events/";
  // The publish claim lets the same token publish to a, without --publish-token-file.
  EXPECT_EQ(curl({"-H", "Authorization: Bearer " + a_only, "--data", "from jwt", url + "a"}).status,
            201);
  EXPECT_EQ(curl({"-H", "Authorization: Bearer " + a_only, "--data", "no", url + "b"}).status, 403);
  EXPECT_EQ(curl({"-H", "Authorization: Bearer " + a_only, "-H", "Content-Type: application/json",
                  "--data-binary", R"([{"data":"ok"},{"data":"sneaky","topic":"b"}])", url + "a"})
                .status,
            403);
  ASSERT_TRUE(a->read_events(1, deadline()));
  EXPECT_EQ(a->events()[0].data, "from jwt");
  s.write_stdin(R"({"data":"second","topic":"a"})"
                "\n");
  ASSERT_TRUE(a->read_events(2, deadline()));
  EXPECT_EQ(a->events()[1].data, "second");  // the refused array published nothing
}

}  // namespace
}  // namespace sse::serve::test
