#include "hub/history.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sse::serve {
namespace {

std::vector<std::string> payloads(std::vector<held_event> const& events) {
  std::vector<std::string> out;
  for (auto const& e : events) out.emplace_back(e.data->payload());
  return out;
}

held_event held(std::string const& payload) {
  return held_event{make_frame(payload), {}, no_topic};
}

TEST(RingHistory, ReplaysExactlyTheEventsAfterAnId) {
  ring_history h(10, 1 << 20);
  for (int i = 1; i <= 5; ++i)
    h.append(static_cast<std::uint64_t>(i), std::to_string(i), held("e" + std::to_string(i)));
  auto after2 = h.after("2");
  ASSERT_TRUE(after2.has_value());
  EXPECT_EQ(payloads(*after2), (std::vector<std::string>{"e3", "e4", "e5"}));
  auto after5 = h.after("5");
  ASSERT_TRUE(after5.has_value());
  EXPECT_TRUE(after5->empty());
  EXPECT_FALSE(h.after("6").has_value());
  EXPECT_FALSE(h.after("").has_value());
}

TEST(RingHistory, EvictsByCount) {
  ring_history h(3, 1 << 20);
  for (int i = 1; i <= 5; ++i)
    h.append(static_cast<std::uint64_t>(i), std::to_string(i), held("e" + std::to_string(i)));
  EXPECT_EQ(h.size(), 3u);
  EXPECT_EQ(h.oldest_seq(), 3u);
  EXPECT_FALSE(h.after("1").has_value());
  // The id just before the oldest held is still a place to resume from: everything held follows.
  EXPECT_EQ(h.evicted_id(), std::optional<std::string>("2"));
  ASSERT_TRUE(h.after("2").has_value());
  EXPECT_EQ(payloads(*h.after("2")), (std::vector<std::string>{"e3", "e4", "e5"}));
  ASSERT_TRUE(h.after("3").has_value());
  EXPECT_EQ(payloads(*h.after("3")), (std::vector<std::string>{"e4", "e5"}));
}

TEST(RingHistory, EvictsByBytes) {
  ring_history h(100, 25);
  for (int i = 1; i <= 5; ++i)
    h.append(static_cast<std::uint64_t>(i), std::to_string(i), held(std::string(10, 'x')));
  EXPECT_EQ(h.size(), 2u);
  EXPECT_LE(h.bytes(), 25u);
  EXPECT_EQ(h.oldest_seq(), 4u);
}

TEST(RingHistory, RepeatedIdResumesAfterTheLatest) {
  ring_history h(10, 1 << 20);
  h.append(1, "a", held("1"));
  h.append(2, "b", held("2"));
  h.append(3, "a", held("3"));
  h.append(4, "c", held("4"));
  EXPECT_EQ(payloads(*h.after("a")), (std::vector<std::string>{"4"}));
  // Evicting the older "a" must not forget the newer one.
  ring_history small(2, 1 << 20);
  small.append(1, "a", held("1"));
  small.append(2, "a", held("2"));
  small.append(3, "b", held("3"));
  ASSERT_TRUE(small.after("a").has_value());
  EXPECT_EQ(payloads(*small.after("a")), (std::vector<std::string>{"3"}));
}

TEST(RingHistory, OwnNumericIdsAndGivenIdsThatLookLikeThemMix) {
  // The hub's own ids are the seqs in decimal; a publisher may give any id, numbers included.
  ring_history h(4, 1 << 20);
  h.append(1, "1", held("e1"));
  h.append(2, "5", held("e2"));   // given: looks like the seq of a later event
  h.append(3, "03", held("e3"));  // given: not plain decimal
  h.append(4, "4", held("e4"));
  h.append(5, "5", held("e5"));  // own id, after a given "5": the latest counts
  EXPECT_EQ(payloads(*h.after("1")),
            (std::vector<std::string>{"e2", "e3", "e4", "e5"}));  // last evicted
  ASSERT_TRUE(h.after("5").has_value());
  EXPECT_TRUE(h.after("5")->empty());
  EXPECT_EQ(payloads(*h.after("03")), (std::vector<std::string>{"e4", "e5"}));
  EXPECT_FALSE(h.knows("3"));  // seq 3 is held, but with the id "03"
  EXPECT_EQ(payloads(*h.after("4")), (std::vector<std::string>{"e5"}));
  h.append(6, "x", held("e6"));
  h.append(7, "7", held("e7"));
  h.append(8, "8", held("e8"));  // evicts seqs 2-4; the given "5" is gone, the own "5" held
  EXPECT_EQ(payloads(*h.after("5")), (std::vector<std::string>{"e6", "e7", "e8"}));
  EXPECT_FALSE(h.knows("03"));
  EXPECT_EQ(payloads(*h.after("4")),
            (std::vector<std::string>{"e5", "e6", "e7", "e8"}));  // the last evicted
  EXPECT_EQ(payloads(*h.after("x")), (std::vector<std::string>{"e7", "e8"}));
  EXPECT_FALSE(h.knows("9"));
  EXPECT_FALSE(h.knows("18446744073709551616"));  // past 64 bits
}

TEST(RingHistory, ZeroKeepsNothing) {
  ring_history h(0, 1 << 20);
  EXPECT_FALSE(h.evicted_id().has_value());
  h.append(1, "1", held("x"));
  h.append(2, "2", held("y"));
  EXPECT_EQ(h.size(), 0u);
  EXPECT_FALSE(h.after("1").has_value());
  // The latest event is the one before everything held (nothing): a client there is up to date.
  ASSERT_TRUE(h.after("2").has_value());
  EXPECT_TRUE(h.after("2")->empty());
}

TEST(Frame, ChunkedAndPlainViewsShareOneString) {
  frame f = make_frame("data: hi\n\n");
  EXPECT_EQ(f->payload(), "data: hi\n\n");
  EXPECT_EQ(f->chunked(), "a\r\ndata: hi\n\n\r\n");
  EXPECT_EQ(f->payload().data(), f->chunked().data() + 3);
}

}  // namespace
}  // namespace sse::serve

namespace sse::serve {
namespace {

TEST(RingHistory, LastGivesTheNewestOldestFirst) {
  ring_history h(3, 1 << 20);
  EXPECT_TRUE(h.last(5).empty());
  for (int i = 1; i <= 5; ++i)
    h.append(static_cast<std::uint64_t>(i), std::to_string(i), held("e" + std::to_string(i)));
  EXPECT_EQ(payloads(h.last(2)), (std::vector<std::string>{"e4", "e5"}));
  EXPECT_EQ(payloads(h.last(10)), (std::vector<std::string>{"e3", "e4", "e5"}));
  EXPECT_TRUE(h.last(0).empty());
}

}  // namespace
}  // namespace sse::serve
