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

}  // namespace
}  // namespace sse::listen
