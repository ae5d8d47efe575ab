#include "net/url_query.hpp"

#include <gtest/gtest.h>

namespace sse::serve {
namespace {

TEST(QueryParameter, FindsAndDecodes) {
  EXPECT_EQ(query_parameter("lastEventId=42", "lastEventId"), "42");
  EXPECT_EQ(query_parameter("a=1&lastEventId=a%20b%2Fc+d&x", "lastEventId"), "a b/c d");
  EXPECT_EQ(query_parameter("lastEventId=", "lastEventId"), "");
  EXPECT_EQ(query_parameter("lastEventId", "lastEventId"), "");
  EXPECT_EQ(query_parameter("x=%zz%4", "x"), "%zz%4");
  EXPECT_EQ(query_parameter("lasteventid=1", "lastEventId"), std::nullopt);
  EXPECT_EQ(query_parameter("", "lastEventId"), std::nullopt);
  EXPECT_EQ(query_parameter("a=1&a=2", "a"), "1");
}

}  // namespace
}  // namespace sse::serve
