// What the transfer takes for an event stream (the request and response paths are covered end to
// end against a scripted server in listen_e2e_test).
#include "transfer.hpp"

#include <gtest/gtest.h>

namespace sse::listen {
namespace {

TEST(transfer, the_content_type_essence_must_be_text_event_stream) {
  EXPECT_TRUE(is_event_stream_type("text/event-stream"));
  EXPECT_TRUE(is_event_stream_type("Text/Event-Stream"));
  EXPECT_TRUE(is_event_stream_type("text/event-stream; charset=utf-8"));
  EXPECT_TRUE(is_event_stream_type("text/event-stream;charset=utf-8"));
  EXPECT_TRUE(is_event_stream_type(" text/event-stream \t; x=y"));
  EXPECT_FALSE(is_event_stream_type(""));
  EXPECT_FALSE(is_event_stream_type("text/html"));
  EXPECT_FALSE(is_event_stream_type("text/event-streams"));
  EXPECT_FALSE(is_event_stream_type("text/plain; x=text/event-stream"));
  EXPECT_FALSE(is_event_stream_type("application/json"));
}

using namespace std::chrono_literals;

// 2024-05-01T12:00:00Z
std::chrono::system_clock::time_point const now =
    std::chrono::system_clock::from_time_t(1714564800);

TEST(transfer, retry_after_in_seconds) {
  EXPECT_EQ(parse_retry_after("120", now), milliseconds(120000));
  EXPECT_EQ(parse_retry_after(" 0 ", now), milliseconds(0));
  // Saturated, not wrapped: a steady_clock deadline must hold it.
  EXPECT_EQ(parse_retry_after("99999999999999999999999", now), milliseconds(1'000'000'000'000));
}

TEST(transfer, retry_after_as_any_http_date_form) {
  EXPECT_EQ(parse_retry_after("Wed, 01 May 2024 12:00:30 GMT", now), 30s);      // IMF-fixdate
  EXPECT_EQ(parse_retry_after("Wednesday, 01-May-24 12:01:00 GMT", now), 60s);  // RFC 850
  EXPECT_EQ(parse_retry_after("Wed May  1 12:00:05 2024", now), 5s);            // asctime
  EXPECT_EQ(parse_retry_after("Wed, 01 May 2024 11:00:00 GMT", now), 0ms) << "a past date: at once";
}

TEST(transfer, retry_after_that_is_neither_is_ignored) {
  EXPECT_FALSE(parse_retry_after("", now));
  EXPECT_FALSE(parse_retry_after("soon", now));
  EXPECT_FALSE(parse_retry_after("-5", now));
  EXPECT_FALSE(parse_retry_after("1.5", now));
}

}  // namespace
}  // namespace sse::listen
