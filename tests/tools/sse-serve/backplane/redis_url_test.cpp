// --redis URLs: every form parses, bad ones say why, and no output ever shows the password.
#include "backplane/redis_url.hpp"

#include <gtest/gtest.h>

namespace sse::serve {
namespace {

TEST(RedisUrl, Forms) {
  std::string why;
  auto u = parse_redis_url("redis://127.0.0.1:6380", why);
  ASSERT_TRUE(u) << why;
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 6380);
  EXPECT_EQ(u->db, 0u);
  u = parse_redis_url("redis://app:s%40cret@cache.internal:6379/3", why);
  ASSERT_TRUE(u) << why;
  EXPECT_EQ(u->user, "app");
  EXPECT_EQ(u->password, "s@cret");
  EXPECT_EQ(u->host, "cache.internal");
  EXPECT_EQ(u->db, 3u);
  u = parse_redis_url("redis://[::1]:7000", why);
  ASSERT_TRUE(u) << why;
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 7000);
  u = parse_redis_url("redis://localhost", why);
  ASSERT_TRUE(u) << why;
  EXPECT_EQ(u->port, 6379);
}

TEST(RedisUrl, RefusalsSayWhy) {
  for (std::string bad : {"http://x:1", "redis://:6379", "redis://h:0", "redis://h:99999",
                          "redis://h:1/x", "redis://[::1:6379", "redis://u:pw@h:port"}) {
    std::string why;
    EXPECT_FALSE(parse_redis_url(bad, why)) << bad;
    EXPECT_FALSE(why.empty()) << bad;
    EXPECT_EQ(why.find("pw"), std::string::npos) << why;
  }
}

TEST(RedisUrl, ThePasswordIsNeverPrinted) {
  std::string why;
  auto u = parse_redis_url("redis://app:hunter2@h:1/2", why);
  ASSERT_TRUE(u);
  EXPECT_EQ(masked(*u), "redis://app:***@h:1/2");
  EXPECT_EQ(mask_redis_text("redis://app:hunter2@h:1"), "redis://app:***@h:1");
  EXPECT_EQ(mask_redis_text("redis://hunter2@h:1"), "redis://***@h:1");
  EXPECT_EQ(mask_redis_text("redis://h:1"), "redis://h:1");
}

}  // namespace
}  // namespace sse::serve
