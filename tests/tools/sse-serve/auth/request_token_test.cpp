#include "auth/request_token.hpp"

#include <gtest/gtest.h>

namespace sse::serve {
namespace {

std::optional<std::string> token(std::string_view authorization, std::string_view cookie = "",
                                 std::string_view query = "") {
  return presented_token(authorization, cookie, default_token_cookie, query);
}

TEST(PresentedToken, HeaderThenCookieThenQuery) {
  EXPECT_EQ(token("Bearer head", "sse_token=cookie", "token=query"), "head");
  EXPECT_EQ(token("", "sse_token=cookie", "token=query"), "cookie");
  EXPECT_EQ(token("", "", "token=query"), "query");
  EXPECT_EQ(token("", "", ""), std::nullopt);
  // An empty or foreign value anywhere passes to the next place.
  EXPECT_EQ(token("Basic dXNlcjpwYXNz", "sse_token=cookie"), "cookie");
  EXPECT_EQ(token("Bearer ", "sse_token=", "token=query"), "query");
  EXPECT_EQ(token("Bearer", "", "token="), std::nullopt);
}

TEST(PresentedToken, BearerSchemeInAnyCase) {
  EXPECT_EQ(token("Bearer abc"), "abc");
  EXPECT_EQ(token("bearer abc"), "abc");
  EXPECT_EQ(token("BEARER abc"), "abc");
  EXPECT_EQ(token("  Bearer \t abc.def-ghi  "), "abc.def-ghi");
  EXPECT_EQ(token("Bearerabc"), std::nullopt);
  EXPECT_EQ(token("Bearer: abc"), std::nullopt);
  EXPECT_EQ(token("Token abc"), std::nullopt);
}

TEST(PresentedToken, CookieAmongOthers) {
  EXPECT_EQ(token("", "a=1; sse_token=tok; b=2"), "tok");
  EXPECT_EQ(token("", "a=1;sse_token=tok;b=2"), "tok");
  EXPECT_EQ(token("", "  sse_token = tok  ;"), "tok");
  EXPECT_EQ(token("", "sse_token=\"tok\""), "tok");
  EXPECT_EQ(token("", "sse_token=first; sse_token=second"), "first");
  EXPECT_EQ(token("", "sse_token=a%2Bb"), "a%2Bb");  // cookies are not percent-decoded
  EXPECT_EQ(token("", "xsse_token=no; sse_tokenx=no; SSE_TOKEN=no"), std::nullopt);
  EXPECT_EQ(token("", "sse_token"), std::nullopt);
  EXPECT_EQ(presented_token("", "sse_token=no; auth=yes", "auth", ""), "yes");
}

TEST(PresentedToken, QueryIsPercentDecoded) {
  EXPECT_EQ(token("", "", "topic=a&token=a%2Bb%3D"), "a+b=");
  EXPECT_EQ(token("", "", "tokens=no&xtoken=no"), std::nullopt);
  EXPECT_EQ(token("", "", "%74oken=yes"), "yes");
}

TEST(RedactQuery, HidesEveryTokenValue) {
  EXPECT_EQ(redact_query("/events?token=abc"), "/events?token=REDACTED");
  EXPECT_EQ(redact_query("/events?topic=a&token=abc&lastEventId=4"),
            "/events?topic=a&token=REDACTED&lastEventId=4");
  EXPECT_EQ(redact_query("/?token=a&token=b"), "/?token=REDACTED&token=REDACTED");
  EXPECT_EQ(redact_query("/events?%74oken=abc"), "/events?%74oken=REDACTED");
  EXPECT_EQ(redact_query("/events?token="), "/events?token=REDACTED");
}

TEST(RedactQuery, LeavesTheRestAlone) {
  EXPECT_EQ(redact_query("/events"), "/events");
  EXPECT_EQ(redact_query("/events?"), "/events?");
  EXPECT_EQ(redact_query("/events?tokens=1&a=token=2&token"), "/events?tokens=1&a=token=2&token");
  EXPECT_EQ(redact_query("/events?a=1&&b=2"), "/events?a=1&&b=2");
}

}  // namespace
}  // namespace sse::serve
