#include "event_hub.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include <sse/parser.hpp>

namespace sse::serve {
namespace {

// Records what the hub delivers; refuses once `limit` live frames are queued (a stalled client).
class recorder final : public subscriber {
 public:
  explicit recorder(std::size_t limit = SIZE_MAX) : limit_(limit) {}
  bool deliver(frame const& f, bool replay) override {
    if (!replay && live_ >= limit_) return false;
    if (!replay) ++live_;
    bytes.append(f->payload());
    frames.push_back(f);
    return true;
  }
  void drop() override { dropped = true; }
  void end() override { ended = true; }

  std::vector<owned_event> events() const { return parse_all(bytes); }

  std::string bytes;
  std::vector<frame> frames;
  bool dropped = false;
  bool ended = false;

 private:
  std::size_t limit_;
  std::size_t live_ = 0;
};

source_event line(std::string data) {
  source_event ev;
  ev.data = std::move(data);
  return ev;
}

TEST(EventHub, AssignsSequentialIdsAndSharesOneFrame) {
  ring_history h(100, 1 << 20);
  event_hub hub(h);
  auto a = std::make_shared<recorder>(), b = std::make_shared<recorder>();
  EXPECT_EQ(hub.attach(a, std::nullopt), attach_result::live);
  EXPECT_EQ(hub.attach(b, std::nullopt), attach_result::live);
  hub.publish(line("one"));
  hub.publish(line("two"));
  EXPECT_EQ(a->events(), (std::vector<owned_event>{{"message", "one", "1"}, {"message", "two", "2"}}));
  EXPECT_EQ(a->bytes, b->bytes);
  ASSERT_EQ(a->frames.size(), 2u);
  EXPECT_EQ(a->frames[0].get(), b->frames[0].get());  // the same bytes, not a copy per client
}

TEST(EventHub, ExplicitIdsAndTypesWin) {
  ring_history h(100, 1 << 20);
  event_hub hub(h);
  auto a = std::make_shared<recorder>();
  hub.attach(a, std::nullopt);
  source_event ev = line("x");
  ev.type = "log";
  ev.id = "abc";
  hub.publish(ev);
  hub.publish(line("y"));
  EXPECT_EQ(a->events(), (std::vector<owned_event>{{"log", "x", "abc"}, {"message", "y", "2"}}));
}

TEST(EventHub, RefusesWhatTheWireCannotCarry) {
  ring_history h(100, 1 << 20);
  event_hub hub(h);
  source_event ev = line("x");
  ev.id = "a\nb";
  EXPECT_EQ(hub.publish(ev), sse::encode_error::id_has_line_break);
  EXPECT_EQ(hub.published(), 0u);
  EXPECT_EQ(h.size(), 0u);
}

TEST(EventHub, FreshClientGetsLiveOnly) {
  ring_history h(100, 1 << 20);
  event_hub hub(h);
  hub.publish(line("old"));
  auto a = std::make_shared<recorder>();
  hub.attach(a, std::nullopt);
  hub.publish(line("new"));
  EXPECT_EQ(a->events(), (std::vector<owned_event>{{"message", "new", "2"}}));
}

TEST(EventHub, ResumesAfterLastEventIdWithoutGapOrDuplicate) {
  ring_history h(100, 1 << 20);
  event_hub hub(h);
  for (int i = 1; i <= 5; ++i) hub.publish(line("e" + std::to_string(i)));
  auto a = std::make_shared<recorder>();
  EXPECT_EQ(hub.attach(a, std::string_view("2")), attach_result::replayed);
  hub.publish(line("e6"));
  std::vector<owned_event> want;
  for (int i = 3; i <= 6; ++i) want.push_back({"message", "e" + std::to_string(i), std::to_string(i)});
  EXPECT_EQ(a->events(), want);
}

TEST(EventHub, UpToDateClientGetsNoReset) {
  ring_history h(0, 0);  // even with no history, the newest id needs nothing replayed
  event_hub hub(h);
  hub.publish(line("a"));
  auto a = std::make_shared<recorder>();
  EXPECT_EQ(hub.attach(a, std::string_view("1")), attach_result::replayed);
  EXPECT_TRUE(a->bytes.empty());
}

TEST(EventHub, ExpiredIdGetsResetWithMissedCount) {
  ring_history h(3, 1 << 20);
  event_hub hub(h);
  for (int i = 1; i <= 10; ++i) hub.publish(line(std::to_string(i)));
  auto a = std::make_shared<recorder>();
  EXPECT_EQ(hub.attach(a, std::string_view("2")), attach_result::reset);
  hub.publish(line("11"));
  EXPECT_EQ(a->events(), (std::vector<owned_event>{{"sse-reset", R"({"reason":"expired","missed":8})", "10"},
                                                   {"message", "11", "11"}}));
}

TEST(EventHub, UnknownIdGetsReset) {
  ring_history h(3, 1 << 20);
  event_hub hub(h);
  hub.publish(line("1"));
  for (std::string id : {"abc", "99", "007"}) {
    auto a = std::make_shared<recorder>();
    EXPECT_EQ(hub.attach(a, std::string_view(id)), attach_result::reset) << id;
    EXPECT_EQ(a->events(), (std::vector<owned_event>{{"sse-reset", R"({"reason":"unknown"})", "1"}})) << id;
  }
}

TEST(EventHub, StalledSubscriberIsDroppedAndOthersContinue) {
  ring_history h(100, 1 << 20);
  event_hub hub(h);
  auto slow = std::make_shared<recorder>(2);
  auto fast = std::make_shared<recorder>();
  hub.attach(slow, std::nullopt);
  hub.attach(fast, std::nullopt);
  for (int i = 1; i <= 5; ++i) hub.publish(line(std::to_string(i)));
  EXPECT_TRUE(slow->dropped);
  EXPECT_EQ(slow->events().size(), 2u);
  EXPECT_EQ(fast->events().size(), 5u);
  EXPECT_EQ(hub.clients(), 1u);
}

TEST(EventHub, EndSendsTheEndEventAndRefusesLaterClients) {
  ring_history h(100, 1 << 20);
  event_hub hub(h);
  auto a = std::make_shared<recorder>();
  hub.attach(a, std::nullopt);
  hub.publish(line("last"));
  hub.end("eof");
  EXPECT_TRUE(a->ended);
  EXPECT_EQ(a->events(), (std::vector<owned_event>{{"message", "last", "1"}, {"sse-end", R"({"reason":"eof"})", "1"}}));
  EXPECT_EQ(hub.clients(), 0u);
  EXPECT_EQ(hub.attach(std::make_shared<recorder>(), std::nullopt), attach_result::ended);
}

TEST(EventHub, DetachStopsDelivery) {
  ring_history h(100, 1 << 20);
  event_hub hub(h);
  auto a = std::make_shared<recorder>(), b = std::make_shared<recorder>();
  hub.attach(a, std::nullopt);
  hub.attach(b, std::nullopt);
  hub.detach(*a);
  hub.detach(*a);  // twice is harmless
  hub.publish(line("x"));
  EXPECT_TRUE(a->bytes.empty());
  EXPECT_EQ(b->events().size(), 1u);
}

TEST(EventHub, RetryAndPing) {
  ring_history h(100, 1 << 20);
  event_hub hub(h);
  auto a = std::make_shared<recorder>();
  hub.attach(a, std::nullopt);
  hub.publish_retry(2500);
  hub.ping();
  EXPECT_EQ(hub.retry(), 2500u);
  EXPECT_NE(a->bytes.find("retry: 2500\n"), std::string::npos);
  EXPECT_NE(a->bytes.find(": ping\n"), std::string::npos) << a->bytes;
  EXPECT_TRUE(a->events().empty());
}

}  // namespace
}  // namespace sse::serve

namespace sse::serve {
namespace {

TEST(EventHub, AnnouncesTypesOnlyToThoseWhoAsk) {
  ring_history h(100, 1 << 20);
  event_hub hub(h);
  source_event first;
  first.data = "1";
  first.type = "deploy";
  hub.publish(first);
  auto page = std::make_shared<recorder>(), plain = std::make_shared<recorder>();
  page->announce_types = true;
  hub.attach(page, std::nullopt);
  hub.attach(plain, std::nullopt);
  source_event ev;
  ev.data = "x";
  ev.type = "warn";
  hub.publish(ev);
  hub.publish(ev);  // announced once only
  ev.type = "";
  hub.publish(ev);  // the default type needs no announcement
  EXPECT_EQ(page->events(), (std::vector<owned_event>{{"sse-types", R"(["deploy"])", ""},
                                                      {"sse-types", R"(["warn"])", ""},
                                                      {"warn", "x", "2"},
                                                      {"warn", "x", "3"},
                                                      {"message", "x", "4"}}));
  EXPECT_EQ(plain->events(), (std::vector<owned_event>{{"warn", "x", "2"}, {"warn", "x", "3"}, {"message", "x", "4"}}));
}

}  // namespace
}  // namespace sse::serve
