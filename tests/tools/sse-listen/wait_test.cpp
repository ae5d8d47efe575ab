// The one wait: how long each poll may last, and what ends it.
#include "wait.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

namespace sse::listen {
namespace {

using namespace std::chrono_literals;

steady_time const t0{std::chrono::seconds(1000)};

TEST(wait, a_poll_lasts_until_the_nearer_of_until_and_the_deadline_and_at_most_a_second) {
  waiter none(std::nullopt);
  EXPECT_EQ(none.timeout_ms(t0), 1000);
  EXPECT_EQ(none.timeout_ms(t0, t0 + 250ms), 250);
  EXPECT_EQ(none.timeout_ms(t0, t0 + 5s), 1000);
  waiter with_deadline(t0 + 40ms);
  EXPECT_EQ(with_deadline.timeout_ms(t0), 40);
  EXPECT_EQ(with_deadline.timeout_ms(t0, t0 + 250ms), 40);
  EXPECT_EQ(with_deadline.timeout_ms(t0, t0 + 10ms), 10);
}

TEST(wait, a_poll_never_spins_and_rounds_up) {
  waiter w(t0 + 100us);
  EXPECT_EQ(w.timeout_ms(t0), 1);       // 0.1 ms left: wait 1 ms, not 0
  EXPECT_EQ(w.timeout_ms(t0 + 1s), 1);  // already past
  EXPECT_EQ(waiter(std::nullopt).timeout_ms(t0, t0 + 1500us), 2);
}

TEST(wait, stopped_once_the_deadline_has_passed) {
  waiter w(t0 + 1s);
  EXPECT_EQ(w.stopped(t0), std::nullopt);
  EXPECT_EQ(w.stopped(t0 + 1s), wake::timed_out);
  EXPECT_EQ(waiter(std::nullopt).stopped(t0 + 100000h), std::nullopt);
}

TEST(wait, a_readable_fd_wakes_it) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ASSERT_EQ(::write(fds[1], "x", 1), 1);
  EXPECT_EQ(waiter(std::chrono::steady_clock::now() + 60s).wait(fds[0]), wake::ready);
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(wait, a_time_in_the_past_is_due_at_once_and_the_deadline_comes_first) {
  auto now = std::chrono::steady_clock::now();
  EXPECT_EQ(waiter(std::nullopt).wait(-1, now - 1s), wake::due);
  EXPECT_EQ(waiter(now - 1s).wait(-1, now - 1s), wake::timed_out);
  EXPECT_EQ(waiter(now + 20ms).wait(-1, now + 60s), wake::timed_out);
}

TEST(wait, deadline_after) {
  EXPECT_EQ(deadline_after(0), std::nullopt);
  auto before = std::chrono::steady_clock::now();
  auto d = deadline_after(2.5);
  ASSERT_TRUE(d);
  EXPECT_GE(*d, before + 2500ms);
}

}  // namespace
}  // namespace sse::listen
