// The hub end to end, with the real binary: topics on one connection, resume with a topic filter,
// metrics and health. (HTTP publishing and tokens have their own tests below.)
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <cstdio>

#include <memory>
#include <string>
#include <vector>

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
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "promtool check metrics failed on:\n" << body;
  // Without --metrics there is no such path.
  server_process plain({});
  http_client p(plain.port());
  p.get("/metrics");
  EXPECT_EQ(p.read_head(deadline()).status, 404);
}

}  // namespace
}  // namespace sse::serve::test
