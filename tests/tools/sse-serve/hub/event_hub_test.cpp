#include "hub/event_hub.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <sse/parser.hpp>
#include <string>
#include <vector>

#include "backplane/backplane.hpp"

namespace sse::serve {
namespace {

// Stands in for a transport: takes everything it is woken for (unless it is "stuck"), and can
// pretend a write is in flight.
class recorder final : public subscriber {
 public:
  void wake() override {
    ++wakes;
    if (!stuck) drain();
  }
  void drop(std::string_view why) override { dropped = std::string(why); }
  bool writing() const noexcept override { return busy; }

  // What a transport does when it can write: take all, then park.
  void drain() {
    take([this](frame const& f) {
      bytes.append(f->payload());
      frames.push_back(f);
      return true;
    });
    wait();
  }
  std::vector<owned_event> events() const { return parse_all(bytes); }

  std::string bytes;
  std::vector<frame> frames;
  std::string dropped;
  int wakes = 0;
  bool stuck = false;  // does not take what it is woken for (a stalled client)
  bool busy = false;   // a write is in flight
};

// The hub defers some work through this; tests run it explicitly.
struct deferred {
  std::vector<std::function<void()>> queue;
  event_hub::scheduler scheduler() {
    return [this](std::function<void()> f) { queue.push_back(std::move(f)); };
  }
  void run() {
    while (!queue.empty()) {
      auto q = std::move(queue);
      queue.clear();
      for (auto& f : q) f();
    }
  }
};

struct fixture {
  explicit fixture(std::size_t events = 100, hub_config config = {})
      : history(events, std::size_t{64} << 20), hub(history, config, later.scheduler()) {}

  std::shared_ptr<recorder> attach(std::optional<std::string_view> id = std::nullopt,
                                   attach_result* result = nullptr, bool announce = false,
                                   std::vector<std::string> const& topics = {}) {
    auto r = std::make_shared<recorder>();
    r->announce_types = announce;
    attach_result got = hub.attach(r, id, 0, topics);
    if (result != nullptr) *result = got;
    r->drain();  // as a stream does when it starts
    return r;
  }
  void publish(std::string data, std::string type = {}, std::string topic = {}) {
    source_event ev;
    ev.data = std::move(data);
    ev.type = std::move(type);
    ev.topic = std::move(topic);
    ASSERT_EQ(hub.publish(ev), sse::encode_error::none);
  }
  void publish_range(int from, int to) {
    for (int i = from; i <= to; ++i) publish(std::to_string(i));
    hub.flush();
  }

  deferred later;
  ring_history history;
  event_hub hub;
};

std::vector<owned_event> numbered(int from, int to) {
  std::vector<owned_event> out;
  for (int i = from; i <= to; ++i) out.push_back({"message", std::to_string(i), std::to_string(i)});
  return out;
}

TEST(EventHub, AssignsSequentialIdsAndSharesOneFrame) {
  fixture f;
  auto a = f.attach(), b = f.attach();
  f.publish("one");
  f.publish("two");
  f.hub.flush();
  EXPECT_EQ(a->events(),
            (std::vector<owned_event>{{"message", "one", "1"}, {"message", "two", "2"}}));
  EXPECT_EQ(a->bytes, b->bytes);
  ASSERT_EQ(a->frames.size(), 2u);
  EXPECT_EQ(a->frames[0].get(), b->frames[0].get());  // the same bytes, not a copy per client
}

TEST(EventHub, PublishingWakesOnlyAtFlushAndOnlyOncePerBatch) {
  fixture f;
  auto a = f.attach();
  for (int i = 0; i < 50; ++i) f.publish("x");
  EXPECT_EQ(a->wakes, 0);
  EXPECT_TRUE(a->bytes.empty());
  f.hub.flush();
  EXPECT_EQ(a->wakes, 1);
  EXPECT_EQ(a->events().size(), 50u);
  f.hub.flush();  // nothing new: nobody is woken
  EXPECT_EQ(a->wakes, 1);
}

TEST(EventHub, ABusySubscriberIsNotWokenAndTakesTheBacklogLater) {
  fixture f;
  auto a = f.attach();
  a->stuck = true;  // woken once, takes nothing: it is mid-write
  f.publish_range(1, 3);
  EXPECT_EQ(a->wakes, 1);
  f.publish_range(4, 6);
  EXPECT_EQ(a->wakes, 1);  // it did not park again, so it is not woken again
  a->drain();
  EXPECT_EQ(a->events(), numbered(1, 6));
}

TEST(EventHub, ExplicitIdsAndTypesWin) {
  fixture f;
  auto a = f.attach();
  source_event ev;
  ev.data = "x";
  ev.type = "log";
  ev.id = "abc";
  f.hub.publish(ev);
  f.publish("y");
  f.hub.flush();
  EXPECT_EQ(a->events(), (std::vector<owned_event>{{"log", "x", "abc"}, {"message", "y", "2"}}));
}

TEST(EventHub, RefusesWhatTheWireCannotCarry) {
  fixture f;
  source_event ev;
  ev.data = "x";
  ev.id = "a\nb";
  EXPECT_EQ(f.hub.publish(ev), sse::encode_error::id_has_line_break);
  EXPECT_EQ(f.hub.published(), 0u);
  EXPECT_EQ(f.history.size(), 0u);
  EXPECT_EQ(f.hub.log_bytes(), 0u);
}

TEST(EventHub, FreshClientGetsLiveOnly) {
  fixture f;
  f.publish_range(1, 1);
  auto a = f.attach();
  f.publish_range(2, 2);
  EXPECT_EQ(a->events(), numbered(2, 2));
}

TEST(EventHub, BacklogIsOptIn) {
  fixture f;
  f.publish_range(1, 5);
  auto a = std::make_shared<recorder>();
  f.hub.attach(a, std::nullopt, 2);
  a->drain();
  EXPECT_EQ(a->events(), numbered(4, 5));
}

TEST(EventHub, ResumesAfterLastEventIdWithoutGapOrDuplicate) {
  fixture f;
  f.publish_range(1, 5);
  attach_result r{};
  auto a = f.attach(std::string_view("2"), &r);
  EXPECT_EQ(r, attach_result::replayed);
  f.publish_range(6, 6);
  EXPECT_EQ(a->events(), numbered(3, 6));
}

TEST(EventHub, UpToDateClientGetsNoReset) {
  fixture f(0);  // even with no history, the newest id needs nothing replayed
  f.publish_range(1, 1);
  attach_result r{};
  auto a = f.attach(std::string_view("1"), &r);
  EXPECT_EQ(r, attach_result::replayed);
  EXPECT_TRUE(a->bytes.empty());
}

TEST(EventHub, ExpiredIdGetsResetWithExactlyWhatWasLostThenEverythingHeld) {
  fixture f(3);
  f.publish_range(1, 10);
  attach_result r{};
  auto a = f.attach(std::string_view("2"), &r);
  EXPECT_EQ(r, attach_result::reset);
  f.publish_range(11, 11);
  // 3..7 are gone (5 events); the reset places the client at 7, just before the oldest held.
  std::vector<owned_event> want{{"sse-reset", R"({"reason":"expired","missed":5})", "7"}};
  for (auto const& e : numbered(8, 11)) want.push_back(e);
  EXPECT_EQ(a->events(), want);
}

TEST(EventHub, TheResetPositionResumesWithoutASecondReset) {
  fixture f(3);
  f.publish_range(1, 10);
  attach_result r{};
  auto a = f.attach(std::string_view("7"), &r);
  EXPECT_EQ(r, attach_result::replayed);
  EXPECT_EQ(a->events(), numbered(8, 10));
}

TEST(EventHub, WithNoHistoryTheResetMovesTheClientToNow) {
  fixture f(0);
  f.publish_range(1, 4);
  auto a = f.attach(std::string_view("2"));
  f.publish_range(5, 5);
  EXPECT_EQ(a->events(),
            (std::vector<owned_event>{{"sse-reset", R"({"reason":"expired","missed":2})", "4"},
                                      {"message", "5", "5"}}));
}

TEST(EventHub, UnknownIdGetsResetThenEverythingHeld) {
  fixture f(3);
  f.publish_range(1, 1);
  for (std::string id : {"abc", "99", "007"}) {
    attach_result r{};
    auto a = f.attach(std::string_view(id), &r);
    EXPECT_EQ(r, attach_result::reset) << id;
    // Nothing was ever evicted: the reset carries no id, so the client keeps its own until the
    // held events arrive (and gets this same answer if it reconnects before).
    EXPECT_EQ(a->events(), (std::vector<owned_event>{{"sse-reset", R"({"reason":"unknown"})", ""},
                                                     {"message", "1", "1"}}))
        << id;
  }
}

TEST(EventHub, AClientFarBehindIsDroppedAndOthersGoOn) {
  hub_config c;
  c.client_buffer = 100 << 10;
  fixture f(100, c);
  auto slow = f.attach(), fast = f.attach();
  slow->stuck = true;
  std::string kib(1000, 'k');
  for (int i = 0; i < 300; ++i) {
    f.publish(kib);
    f.hub.flush();
  }
  EXPECT_EQ(slow->dropped, "behind");
  EXPECT_FALSE(slow->attached());
  EXPECT_EQ(fast->events().size(), 300u);
  EXPECT_TRUE(fast->dropped.empty());
  EXPECT_EQ(f.hub.clients(), 1u);
  // What everyone has taken is given back: the log does not grow with the stream.
  EXPECT_LT(f.hub.log_bytes(), std::uint64_t{c.client_buffer});
}

TEST(EventHub, OneFrameLargerThanTheBoundStillGoesToAClientThatKeepsUp) {
  hub_config c;
  c.client_buffer = 1000;
  fixture f(100, c);
  auto a = f.attach();
  a->stuck = true;
  f.publish(std::string(200 << 10, 'x'));
  f.hub.flush();
  EXPECT_TRUE(a->dropped.empty());
  a->drain();
  EXPECT_EQ(a->events().size(), 1u);
}

TEST(EventHub, BackpressureThrottlesTheSourcesUntilTheSlowestCatchesUp) {
  hub_config c;
  c.policy = slow_client_policy::backpressure;
  c.client_buffer = 100 << 10;
  fixture f(10, c);
  auto slow = f.attach(), fast = f.attach();
  slow->stuck = true;
  std::string kib(1000, 'k');
  int published = 0;
  while (!f.hub.throttled() && published < 10000) {
    f.publish(kib);
    f.hub.flush();
    ++published;
  }
  ASSERT_TRUE(f.hub.throttled());
  EXPECT_GT(published, 100);  // about client_buffer of events, not fewer
  EXPECT_LT(published, 300);
  EXPECT_TRUE(slow->dropped.empty());
  bool resumed = false;
  f.hub.when_unthrottled([&] { resumed = true; });
  f.later.run();
  EXPECT_FALSE(resumed);
  slow->stuck = false;
  slow->drain();
  f.later.run();
  EXPECT_TRUE(resumed);
  EXPECT_FALSE(f.hub.throttled());
  EXPECT_EQ(slow->events().size(), static_cast<std::size_t>(published));
  EXPECT_EQ(fast->events().size(), static_cast<std::size_t>(published));
}

TEST(EventHub, BackpressureEndsWhenTheSlowestLeaves) {
  hub_config c;
  c.policy = slow_client_policy::backpressure;
  c.client_buffer = 100 << 10;
  fixture f(10, c);
  auto slow = f.attach();
  slow->stuck = true;
  std::string kib(1000, 'k');
  for (int i = 0; i < 1000 && !f.hub.throttled(); ++i) {
    f.publish(kib);
    f.hub.flush();
  }
  ASSERT_TRUE(f.hub.throttled());
  bool resumed = false;
  f.hub.when_unthrottled([&] { resumed = true; });
  f.hub.detach(*slow);
  f.later.run();
  EXPECT_TRUE(resumed);
}

TEST(EventHub, AWriteThatMakesNoProgressForTheStallTimeoutIsDropped) {
  hub_config c;
  c.stall_ticks = 3;
  fixture f(10, c);
  auto stalled = f.attach(), moving = f.attach(), idle = f.attach();
  stalled->busy = true;
  moving->busy = true;
  for (int i = 0; i < 10; ++i) {
    moving->progressed(100);
    f.hub.tick();
  }
  EXPECT_EQ(stalled->dropped, "stalled");
  EXPECT_TRUE(moving->dropped.empty());
  EXPECT_TRUE(idle->dropped.empty());  // nothing to write is not a stall
  EXPECT_EQ(f.hub.clients(), 2u);
}

TEST(EventHub, KeepAlivesGoToIdleClientsOnly) {
  hub_config c;
  c.ping_ticks = 3;
  fixture f(10, c);
  auto a = f.attach();
  for (int i = 0; i < 4; ++i) f.hub.tick();
  EXPECT_NE(a->bytes.find(": ping\n"), std::string::npos);
  EXPECT_TRUE(a->events().empty());
  a->bytes.clear();
  for (int i = 1; i <= 8; ++i) {  // an event every tick: never idle long enough
    f.publish_range(i, i);
    f.hub.tick();
  }
  EXPECT_EQ(a->bytes.find(": ping\n"), std::string::npos) << a->bytes;
  EXPECT_EQ(a->events(), numbered(1, 8));
}

TEST(EventHub, EndComesAfterEverythingAndRefusesLaterClients) {
  fixture f;
  auto a = f.attach();
  f.publish("last");
  f.hub.end("eof");
  EXPECT_TRUE(f.hub.ended());
  EXPECT_EQ(a->events(), (std::vector<owned_event>{{"message", "last", "1"},
                                                   {"sse-end", R"({"reason":"eof"})", "1"}}));
  EXPECT_TRUE(a->finished());
  EXPECT_EQ(f.hub.attach(std::make_shared<recorder>(), std::nullopt), attach_result::ended);
  EXPECT_EQ(f.hub.publish(source_event{}), sse::encode_error::none);  // ignored
  EXPECT_EQ(f.hub.published(), 1u);
}

TEST(EventHub, DetachStopsDelivery) {
  fixture f;
  auto a = f.attach(), b = f.attach();
  f.hub.detach(*a);
  f.hub.detach(*a);  // twice is harmless
  f.publish_range(1, 1);
  EXPECT_TRUE(a->bytes.empty());
  EXPECT_EQ(a->wakes, 0);
  EXPECT_EQ(b->events().size(), 1u);
}

TEST(EventHub, RetryGoesToEveryoneAndIsRemembered) {
  fixture f;
  auto a = f.attach();
  f.hub.publish_retry(2500);
  f.hub.flush();
  EXPECT_EQ(f.hub.retry(), 2500u);
  EXPECT_NE(a->bytes.find("retry: 2500\n"), std::string::npos);
  EXPECT_TRUE(a->events().empty());
}

TEST(EventHub, AnnouncesTypesOnlyToThoseWhoAsk) {
  fixture f;
  f.publish("1", "deploy");
  auto page = f.attach(std::nullopt, nullptr, true), plain = f.attach();
  f.publish("x", "warn");
  f.publish("x", "warn");  // announced once only
  f.publish("x");          // the default type needs no announcement
  f.hub.flush();
  EXPECT_EQ(page->events(), (std::vector<owned_event>{{"sse-types", R"(["deploy"])", ""},
                                                      {"sse-position", "", "1"},
                                                      {"sse-types", R"(["warn"])", "1"},
                                                      {"warn", "x", "2"},
                                                      {"warn", "x", "3"},
                                                      {"message", "x", "4"}}));
  EXPECT_EQ(plain->events(), (std::vector<owned_event>{
                                 {"warn", "x", "2"}, {"warn", "x", "3"}, {"message", "x", "4"}}));
}

TEST(EventHub, APageStreamThatStartsWithNoEventIsToldWhereItStarts) {
  fixture f;
  // Nothing published yet: no position to tell.
  auto early = f.attach(std::nullopt, nullptr, true);
  EXPECT_TRUE(early->events().empty());
  f.publish("1");
  f.publish("2", "", "a");
  f.hub.flush();
  // A new page stream (of every topic, or of another topic than the latest event's) starts
  // positioned after the latest event: no data, its id.
  auto page = f.attach(std::nullopt, nullptr, true),
       other = f.attach(std::nullopt, nullptr, true, {"b"});
  EXPECT_EQ(page->events(), (std::vector<owned_event>{{"sse-position", "", "2"}}));
  EXPECT_EQ(other->events(), (std::vector<owned_event>{{"sse-position", "", "2"}}));
  // Not for other clients, nor for one that resumes (it knows where it is).
  auto plain = f.attach(), resumed = f.attach("1", nullptr, true);
  EXPECT_TRUE(plain->events().empty());
  EXPECT_EQ(resumed->events(),
            (std::vector<owned_event>{{"sse-topic", "a", ""}, {"message", "2", "2"}}));
  // Resuming from the position gets exactly what came after it.
  f.publish("3", "", "b");
  f.hub.flush();
  auto back = f.attach("2", nullptr, true, {"b"});
  EXPECT_EQ(back->events(),
            (std::vector<owned_event>{{"sse-topic", "b", ""}, {"message", "3", "3"}}));
}

TEST(EventHub, TopicsFilterWhatEachClientGetsFromOneSharedFrame) {
  fixture f;
  auto a = f.attach(std::nullopt, nullptr, false, {"a"});
  auto ab = f.attach(std::nullopt, nullptr, false, {"a", "b"});
  auto all = f.attach();
  f.publish("1", "", "a");
  f.publish("2", "", "b");
  f.publish("3", "", "c");
  f.publish("4");  // no topic: only for clients of every topic
  f.hub.flush();
  auto data = [](recorder const& r) {
    std::vector<std::string> out;
    for (auto const& e : r.events()) out.push_back(e.data);
    return out;
  };
  EXPECT_EQ(data(*a), (std::vector<std::string>{"1"}));
  EXPECT_EQ(data(*ab), (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(data(*all), (std::vector<std::string>{"1", "2", "3", "4"}));
  EXPECT_EQ(a->frames[0].get(), all->frames[0].get());  // filtering is not a copy per client
  EXPECT_EQ(all->events()[2].id, "3");                  // one id sequence for every topic
}

TEST(EventHub, AClientOfOneTopicIsNotWokenByOtherTopics) {
  fixture f;
  auto a = f.attach(std::nullopt, nullptr, false, {"a"});
  for (int i = 0; i < 10; ++i) {
    f.publish("x", "", "b");
    f.hub.flush();
  }
  EXPECT_EQ(a->wakes, 0);
  f.publish("y", "", "a");
  f.hub.flush();
  EXPECT_EQ(a->wakes, 1);
  EXPECT_EQ(a->events().size(), 1u);
  f.hub.end("eof");  // the end is for everyone
  EXPECT_EQ(a->wakes, 2);
  EXPECT_TRUE(a->finished());
}

TEST(EventHub, ResumingWithATopicFilterReplaysOnlyItsTopics) {
  fixture f(100);
  for (int i = 1; i <= 6; ++i) f.publish(std::to_string(i), "", i % 2 == 0 ? "even" : "odd");
  f.hub.flush();
  auto even = f.attach(std::string_view("2"), nullptr, false, {"even"});
  EXPECT_EQ(even->events(),
            (std::vector<owned_event>{{"message", "4", "4"}, {"message", "6", "6"}}));
}

TEST(EventHub, AFilteredResetSaysExpiredWithoutACountThenItsHeldEvents) {
  fixture f(3);
  for (int i = 1; i <= 10; ++i) f.publish(std::to_string(i), "", i % 2 == 0 ? "even" : "odd");
  f.hub.flush();
  attach_result r{};
  auto even = f.attach(std::string_view("2"), &r, false, {"even"});
  EXPECT_EQ(r, attach_result::reset);
  EXPECT_EQ(even->events(), (std::vector<owned_event>{{"sse-reset", R"({"reason":"expired"})", "7"},
                                                      {"message", "8", "8"},
                                                      {"message", "10", "10"}}));
}

TEST(EventHub, ABacklogCountsOnlyTheClientsTopics) {
  fixture f;
  for (int i = 1; i <= 6; ++i) f.publish(std::to_string(i), "", i % 2 == 0 ? "even" : "odd");
  f.hub.flush();
  auto r = std::make_shared<recorder>();
  f.hub.attach(r, std::nullopt, 2, {"odd"});
  r->drain();
  EXPECT_EQ(r->events(), (std::vector<owned_event>{{"message", "3", "3"}, {"message", "5", "5"}}));
}

TEST(EventHub, ThePageIsToldEachEventsTopicLiveAndInReplays) {
  fixture f;
  f.publish("old", "", "a");
  f.hub.flush();
  auto page = f.attach(std::string_view("0"), nullptr, true);  // resumes from before: gets "old"
  auto plain = f.attach();
  f.publish("new", "", "b");
  f.publish("bare");
  f.hub.flush();
  EXPECT_EQ(page->events(), (std::vector<owned_event>{{"sse-reset", R"({"reason":"unknown"})", ""},
                                                      {"sse-topic", "a", ""},
                                                      {"message", "old", "1"},
                                                      {"sse-topic", "b", "1"},
                                                      {"message", "new", "2"},
                                                      {"message", "bare", "3"}}));
  EXPECT_EQ(plain->events(),
            (std::vector<owned_event>{{"message", "new", "2"}, {"message", "bare", "3"}}));
}

TEST(EventHub, TopicsOnlyFollowedAreForgottenWhenTheirClientsLeave) {
  fixture f;
  EXPECT_EQ(f.hub.topics(), 0u);
  auto a = f.attach(std::nullopt, nullptr, false, {"x", "y"});
  EXPECT_EQ(f.hub.topics(), 2u);
  f.publish("1", "", "y");
  f.hub.detach(*a);
  EXPECT_EQ(f.hub.topics(), 1u);  // y was published to: its events are held, so it stays
  auto b = f.attach(std::nullopt, nullptr, false, {"x"});  // x's id is used again
  f.publish("2", "", "x");
  f.hub.flush();
  EXPECT_EQ(b->events(), (std::vector<owned_event>{{"message", "2", "2"}}));
}

TEST(EventHub, TopicNames) {
  EXPECT_EQ(topic_problem("builds"), "");
  EXPECT_EQ(topic_problem("caf\xc3\xa9 ci:main #1"), "");
  EXPECT_EQ(topic_problem(std::string(200, 't')), "");
  EXPECT_NE(topic_problem(""), "");
  EXPECT_NE(topic_problem(std::string(201, 't')), "");
  EXPECT_NE(topic_problem("a/b"), "");
  EXPECT_NE(topic_problem("a\tb"), "");
  EXPECT_NE(topic_problem("a\x7f"), "");
  EXPECT_NE(topic_problem("a\xc2\x85"), "");  // U+0085, a C1 control
  EXPECT_NE(topic_problem("\xff"), "");
}

// --- with a shared store (--redis): resumes the cache does not hold ---

// A store that answers read_range when told to, and counts the requests.
class fake_store final : public backplane {
 public:
  bool is_store_id(std::string_view id) const override { return id.rfind("s", 0) == 0; }
  int compare(std::string_view a, std::string_view b) const override {
    return std::stoi(std::string(a.substr(1))) - std::stoi(std::string(b.substr(1)));
  }
  void read_range(std::string const& after, std::string const& until, range_done done) override {
    requests.push_back(after + ".." + until);
    pending.push_back(std::move(done));
  }
  static stored_event event(int n, std::string topic = {}) {
    stored_event e;
    e.id = "s" + std::to_string(n);
    e.event.data = "d" + std::to_string(n);
    e.event.id = e.id;
    e.event.topic = std::move(topic);
    return e;
  }
  std::vector<std::string> requests;
  std::vector<range_done> pending;
};

struct store_fixture : fixture {
  explicit store_fixture(hub_config c = {}) : fixture(3, c) {
    hub.set_backplane(&store);
    hub.start_at("s10");
  }
  // What the store's reader delivers to the hub: event n with id "s<n>".
  void read(int n, std::string topic = {}) {
    source_event ev = fake_store::event(n, std::move(topic)).event;
    ASSERT_EQ(hub.publish(ev, event_source_kind::store), sse::encode_error::none);
    hub.flush();
  }
  fake_store store;
};

TEST(EventHubWithAStore, AnIdOlderThanTheCacheIsFetchedOnceForEveryClientAskingAtOnce) {
  store_fixture f;
  attach_result r{};
  auto a = f.attach(std::string_view("s5"), &r);
  auto b = f.attach(std::string_view("s5"));
  EXPECT_EQ(r, attach_result::fetching);
  ASSERT_EQ(f.store.requests, (std::vector<std::string>{"s5..s10"}));  // one request for both
  f.read(11);  // arrives while the replay is on its way: it must come after the replay
  EXPECT_TRUE(a->bytes.empty());
  std::vector<stored_event> replay;
  for (int n = 6; n <= 10; ++n) replay.push_back(fake_store::event(n));
  f.store.pending.front()(range_status::exact, replay);
  f.later.run();
  std::vector<owned_event> want;
  for (int n = 6; n <= 11; ++n)
    want.push_back({"message", "d" + std::to_string(n), "s" + std::to_string(n)});
  EXPECT_EQ(a->events(), want);
  EXPECT_EQ(b->events(), want);
  EXPECT_EQ(a->frames[0].get(), b->frames[0].get());  // the replay is encoded once for both
}

TEST(EventHubWithAStore, TrimmedIdsGetAResetAndWhatTheStoreHolds) {
  store_fixture f;
  auto a = f.attach(std::string_view("s1"));
  f.store.pending.front()(range_status::trimmed, {fake_store::event(9), fake_store::event(10)});
  EXPECT_EQ(a->events(), (std::vector<owned_event>{{"sse-reset", R"({"reason":"expired"})", ""},
                                                   {"message", "d9", "s9"},
                                                   {"message", "d10", "s10"}}));
}

TEST(EventHubWithAStore, AnUnreachableStoreClosesTheStreamSoItRetriesLater) {
  store_fixture f;
  auto a = f.attach(std::string_view("s1"));
  f.store.pending.front()(range_status::unavailable, {});
  EXPECT_EQ(a->dropped, "unavailable");
  EXPECT_EQ(f.hub.clients(), 0u);
}

TEST(EventHubWithAStore, AClientAheadOfThisReplicaStartsRightAfterItsOwnId) {
  store_fixture f;
  auto a = f.attach(std::string_view("s12"));        // seen on a replica that read further
  f.store.pending.front()(range_status::exact, {});  // nothing between s12 and s10
  f.read(11);
  f.read(12);
  EXPECT_TRUE(a->bytes.empty());  // 11 and 12 it has seen already
  f.read(13);
  EXPECT_EQ(a->events(), (std::vector<owned_event>{{"message", "d13", "s13"}}));
}

TEST(EventHubWithAStore, ResetAllReachesEveryClientAndTheOnesWaiting) {
  store_fixture f;
  auto live = f.attach();
  auto waiting = f.attach(std::string_view("s12"));
  f.store.pending.front()(range_status::exact, {});
  f.hub.reset_all("restarted");
  f.read(20);
  for (auto const& c : {live, waiting}) {
    EXPECT_EQ(c->events(), (std::vector<owned_event>{{"sse-reset", R"({"reason":"restarted"})", ""},
                                                     {"message", "d20", "s20"}}));
  }
}

}  // namespace
}  // namespace sse::serve
