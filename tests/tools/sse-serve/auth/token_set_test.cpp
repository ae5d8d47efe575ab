#include "auth/token_set.hpp"

#include <gtest/gtest.h>

#include "auth_test_support.hpp"

namespace sse::serve {
namespace {

using test::temp_dir;

TEST(TokenSet, SkipsCommentsAndBlankLinesAndStripsWhitespace) {
  temp_dir dir;
  std::string path = dir.write("tokens",
                               "# deploy tokens\n"
                               "\n"
                               "  alpha  \r\n"
                               "\tbeta\n"
                               "   # an indented comment\n"
                               "   \t\r\n"
                               "gamma");  // the last line has no line break
  std::string error;
  std::optional<token_set> set = token_set::load(path, error);
  ASSERT_TRUE(set) << error;
  EXPECT_EQ(set->size(), 3u);
  EXPECT_TRUE(set->contains("alpha"));
  EXPECT_TRUE(set->contains("beta"));
  EXPECT_TRUE(set->contains("gamma"));
  for (char const* other : {"", "alph", "alphaa", "alpha ", " alpha", "alpha\r", "# deploy tokens",
                            "# an indented comment", "Alpha"}) {
    EXPECT_FALSE(set->contains(other)) << other;
  }
}

TEST(TokenSet, CrlfFilesAndAByteOrderMark) {
  temp_dir dir;
  std::string error;
  auto set = token_set::load(dir.write("tokens",
                                       "\xEF\xBB\xBF"
                                       "one\r\ntwo\r\n"),
                             error);
  ASSERT_TRUE(set) << error;
  EXPECT_EQ(set->size(), 2u);
  EXPECT_TRUE(set->contains("one"));
  EXPECT_TRUE(set->contains("two"));
}

TEST(TokenSet, DuplicatesCountOnce) {
  temp_dir dir;
  std::string error;
  auto set = token_set::load(dir.write("tokens", "same\nsame\n  same\nother\n"), error);
  ASSERT_TRUE(set) << error;
  EXPECT_EQ(set->size(), 2u);
}

TEST(TokenSet, AFileWithoutTokensIsAnError) {
  temp_dir dir;
  for (char const* content : {"", "\n\n", "# only a comment\n  \n# another\n"}) {
    std::string path = dir.write("tokens", content);
    std::string error;
    EXPECT_FALSE(token_set::load(path, error)) << content;
    EXPECT_EQ(error, path + " holds no tokens");
  }
}

TEST(TokenSet, AMissingOrUnreadableFileSaysWhy) {
  temp_dir dir;
  std::string error;
  EXPECT_FALSE(token_set::load(dir.path("absent"), error));
  EXPECT_EQ(error, "cannot read " + dir.path("absent") + ": No such file or directory");
  std::filesystem::create_directory(dir.path("folder"));
  EXPECT_FALSE(token_set::load(dir.path("folder"), error));
  EXPECT_EQ(error, "cannot read " + dir.path("folder") + ": Is a directory");
}

TEST(TokenSet, AnEndlessFileIsRefused) {
  std::string error;
  EXPECT_FALSE(token_set::load("/dev/zero", error));
  EXPECT_EQ(error, "/dev/zero is larger than " + std::to_string(max_token_file_bytes) + " bytes");
}

TEST(TokenSet, InnerWhitespaceNamesTheLineButNotTheToken) {
  temp_dir dir;
  std::string path = dir.write("tokens", "# header\nfine\nsecret part\n");
  std::string error;
  EXPECT_FALSE(token_set::load(path, error));
  EXPECT_EQ(error, "a token cannot hold whitespace or control characters (" + path + " line 3)");
  EXPECT_EQ(error.find("secret"), std::string::npos);

  path = dir.write("tokens", std::string("ok\nbell\x07here\n"));
  EXPECT_FALSE(token_set::load(path, error));
  EXPECT_NE(error.find(path + " line 2"), std::string::npos) << error;
}

TEST(TokenSet, ManyTokensAllFound) {
  temp_dir dir;
  std::string content;
  for (int i = 0; i < 2000; ++i) content += "token-" + std::to_string(i) + "\n";
  std::string error;
  auto set = token_set::load(dir.write("tokens", content), error);
  ASSERT_TRUE(set) << error;
  EXPECT_EQ(set->size(), 2000u);
  for (int i = 0; i < 2000; i += 7) EXPECT_TRUE(set->contains("token-" + std::to_string(i)));
  EXPECT_FALSE(set->contains("token-2000"));
}

TEST(TokenSet, AddAndEmpty) {
  token_set set;
  EXPECT_TRUE(set.empty());
  EXPECT_FALSE(set.contains(""));
  set.add("b");
  set.add("a");
  set.add("b");
  EXPECT_EQ(set.size(), 2u);
  EXPECT_TRUE(set.contains("a"));
  EXPECT_TRUE(set.contains("b"));
  EXPECT_FALSE(set.contains("c"));
}

TEST(TokenSet, ValidTokenAndTrim) {
  EXPECT_TRUE(valid_token("abc-DEF_123.~+/="));
  EXPECT_TRUE(valid_token("caf\xC3\xA9"));
  EXPECT_FALSE(valid_token(""));
  EXPECT_FALSE(valid_token("a b"));
  EXPECT_FALSE(valid_token("a\tb"));
  EXPECT_FALSE(valid_token("a\x7f"));
  EXPECT_FALSE(valid_token(std::string_view("a\0b", 3)));
  EXPECT_EQ(trim_whitespace(" \t\r\n x y \r\n"), "x y");
  EXPECT_EQ(trim_whitespace(" \t "), "");
}

}  // namespace
}  // namespace sse::serve
