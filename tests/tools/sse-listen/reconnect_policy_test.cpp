#include "reconnect_policy.hpp"

#include <gtest/gtest.h>

#include <set>
#include <vector>

namespace sse::listen {
namespace {

using namespace std::chrono_literals;

// The middle of the jitter's range: delays come out exactly as their base.
double no_jitter() {
  return 0.5;
}

// A random source that returns the given values in turn.
struct scripted_random {
  std::vector<double> values;
  std::size_t next = 0;
  reconnect_policy::random_function function() {
    return [this] { return values.at(next++ % values.size()); };
  }
};

struct fake_clock {
  steady_time now{std::chrono::seconds(1000)};
  reconnect_policy::clock_function function() {
    return [this] { return now; };
  }
};

TEST(reconnect_policy, default_reconnection_time_is_three_seconds) {
  fake_clock clock;
  reconnect_policy p(reconnect_config{}, clock.function(), no_jitter);
  EXPECT_EQ(p.reconnection_time(), 3000ms);
  auto d = p.next(disconnect_reason::stream_ended);
  EXPECT_TRUE(d.reconnect);
  EXPECT_EQ(d.delay, 3000ms);
  EXPECT_EQ(d.at, clock.now + 3000ms);
}

TEST(reconnect_policy, the_decision_is_timed_from_the_clock_at_the_moment_of_deciding) {
  fake_clock clock;
  reconnect_policy p(reconnect_config{}, clock.function(), no_jitter);
  clock.now += 42s;
  auto d = p.next(disconnect_reason::stream_ended);
  EXPECT_EQ(d.at, steady_time(std::chrono::seconds(1042)) + 3000ms);
}

TEST(reconnect_policy, retry_field_changes_the_reconnection_time) {
  fake_clock clock;
  reconnect_policy p(reconnect_config{}, clock.function(), no_jitter);
  p.set_reconnection_time(250);
  EXPECT_EQ(p.next(disconnect_reason::stream_ended).delay, 250ms);
  p.set_reconnection_time(5000);
  EXPECT_EQ(p.next(disconnect_reason::stream_ended).delay, 5000ms);
}

TEST(reconnect_policy, retry_zero_is_raised_to_the_floor) {
  fake_clock clock;
  reconnect_policy p(reconnect_config{}, clock.function(), no_jitter);
  p.set_reconnection_time(0);
  EXPECT_EQ(p.reconnection_time(), 100ms);
  EXPECT_EQ(p.next(disconnect_reason::stream_ended).delay, 100ms);
}

TEST(reconnect_policy, huge_retry_is_capped_without_overflow) {
  fake_clock clock;
  reconnect_policy p(reconnect_config{}, clock.function(), no_jitter);
  p.set_reconnection_time(UINT64_MAX);
  EXPECT_EQ(p.reconnection_time(), 60000ms);
  p.set_reconnection_time(60001);
  EXPECT_EQ(p.reconnection_time(), 60000ms);
}

TEST(reconnect_policy, initial_time_from_the_command_line_is_clamped_too) {
  reconnect_config c;
  c.initial = 10ms;
  EXPECT_EQ(reconnect_policy(c).reconnection_time(), 100ms);
  c.initial = 1000ms;
  EXPECT_EQ(reconnect_policy(c).reconnection_time(), 1000ms);
}

TEST(reconnect_policy, network_errors_back_off_exponentially_up_to_the_cap) {
  fake_clock clock;
  reconnect_config c;
  c.initial = 1000ms;
  reconnect_policy p(c, clock.function(), no_jitter);
  std::vector<milliseconds> delays;
  for (int i = 0; i < 9; ++i) delays.push_back(p.next(disconnect_reason::network_error).delay);
  std::vector<milliseconds> expected{1000ms,  2000ms,  4000ms,  8000ms, 16000ms,
                                     32000ms, 60000ms, 60000ms, 60000ms};
  EXPECT_EQ(delays, expected);
}

TEST(reconnect_policy, an_accepted_connection_resets_the_backoff) {
  fake_clock clock;
  reconnect_config c;
  c.initial = 1000ms;
  reconnect_policy p(c, clock.function(), no_jitter);
  p.next(disconnect_reason::network_error);
  p.next(disconnect_reason::network_error);
  EXPECT_EQ(p.next(disconnect_reason::network_error).delay, 4000ms);
  p.connected();
  EXPECT_EQ(p.next(disconnect_reason::network_error).delay, 1000ms);
}

TEST(reconnect_policy, a_stream_that_ended_waits_the_plain_reconnection_time) {
  fake_clock clock;
  reconnect_config c;
  c.initial = 1000ms;
  reconnect_policy p(c, clock.function(), no_jitter);
  p.next(disconnect_reason::network_error);
  p.next(disconnect_reason::network_error);
  EXPECT_EQ(p.next(disconnect_reason::stream_ended).delay, 1000ms);
  EXPECT_EQ(p.next(disconnect_reason::network_error).delay, 1000ms);
}

TEST(reconnect_policy, no_reconnect_never_reconnects) {
  reconnect_config c;
  c.reconnect = false;
  reconnect_policy p(c);
  EXPECT_FALSE(p.next(disconnect_reason::stream_ended).reconnect);
  EXPECT_FALSE(p.next(disconnect_reason::network_error).reconnect);
  EXPECT_EQ(p.reconnects(), 0u);
}

TEST(reconnect_policy, max_reconnects_counts_every_kind_of_reconnection) {
  reconnect_config c;
  c.max_reconnects = 2;
  reconnect_policy p(c);
  EXPECT_TRUE(p.next(disconnect_reason::stream_ended).reconnect);
  EXPECT_TRUE(p.next(disconnect_reason::network_error).reconnect);
  EXPECT_FALSE(p.next(disconnect_reason::stream_ended).reconnect);
  EXPECT_EQ(p.reconnects(), 2u);
}

TEST(reconnect_policy, max_reconnects_zero_means_none) {
  reconnect_config c;
  c.max_reconnects = 0;
  reconnect_policy p(c);
  EXPECT_FALSE(p.next(disconnect_reason::stream_ended).reconnect);
}

// ---- Jitter (issue 15) ----------------------------------------------------------------------

TEST(reconnect_policy, jitter_spans_twenty_percent_each_way) {
  fake_clock clock;
  scripted_random random{{0.0, 0.25, 0.5, 0.75, 0.999999}};
  reconnect_config c;
  c.initial = 1000ms;
  reconnect_policy p(c, clock.function(), random.function());
  std::vector<milliseconds> delays;
  for (int i = 0; i < 5; ++i) {
    auto d = p.next(disconnect_reason::stream_ended);
    EXPECT_EQ(d.base, 1000ms);
    EXPECT_EQ(d.at, clock.now + d.delay);
    EXPECT_DOUBLE_EQ(d.jitter, 0.2);
    delays.push_back(d.delay);
  }
  EXPECT_EQ(delays, (std::vector<milliseconds>{800ms, 900ms, 1000ms, 1100ms, 1200ms}));
}

TEST(reconnect_policy, jitter_applies_to_the_backoff_and_to_the_floor) {
  fake_clock clock;
  scripted_random random{{0.0}};
  reconnect_config c;
  c.initial = 1000ms;
  reconnect_policy p(c, clock.function(), random.function());
  EXPECT_EQ(p.next(disconnect_reason::network_error).delay, 800ms);
  auto second = p.next(disconnect_reason::network_error);
  EXPECT_EQ(second.base, 2000ms);
  EXPECT_EQ(second.delay, 1600ms);
  p.set_reconnection_time(0);
  EXPECT_EQ(p.next(disconnect_reason::stream_ended).delay, 80ms);  // "a floor of about 100 ms"
}

TEST(reconnect_policy, the_default_random_source_spreads_delays_within_the_bounds) {
  fake_clock clock;
  reconnect_config c;
  c.initial = 10000ms;
  reconnect_policy p(c, clock.function());
  std::set<milliseconds::rep> seen;
  for (int i = 0; i < 1000; ++i) {
    auto d = p.next(disconnect_reason::stream_ended);
    ASSERT_GE(d.delay, 8000ms);
    ASSERT_LE(d.delay, 12000ms);
    seen.insert(d.delay.count());
  }
  // A thousand clients of a restarted server do not come back in the same millisecond: a
  // thousand draws over 4000 ms land on hundreds of distinct values (about 885 expected).
  EXPECT_GT(seen.size(), 500u);
}

TEST(reconnect_policy, no_jitter_configured_means_exact_delays) {
  fake_clock clock;
  scripted_random random{{0.0, 0.999}};
  reconnect_config c;
  c.initial = 1000ms;
  c.jitter = 0;
  reconnect_policy p(c, clock.function(), random.function());
  EXPECT_EQ(p.next(disconnect_reason::stream_ended).delay, 1000ms);
  EXPECT_EQ(p.next(disconnect_reason::stream_ended).delay, 1000ms);
}

// ---- 5xx and Retry-After (issue 15) ---------------------------------------------------------

TEST(reconnect_policy, a_server_error_backs_off_like_a_network_error) {
  fake_clock clock;
  reconnect_config c;
  c.initial = 1000ms;
  reconnect_policy p(c, clock.function(), no_jitter);
  EXPECT_EQ(p.next(disconnect_reason::server_error).delay, 1000ms);
  EXPECT_EQ(p.next(disconnect_reason::server_error).delay, 2000ms);
  EXPECT_EQ(p.next(disconnect_reason::network_error).delay, 4000ms);
  EXPECT_FALSE(p.next(disconnect_reason::server_error).retry_after);
}

TEST(reconnect_policy, retry_after_is_honoured_and_the_jitter_never_comes_earlier) {
  fake_clock clock;
  scripted_random random{{0.0, 0.5, 0.999999}};
  reconnect_config c;
  c.initial = 1000ms;
  reconnect_policy p(c, clock.function(), random.function());
  std::vector<milliseconds> delays;
  for (int i = 0; i < 3; ++i) {
    auto d = p.next(disconnect_reason::server_error, 5000ms);
    EXPECT_TRUE(d.retry_after);
    EXPECT_EQ(d.base, 5000ms);
    delays.push_back(d.delay);
  }
  EXPECT_EQ(delays, (std::vector<milliseconds>{5000ms, 5500ms, 6000ms}));
}

TEST(reconnect_policy, retry_after_is_not_capped_but_is_floored) {
  fake_clock clock;
  reconnect_policy p(reconnect_config{}, clock.function(), [] { return 0.0; });
  EXPECT_EQ(p.next(disconnect_reason::server_error, 3600000ms).delay, 3600000ms);
  EXPECT_EQ(p.next(disconnect_reason::server_error, 0ms).delay, 100ms);
  // Only a server error takes a Retry-After.
  EXPECT_EQ(p.next(disconnect_reason::stream_ended, 50000ms).base, 3000ms);
}

}  // namespace
}  // namespace sse::listen
