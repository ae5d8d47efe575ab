#include "auth/base64url.hpp"

#include <gtest/gtest.h>

#include "auth_test_support.hpp"

namespace sse::serve {
namespace {

TEST(Base64url, DecodesRfc4648Vectors) {
  EXPECT_EQ(base64url_decode(""), "");
  EXPECT_EQ(base64url_decode("Zg"), "f");
  EXPECT_EQ(base64url_decode("Zm8"), "fo");
  EXPECT_EQ(base64url_decode("Zm9v"), "foo");
  EXPECT_EQ(base64url_decode("Zm9vYg"), "foob");
  EXPECT_EQ(base64url_decode("Zm9vYmE"), "fooba");
  EXPECT_EQ(base64url_decode("Zm9vYmFy"), "foobar");
  EXPECT_EQ(base64url_decode("-_8"), "\xfb\xff");  // the URL alphabet's two letters
}

TEST(Base64url, RoundTripsEveryByteAtEveryLength) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (std::size_t length = 0; length <= all.size(); ++length) {
    std::string bytes = all.substr(all.size() - length);
    EXPECT_EQ(base64url_decode(test::base64url(bytes)), bytes) << length;
  }
}

TEST(Base64url, RejectsWhatJwtsNeverHold) {
  EXPECT_EQ(base64url_decode("Zg=="), std::nullopt);       // padding
  EXPECT_EQ(base64url_decode("+/8"), std::nullopt);        // the standard alphabet
  EXPECT_EQ(base64url_decode("Zm9v YmFy"), std::nullopt);  // whitespace
  EXPECT_EQ(base64url_decode("Zm9vY"), std::nullopt);      // 4n+1 characters cannot be
  EXPECT_EQ(base64url_decode(std::string_view("Zg\0", 3)), std::nullopt);
  EXPECT_EQ(base64url_decode("Zh"), std::nullopt);   // "Zg" with unused bits set: a respelling
  EXPECT_EQ(base64url_decode("Zm9"), std::nullopt);  // likewise for "Zm8"
}

}  // namespace
}  // namespace sse::serve
