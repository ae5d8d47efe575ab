#include "event_filter.hpp"

#include <gtest/gtest.h>

namespace sse::listen {
namespace {

event_view ev(std::string_view type, std::string_view data, std::string_view id = {}) {
  return event_view{type, data, id};
}

TEST(event_filter, without_options_everything_prints) {
  event_filter f(filter_config{});
  EXPECT_EQ(f.judge(ev("message", "a")), verdict::print);
  EXPECT_EQ(f.judge(ev("other", "b")), verdict::print);
  EXPECT_EQ(f.printed(), 2u);
  EXPECT_FALSE(f.has_sentinel());
}

TEST(event_filter, event_types_select_what_prints) {
  filter_config c;
  c.types = {"a", "b"};
  event_filter f(c);
  EXPECT_EQ(f.judge(ev("message", "x")), verdict::skip);
  EXPECT_EQ(f.judge(ev("a", "x")), verdict::print);
  EXPECT_EQ(f.judge(ev("b", "x")), verdict::print);
  EXPECT_EQ(f.judge(ev("ab", "x")), verdict::skip);
  EXPECT_EQ(f.printed(), 2u);
}

TEST(event_filter, count_stops_at_the_nth_printed_event) {
  filter_config c;
  c.count = 2;
  c.types = {"keep"};
  event_filter f(c);
  EXPECT_EQ(f.judge(ev("keep", "1")), verdict::print);
  EXPECT_EQ(f.judge(ev("drop", "2")), verdict::skip);  // skipped events do not count
  EXPECT_EQ(f.judge(ev("keep", "3")), verdict::print_then_stop);
}

TEST(event_filter, count_of_one_stops_at_the_first) {
  filter_config c;
  c.count = 1;
  event_filter f(c);
  EXPECT_EQ(f.judge(ev("message", "1")), verdict::print_then_stop);
}

TEST(event_filter, until_data_matches_the_whole_data_only) {
  filter_config c;
  c.until_data = "[DONE]";
  event_filter f(c);
  EXPECT_TRUE(f.has_sentinel());
  EXPECT_EQ(f.judge(ev("message", "[DONE] not yet")), verdict::print);
  EXPECT_EQ(f.judge(ev("message", "[DONE]")), verdict::stop);
}

TEST(event_filter, sentinels_are_checked_before_the_type_filter) {
  filter_config c;
  c.types = {"content_block_delta"};
  c.until_event = "message_stop";
  event_filter f(c);
  EXPECT_EQ(f.judge(ev("content_block_delta", "d1")), verdict::print);
  EXPECT_EQ(f.judge(ev("ping", "")), verdict::skip);
  EXPECT_EQ(f.judge(ev("message_stop", "")), verdict::stop);
  EXPECT_EQ(f.printed(), 1u);
}

TEST(event_filter, until_data_applies_to_events_the_type_filter_would_skip) {
  filter_config c;
  c.types = {"a"};
  c.until_data = "end";
  event_filter f(c);
  EXPECT_EQ(f.judge(ev("b", "end")), verdict::stop);
}

TEST(event_filter, a_sentinel_wins_over_the_count) {
  filter_config c;
  c.count = 1;
  c.until_data = "x";
  event_filter f(c);
  EXPECT_EQ(f.judge(ev("message", "x")), verdict::stop);
  EXPECT_EQ(f.printed(), 0u);
}

}  // namespace
}  // namespace sse::listen
