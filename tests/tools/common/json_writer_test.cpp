// The JSON string writer both tools share: escapes, UTF-8 repair and the output buffer's growth.
#include "common/json_writer.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sse/encoder.hpp>
#include <string>
#include <vector>

namespace sse::tools {
namespace {

std::string json_string(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

// Runs a test body with each escaping variant this machine can run: SSE2, and SSSE3 if present.
template <class Body>
void for_each_variant(Body body) {
#if SSE_JSON_WRITER_SSSE3
  bool const had = detail::use_ssse3();
  for (bool ssse3 : {false, had}) {
    detail::use_ssse3() = ssse3;
    SCOPED_TRACE(ssse3 ? "SSSE3" : "SSE2");
    body();
  }
  detail::use_ssse3() = had;
#else
  body();
#endif
}

TEST(json_string, plain_ascii_is_quoted) {
  EXPECT_EQ(json_string("hello world"), "\"hello world\"");
}

TEST(json_string, quotes_backslashes_and_short_escapes) {
  EXPECT_EQ(json_string("a\"b\\c\nd\re\tf\bg\fh"), R"("a\"b\\c\nd\re\tf\bg\fh")");
}

TEST(json_string, other_control_characters_and_nul_use_u_escapes) {
  EXPECT_EQ(json_string(std::string_view("\x00\x01\x1f\x7f", 4)), "\"\\u0000\\u0001\\u001f\x7f\"");
}

TEST(json_string, valid_utf8_is_kept_as_is) {
  EXPECT_EQ(json_string("h\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"),
            "\"h\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"");
}

TEST(json_string, invalid_utf8_becomes_one_replacement_per_maximal_subpart) {
  // A lone continuation byte, a truncated 3-byte sequence, an overlong lead, a surrogate, the end.
  EXPECT_EQ(json_string("\x80"), "\"\xEF\xBF\xBD\"");
  EXPECT_EQ(json_string("\xE2\x82x"), "\"\xEF\xBF\xBDx\"");
  EXPECT_EQ(json_string("\xC0\xAF"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");
  EXPECT_EQ(json_string("\xED\xA0\x80"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
  EXPECT_EQ(json_string("a\xF0\x9F\x98"), "\"a\xEF\xBF\xBD\"");
  EXPECT_EQ(json_string("\xF4\x90\x80\x80"),
            "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
  EXPECT_EQ(json_string("\xFF"), "\"\xEF\xBF\xBD\"");
}

TEST(json_string, matches_the_whatwg_repair_of_libsse_for_every_two_byte_input) {
  // For all inputs of two arbitrary bytes (and a prefix that makes them a third byte), the string
  // parses as JSON and decodes to what sse::append_utf8_repaired makes of the same bytes.
  for (unsigned a = 0; a < 256; ++a) {
    for (unsigned b = 0; b < 256; b += 3) {
      for (std::string prefix : {"", "\xE2", "\xF0\x9F"}) {
        std::string in = prefix;
        in.push_back(static_cast<char>(a));
        in.push_back(static_cast<char>(b));
        std::string repaired;
        sse::append_utf8_repaired(repaired, in);
        auto parsed = nlohmann::json::parse(json_string(in));
        ASSERT_EQ(parsed.get<std::string>(), repaired) << "bytes " << a << " " << b;
      }
    }
  }
}

TEST(json_string, specials_at_every_offset_of_a_long_string) {
  // The fast path scans 16 bytes at a time: put each kind of special byte at every position.
  for_each_variant([] {
    for (std::string special :
         std::vector<std::string>{"\"", "\\", "\n", "\x01", std::string(1, '\0'), "\x7f",
                                  "\xC3\xA9", "\x80", "\xE2\x82"}) {
      for (std::size_t k = 0; k <= 40; ++k) {
        std::string in = std::string(k, 'a') + special + std::string(40 - k, 'b');
        std::string repaired;
        sse::append_utf8_repaired(repaired, in);
        std::string out = json_string(in);
        ASSERT_EQ(nlohmann::json::parse(out).get<std::string>(), repaired) << "offset " << k;
      }
    }
  });
}

TEST(json_string, appends_after_existing_content_and_grows_for_escape_heavy_input) {
  std::string out = "prefix:";
  std::string in(1000, '\x01');
  append_json_string(out, in);
  ASSERT_EQ(out.size(), 7 + 2 + 6 * 1000);
  EXPECT_EQ(out.compare(0, 14, "prefix:\"\\u0001"), 0);
  EXPECT_EQ(out.back(), '"');
}

TEST(json_writer, pieces_and_strings_make_one_object_and_the_buffer_ends_where_writing_did) {
  std::string out = "[";
  {
    // Expect less than is written, so put() has to grow the buffer too.
    json_writer w(out, 4);
    w.put("{\"k\":");
    w.string("v\"w");
    w.put(',');
    w.put("\"long\":");
    w.string(std::string(300, 'x'));
    w.put('}');
  }
  out += ']';
  EXPECT_EQ(out, R"([{"k":"v\"w","long":")" + std::string(300, 'x') + R"("}])");
  EXPECT_EQ(nlohmann::json::parse(out)[0]["k"], "v\"w");
}

TEST(json_writer, quote_dense_text_of_every_length_and_mix) {
  for_each_variant([] {
    // JSON inside JSON: runs of quotes and backslashes, some control characters, non-ASCII, at
    // every length across the 16-byte blocks and the copied tail, with and without the UTF-8 check.
    std::string const pattern =
        "\"a\\\"\"\\\\\x01{\"k\":\"v\xC3\xA9\"}\n\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"x";
    for (std::size_t length = 0; length <= 3 * pattern.size(); ++length) {
      std::string in;
      while (in.size() < length) in += pattern;
      in.resize(length);
      std::string repaired;
      sse::append_utf8_repaired(repaired, in);  // resize may cut the two-byte é
      std::string out = "[";
      {
        json_writer w(out, 0);  // every block has to grow the buffer
        w.string(in);
        w.put(',');
        w.utf8_string(repaired);
      }
      out += ']';
      auto parsed = nlohmann::json::parse(out);
      ASSERT_EQ(parsed[0].get<std::string>(), repaired) << "length " << length;
      ASSERT_EQ(parsed[1].get<std::string>(), repaired) << "length " << length;
    }
  });
}

TEST(json_writer, json_text_turns_line_breaks_into_spaces) {
  std::string const text = "{\"a\":\n[1,\r\n2]}" + std::string(40, ' ') + "\n";
  std::string out;
  {
    json_writer w(out, 0);
    w.json_text(text);
  }
  EXPECT_EQ(out, "{\"a\": [1,  2]}" + std::string(41, ' '));
}

TEST(json_writer, an_expected_size_larger_than_the_output_leaves_no_slack) {
  std::string out = "ab";
  {
    json_writer w(out, 1000);
    w.string("c");
  }
  EXPECT_EQ(out, "ab\"c\"");
}

}  // namespace
}  // namespace sse::tools
