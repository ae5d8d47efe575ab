// sse-listen --check's verdicts, from constructed observations: no network, no clock.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "check.hpp"

namespace sse::listen {
namespace {

// A healthy stream: 200, the right headers, an event with an id every 0.2 s for 5 s, resumed.
observations healthy() {
  observations obs;
  obs.url = "http://host/events";
  obs.check_time = 5;
  auto& r = obs.stream;
  r.responded = true;
  r.status = 200;
  r.http_version = "2";
  r.headers = {{"Content-Type", "text/event-stream"},
               {"Cache-Control", "no-cache, no-transform"},
               {"X-Accel-Buffering", "no"}};
  r.head_at = 0.01;
  r.retry = 3000;
  r.arrivals.push_back({0.011, 20, 0, 1});  // the opening comment
  for (int i = 1; i <= 25; ++i) {
    double at = 0.01 + 0.2 * i;
    r.arrivals.push_back({at, 20, 1, 0});
    r.events.push_back({at, std::to_string(i)});
  }
  r.observed = 5.02;
  obs.resume_after = "3";
  obs.resume_wait = 2;
  response_observation again;
  again.responded = true;
  again.status = 200;
  again.headers = r.headers;
  again.events.push_back({0.02, "4"});
  obs.resumed = again;
  return obs;
}

check_result find(std::vector<check_result> const& checks, std::string const& name) {
  for (auto const& c : checks) {
    if (c.name == name) return c;
  }
  ADD_FAILURE() << "no check named " << name;
  return {};
}

check_verdict verdict_of(observations const& obs, std::string const& name) {
  return find(judge(obs), name).v;
}

TEST(check_verdicts, healthy_stream_passes_everything_it_can) {
  auto checks = judge(healthy());
  for (auto const& c : checks) {
    if (c.name == "cors") {
      EXPECT_EQ(c.v, check_verdict::not_applicable) << c.detail;
    } else {
      EXPECT_EQ(c.v, check_verdict::pass) << c.name << ": " << c.detail;
      EXPECT_TRUE(c.fix.empty()) << c.name;
    }
  }
  EXPECT_NE(find(checks, "keep-alive").detail.find("judged only over the 5.0 s"),
            std::string::npos);
  EXPECT_NE(find(checks, "resume").detail.find("resumed at id 4, no gap and no duplicate"),
            std::string::npos);
}

TEST(check_verdicts, no_response_fails_the_status_and_leaves_the_rest_unjudged) {
  observations obs;
  obs.stream.observed = 5;
  auto checks = judge(obs);
  EXPECT_EQ(find(checks, "status").v, check_verdict::fail);
  EXPECT_NE(find(checks, "status").detail.find("no response head in the 5.0 s"), std::string::npos);
  for (char const* name : {"content-type", "buffering", "keep-alive", "resume", "retry"}) {
    EXPECT_EQ(find(checks, name).v, check_verdict::not_applicable) << name;
  }
  obs.stream.error = "Could not connect to server";
  EXPECT_NE(find(judge(obs), "status").detail.find("Could not connect"), std::string::npos);
}

TEST(check_verdicts, status_other_than_200_fails) {
  auto obs = healthy();
  obs.stream.status = 404;
  EXPECT_EQ(verdict_of(obs, "status"), check_verdict::fail);
  EXPECT_EQ(verdict_of(obs, "buffering"), check_verdict::not_applicable);
  obs.stream.status = 204;
  EXPECT_NE(find(judge(obs), "status").detail.find("stops for good"), std::string::npos);
}

TEST(check_verdicts, content_type_essence_and_charset) {
  auto obs = healthy();
  obs.stream.headers[0].second = "text/plain";
  auto c = find(judge(obs), "content-type");
  EXPECT_EQ(c.v, check_verdict::fail);
  EXPECT_NE(c.fix.find("text/event-stream"), std::string::npos);
  obs.stream.headers[0].second = "Text/Event-Stream; charset=UTF-8";
  EXPECT_EQ(verdict_of(obs, "content-type"), check_verdict::pass);
  obs.stream.headers[0].second = "text/event-stream; charset=iso-8859-1";
  EXPECT_EQ(verdict_of(obs, "content-type"), check_verdict::warn);
  obs.stream.headers.erase(obs.stream.headers.begin());
  EXPECT_EQ(verdict_of(obs, "content-type"), check_verdict::fail);
}

TEST(check_verdicts, cache_control_wants_no_cache_and_no_transform) {
  auto obs = healthy();
  obs.stream.headers[1].second = "no-cache";
  auto c = find(judge(obs), "cache-control");
  EXPECT_EQ(c.v, check_verdict::warn);
  EXPECT_NE(c.fix.find("no-transform"), std::string::npos);
  obs.stream.headers[1].second = "no-transform, max-age=60";
  EXPECT_EQ(verdict_of(obs, "cache-control"), check_verdict::warn);
  obs.stream.headers[1].second = "No-Store , No-Transform";
  EXPECT_EQ(verdict_of(obs, "cache-control"), check_verdict::pass);
  obs.stream.headers.erase(obs.stream.headers.begin() + 1);
  EXPECT_EQ(verdict_of(obs, "cache-control"), check_verdict::warn);
}

TEST(check_verdicts, compressed_stream_fails_with_the_proxy_named_in_the_fix) {
  auto obs = healthy();
  obs.stream.headers.emplace_back("Content-Encoding", "gzip");
  EXPECT_EQ(verdict_of(obs, "content-encoding"), check_verdict::fail);
  obs.stream.headers.emplace_back("Server", "nginx/1.22.1");
  EXPECT_NE(find(judge(obs), "content-encoding").fix.find("gzip_types"), std::string::npos);
}

// The body in lumps: after a quiet second, ten events in one read, again and again.
observations lumpy(int lumps) {
  auto obs = healthy();
  auto& r = obs.stream;
  r.arrivals.resize(1);
  r.events.clear();
  for (int i = 1; i <= lumps; ++i) {
    double at = 0.01 + 1.0 * i;
    r.arrivals.push_back({at, 400, 10, 0});
    for (int j = 0; j < 10; ++j) r.events.push_back({at, std::to_string(i * 10 + j)});
  }
  return obs;
}

TEST(check_verdicts, lumps_of_events_after_long_gaps_are_buffering) {
  auto obs = lumpy(4);
  obs.stream.headers.emplace_back("Server", "nginx/1.22.1");
  auto checks = judge(obs);
  auto c = find(checks, "buffering");
  EXPECT_EQ(c.v, check_verdict::fail) << c.detail;
  EXPECT_NE(c.fix.find("X-Accel-Buffering: no"), std::string::npos);
  EXPECT_NE(c.fix.find("proxy_buffering off"), std::string::npos);
  EXPECT_NE(c.detail.find("Server: nginx/1.22.1"), std::string::npos);
  EXPECT_EQ(find(checks, "proxy").v, check_verdict::warn);
}

TEST(check_verdicts, one_lump_among_many_single_events_is_a_warning) {
  auto obs = healthy();
  obs.stream.arrivals.push_back({5.01, 400, 10, 0});
  EXPECT_EQ(verdict_of(obs, "buffering"), check_verdict::warn);
}

TEST(check_verdicts, a_late_head_with_a_lump_counts_as_one) {
  auto obs = lumpy(1);
  obs.stream.head_at = 1.9;
  obs.stream.arrivals[0] = {1.9, 4000, 100, 1};
  obs.stream.arrivals[1].at = 3.8;
  auto checks = judge(obs);
  EXPECT_EQ(find(checks, "buffering").v, check_verdict::fail) << find(checks, "buffering").detail;
  EXPECT_NE(find(checks, "status").detail.find("the head came 1.9 s after"), std::string::npos);
}

TEST(check_verdicts, nothing_after_the_head_cannot_show_buffering) {
  auto obs = healthy();
  obs.stream.arrivals.clear();
  obs.stream.events.clear();
  EXPECT_EQ(verdict_of(obs, "buffering"), check_verdict::not_applicable);
  auto k = find(judge(obs), "keep-alive");
  EXPECT_EQ(k.v, check_verdict::warn);
  EXPECT_NE(k.detail.find("nothing arrived in the whole"), std::string::npos);
  EXPECT_NE(k.detail.find("idle timeouts start at 30 s"), std::string::npos);
}

TEST(check_verdicts, everything_at_the_end_is_buffering) {
  auto obs = healthy();
  auto& r = obs.stream;
  r.arrivals = {{4.5, 800, 20, 1}};
  r.ended = true;
  EXPECT_EQ(verdict_of(obs, "buffering"), check_verdict::fail);
}

TEST(check_verdicts, long_silences_are_named_against_the_idle_timeouts) {
  auto obs = healthy();
  auto& r = obs.stream;
  r.arrivals = {{0.02, 20, 0, 1}, {70.02, 20, 0, 1}, {75, 20, 1, 0}};
  r.observed = 80;
  auto c = find(judge(obs), "keep-alive");
  EXPECT_EQ(c.v, check_verdict::warn);
  EXPECT_NE(c.detail.find("30 s"), std::string::npos);
  EXPECT_NE(c.detail.find("60 s"), std::string::npos);
  EXPECT_EQ(c.detail.find("100 s"), std::string::npos);
  EXPECT_NE(c.fix.find(": ping"), std::string::npos);
  // A short window that goes quiet for most of its length says so.
  auto quiet = healthy();
  quiet.stream.arrivals.resize(3);
  auto q = find(judge(quiet), "keep-alive");
  EXPECT_EQ(q.v, check_verdict::warn);
  EXPECT_NE(q.detail.find("nothing arrived in the last"), std::string::npos);
}

TEST(check_verdicts, resume_outcomes) {
  auto obs = healthy();
  obs.stream.events.front().id.clear();
  EXPECT_EQ(verdict_of(obs, "resume"), check_verdict::pass);

  auto no_ids = healthy();
  for (auto& e : no_ids.stream.events) e.id.clear();
  no_ids.resumed.reset();
  auto c = find(judge(no_ids), "resume");
  EXPECT_EQ(c.v, check_verdict::not_applicable);
  EXPECT_NE(c.detail.find("no event carried an id"), std::string::npos);

  auto with = [](std::string first) {
    auto o = healthy();
    if (first.empty()) {
      o.resumed->events.clear();
    } else {
      o.resumed->events = {{0.01, first}};
    }
    return find(judge(o), "resume");
  };
  EXPECT_NE(with("1").detail.find("restarted from the first event"), std::string::npos);
  EXPECT_NE(with("2").detail.find("2 duplicates"), std::string::npos);
  EXPECT_NE(with("7").detail.find("3 events after it missed"), std::string::npos);
  EXPECT_NE(with("x9").detail.find("ignores Last-Event-ID"), std::string::npos);
  EXPECT_NE(with("").detail.find("no event with an id came"), std::string::npos);
  for (char const* first : {"1", "2", "7", "x9", ""}) EXPECT_EQ(with(first).v, check_verdict::warn);

  auto refused = healthy();
  refused.resumed->status = 500;
  EXPECT_EQ(verdict_of(refused, "resume"), check_verdict::fail);
}

TEST(check_verdicts, retry_and_http_version) {
  auto obs = healthy();
  obs.stream.retry.reset();
  EXPECT_EQ(verdict_of(obs, "retry"), check_verdict::pass);
  obs.stream.retry = 100;
  EXPECT_EQ(verdict_of(obs, "retry"), check_verdict::warn);
  obs.stream.http_version = "1.1";
  auto c = find(judge(obs), "http-version");
  EXPECT_EQ(c.v, check_verdict::warn);
  EXPECT_NE(c.detail.find("6 connections"), std::string::npos);
}

TEST(check_verdicts, cors_for_an_origin_with_credentials_and_preflight) {
  auto obs = healthy();
  obs.origin = "https://app.example";
  auto checks = judge(obs);
  EXPECT_EQ(find(checks, "cors").v, check_verdict::fail);
  EXPECT_EQ(find(checks, "cors-credentials").v, check_verdict::not_applicable);
  EXPECT_EQ(find(checks, "cors-preflight").v, check_verdict::not_applicable);

  obs.stream.headers.emplace_back("Access-Control-Allow-Origin", "*");
  checks = judge(obs);
  EXPECT_EQ(find(checks, "cors").v, check_verdict::pass);
  EXPECT_EQ(find(checks, "cors-credentials").v, check_verdict::warn);

  obs.stream.headers.back().second = "https://app.example";
  obs.stream.headers.emplace_back("Access-Control-Allow-Credentials", "true");
  checks = judge(obs);
  EXPECT_EQ(find(checks, "cors-credentials").v, check_verdict::pass);

  obs.preflight_method = "POST";
  obs.preflight_headers = {"Authorization"};
  response_observation pre;
  pre.responded = true;
  pre.status = 204;
  pre.headers = {{"Access-Control-Allow-Origin", "https://app.example"},
                 {"Access-Control-Allow-Headers", "Content-Type"}};
  obs.preflight = pre;
  auto c = find(judge(obs), "cors-preflight");
  EXPECT_EQ(c.v, check_verdict::fail);
  EXPECT_NE(c.detail.find("lacks Authorization"), std::string::npos);
  obs.preflight->headers.back().second = "content-type, authorization";
  EXPECT_EQ(verdict_of(obs, "cors-preflight"), check_verdict::pass);
}

TEST(check_report, text_and_json_say_the_same) {
  auto obs = healthy();
  obs.stream.headers.emplace_back("Content-Encoding", "br");
  auto checks = judge(obs);
  std::string text = format_report(checks, obs.url);
  EXPECT_NE(text.find("\u2718 content-encoding: br:"), std::string::npos) << text;
  EXPECT_NE(text.find("\u2714 status: HTTP 200\n"), std::string::npos) << text;
  EXPECT_NE(text.find("- cors: n/a: "), std::string::npos) << text;
  EXPECT_NE(text.find("summary: 9 passed, 0 warnings, 1 failed, 1 n/a\n"), std::string::npos)
      << text;
  auto j = nlohmann::json::parse(format_report_json(checks, obs.url));
  EXPECT_EQ(j["url"], obs.url);
  ASSERT_EQ(j["checks"].size(), checks.size());
  EXPECT_EQ(j["checks"][3]["name"], "content-encoding");
  EXPECT_EQ(j["checks"][3]["verdict"], "fail");
  EXPECT_FALSE(j["checks"][3]["fix"].get<std::string>().empty());
  EXPECT_EQ(j["summary"]["fail"], 1);
  EXPECT_EQ(j["summary"]["pass"], 9);
  EXPECT_EQ(j["summary"]["n/a"], 1);
}

}  // namespace
}  // namespace sse::listen
