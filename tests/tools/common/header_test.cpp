#include "common/header.hpp"

#include <gtest/gtest.h>

#include <string>

namespace sse::tools {
namespace {

using namespace std::string_literals;

TEST(check_header, accepts_token_names_and_any_value_without_line_breaks) {
  for (std::string h : {"X-Token: secret", "Accept: text/event-stream, */*", "Expect:", "X:v",
                        "a!#$%&'*+-.^_`|~09: v", "X: spaces and\ttabs", "X: caf\xC3\xA9 \xFF",
                        "Authorization: Bearer x:y"}) {
    EXPECT_EQ(check_header(h), "") << h;
  }
}

TEST(check_header, no_colon) {
  EXPECT_EQ(check_header("no colon"), "expected 'Name: value', got 'no colon'");
  EXPECT_EQ(check_header(""), "expected 'Name: value', got ''");
}

TEST(check_header, empty_name) {
  EXPECT_EQ(check_header(": v"), "the header name is empty in ': v'");
}

TEST(check_header, a_name_that_is_not_a_token_says_which_character) {
  EXPECT_EQ(check_header("X Y: z"),
            "the header name in 'X Y: z' holds ' '; a name is letters, digits and !#$%&'*+-.^_`|~");
  EXPECT_NE(check_header(" X: z").find("holds ' '"), std::string::npos);
  EXPECT_NE(check_header("(x): y").find("holds '('"), std::string::npos);
  EXPECT_NE(check_header("X\x01: y").find("'X\\x01: y' holds '\\x01'"), std::string::npos)
      << check_header("X\x01: y");
  EXPECT_NE(check_header("\xC3\xA9: v").find("holds byte 195"), std::string::npos);
}

TEST(check_header, a_value_with_cr_lf_or_nul_is_quoted_with_escapes) {
  EXPECT_EQ(check_header("X: a\r\nInjected: b"),
            "a header value cannot hold CR, LF or NUL: 'X: a\\r\\nInjected: b'");
  EXPECT_EQ(check_header("X: a\nb"), "a header value cannot hold CR, LF or NUL: 'X: a\\nb'");
  EXPECT_EQ(check_header("X: a\0b"s), "a header value cannot hold CR, LF or NUL: 'X: a\\x00b'");
  // The name is checked first, and a line break in it is not a token character either.
  EXPECT_NE(check_header("X\r\nY: b").find("holds '\\r'"), std::string::npos);
}

TEST(header_name, is_what_precedes_the_colon_without_blanks) {
  EXPECT_EQ(header_name("Accept: x"), "Accept");
  EXPECT_EQ(header_name("Expect:"), "Expect");
  EXPECT_EQ(header_name(" X-A \t: b"), "X-A");
  EXPECT_EQ(header_name("none"), "none");
}

TEST(is_token, letters_digits_and_the_rfc_9110_punctuation) {
  EXPECT_TRUE(is_token("Last-Event-ID"));
  EXPECT_TRUE(is_token("!#$%&'*+-.^_`|~"));
  EXPECT_FALSE(is_token(""));
  EXPECT_FALSE(is_token("a b"));
  EXPECT_FALSE(is_token("a:b"));
  EXPECT_FALSE(is_token("a\"b"));
}

TEST(trim_ows, only_spaces_and_tabs_at_either_end) {
  EXPECT_EQ(trim_ows(" \t a b \t"), "a b");
  EXPECT_EQ(trim_ows("\r\na\n"), "\r\na\n");  // CR and LF are not optional whitespace
  EXPECT_EQ(trim_ows("  "), "");
  EXPECT_EQ(trim_ows(""), "");
}

TEST(trim_header_line, drops_the_line_end_and_optional_whitespace) {
  EXPECT_EQ(trim_header_line("Content-Type: text/event-stream \r\n"),
            "Content-Type: text/event-stream");
  EXPECT_EQ(trim_header_line("\t value\n"), "value");
  EXPECT_EQ(trim_header_line("\r\n"), "");
}

TEST(iequals, ascii_case_only) {
  EXPECT_TRUE(iequals("Text/Event-Stream", "text/event-stream"));
  EXPECT_TRUE(iequals("", ""));
  EXPECT_FALSE(iequals("bearer", "bearer "));
  EXPECT_FALSE(iequals("[", "{"));                // 0x5B and 0x7B differ by case's bit only
  EXPECT_FALSE(iequals("\xc3\xa9", "\xc3\x89"));  // é and É: not ASCII, compared as bytes
}

}  // namespace
}  // namespace sse::tools
