#include "reconnect_policy.hpp"

#include <gtest/gtest.h>

namespace sse::listen {
namespace {

using namespace std::chrono_literals;

struct fake_clock {
  steady_time now{std::chrono::seconds(1000)};
  reconnect_policy::clock_function function() {
    return [this] { return now; };
  }
};

TEST(reconnect_policy, default_reconnection_time_is_three_seconds) {
  fake_clock clock;
  reconnect_policy p(reconnect_config{}, clock.function());
  EXPECT_EQ(p.reconnection_time(), 3000ms);
  auto d = p.next(disconnect_reason::stream_ended);
  EXPECT_TRUE(d.reconnect);
  EXPECT_EQ(d.delay, 3000ms);
  EXPECT_EQ(d.at, clock.now + 3000ms);
}

TEST(reconnect_policy, the_decision_is_timed_from_the_clock_at_the_moment_of_deciding) {
  fake_clock clock;
  reconnect_policy p(reconnect_config{}, clock.function());
  clock.now += 42s;
  auto d = p.next(disconnect_reason::stream_ended);
  EXPECT_EQ(d.at, steady_time(std::chrono::seconds(1042)) + 3000ms);
}

TEST(reconnect_policy, retry_field_changes_the_reconnection_time) {
  fake_clock clock;
  reconnect_policy p(reconnect_config{}, clock.function());
  p.set_reconnection_time(250);
  EXPECT_EQ(p.next(disconnect_reason::stream_ended).delay, 250ms);
  p.set_reconnection_time(5000);
  EXPECT_EQ(p.next(disconnect_reason::stream_ended).delay, 5000ms);
}

TEST(reconnect_policy, retry_zero_is_raised_to_the_floor) {
  fake_clock clock;
  reconnect_policy p(reconnect_config{}, clock.function());
  p.set_reconnection_time(0);
  EXPECT_EQ(p.reconnection_time(), 100ms);
  EXPECT_EQ(p.next(disconnect_reason::stream_ended).delay, 100ms);
}

TEST(reconnect_policy, huge_retry_is_capped_without_overflow) {
  fake_clock clock;
  reconnect_policy p(reconnect_config{}, clock.function());
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
  reconnect_policy p(c, clock.function());
  std::vector<milliseconds> delays;
  for (int i = 0; i < 9; ++i) delays.push_back(p.next(disconnect_reason::network_error).delay);
  std::vector<milliseconds> expected{1000ms, 2000ms, 4000ms, 8000ms, 16000ms,
                                     32000ms, 60000ms, 60000ms, 60000ms};
  EXPECT_EQ(delays, expected);
}

TEST(reconnect_policy, an_accepted_connection_resets_the_backoff) {
  fake_clock clock;
  reconnect_config c;
  c.initial = 1000ms;
  reconnect_policy p(c, clock.function());
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
  reconnect_policy p(c, clock.function());
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

}  // namespace
}  // namespace sse::listen
