#include "printer.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <vector>

#include <sse/encoder.hpp>
#include <sse/parser.hpp>

namespace sse::listen {
namespace {

std::string json_string(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

std::string print(output_format f, event_view const& ev, bool colour = false) {
  printer p(f, colour);
  std::string out;
  p.print(ev, out);
  return out;
}

TEST(json_string, plain_ascii_is_quoted) { EXPECT_EQ(json_string("hello world"), "\"hello world\""); }

TEST(json_string, quotes_backslashes_and_short_escapes) {
  EXPECT_EQ(json_string("a\"b\\c\nd\re\tf\bg\fh"), R"("a\"b\\c\nd\re\tf\bg\fh")");
}

TEST(json_string, other_control_characters_and_nul_use_u_escapes) {
  EXPECT_EQ(json_string(std::string_view("\x00\x01\x1f\x7f", 4)), "\"\\u0000\\u0001\\u001f\x7f\"");
}

TEST(json_string, valid_utf8_is_kept_as_is) {
  EXPECT_EQ(json_string("h\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"), "\"h\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"");
}

TEST(json_string, invalid_utf8_becomes_one_replacement_per_maximal_subpart) {
  // A lone continuation byte, a truncated 3-byte sequence, an overlong lead, a surrogate, the end.
  EXPECT_EQ(json_string("\x80"), "\"\xEF\xBF\xBD\"");
  EXPECT_EQ(json_string("\xE2\x82x"), "\"\xEF\xBF\xBDx\"");
  EXPECT_EQ(json_string("\xC0\xAF"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");
  EXPECT_EQ(json_string("\xED\xA0\x80"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
  EXPECT_EQ(json_string("a\xF0\x9F\x98"), "\"a\xEF\xBF\xBD\"");
  EXPECT_EQ(json_string("\xF4\x90\x80\x80"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
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
  // The fast path scans 8 bytes at a time: put each kind of special byte at every position.
  for (std::string special : std::vector<std::string>{"\"", "\\", "\n", "\x01", std::string(1, '\0'), "\x7f", "\xC3\xA9", "\x80",
                              "\xE2\x82"}) {
    for (std::size_t k = 0; k <= 40; ++k) {
      std::string in = std::string(k, 'a') + special + std::string(40 - k, 'b');
      std::string repaired;
      sse::append_utf8_repaired(repaired, in);
      std::string out = json_string(in);
      ASSERT_EQ(nlohmann::json::parse(out).get<std::string>(), repaired) << "offset " << k;
    }
  }
}

TEST(json_string, appends_after_existing_content_and_grows_for_escape_heavy_input) {
  std::string out = "prefix:";
  std::string in(1000, '\x01');
  append_json_string(out, in);
  ASSERT_EQ(out.size(), 7 + 2 + 6 * 1000);
  EXPECT_EQ(out.compare(0, 14, "prefix:\"\\u0001"), 0);
  EXPECT_EQ(out.back(), '"');
}

TEST(json_line, has_the_contract_key_order_and_one_line) {
  auto line = print(output_format::json, {"message", "a\nb", ""});
  EXPECT_EQ(line, "{\"event\":\"message\",\"data\":\"a\\nb\",\"id\":\"\"}\n");
  auto parsed = nlohmann::json::parse(line);
  EXPECT_EQ(parsed["data"], "a\nb");
}

TEST(json_line, escapes_type_and_id_as_well) {
  auto line = print(output_format::json, {"t\"y", "d", "i\\d"});
  EXPECT_EQ(line, R"({"event":"t\"y","data":"d","id":"i\\d"})" "\n");
}

TEST(text, default_event_prints_its_data_alone) {
  EXPECT_EQ(print(output_format::text, {"message", "hello", ""}), "hello\n");
  EXPECT_EQ(print(output_format::text, {"message", "a\nb\n", ""}), "a\nb\n\n");
  EXPECT_EQ(print(output_format::text, {"message", "", ""}), "\n");
}

TEST(text, type_and_id_label_every_data_line) {
  EXPECT_EQ(print(output_format::text, {"update", "a\nb", "7"}), "[update #7] a\n[update #7] b\n");
  EXPECT_EQ(print(output_format::text, {"message", "x", "7"}), "[#7] x\n");
  EXPECT_EQ(print(output_format::text, {"update", "x", ""}), "[update] x\n");
}

TEST(text, colour_only_wraps_the_label) {
  EXPECT_EQ(print(output_format::text, {"update", "x", ""}, true), "\x1b[36m[update]\x1b[0m x\n");
  EXPECT_EQ(print(output_format::text, {"message", "x", ""}, true), "x\n");
}

TEST(sse_output, round_trips_through_the_parser) {
  printer p(output_format::sse, false);
  std::string out;
  p.print({"message", "one\ntwo", ""}, out);
  p.print({"ping", "", "5"}, out);
  p.print({"message", "three", "5"}, out);
  p.print({"message", "four", ""}, out);  // the id was reset: relayed as an empty id
  auto events = sse::parse_all(out);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0], (owned_event{"message", "one\ntwo", ""}));
  EXPECT_EQ(events[1], (owned_event{"ping", "", "5"}));
  EXPECT_EQ(events[2], (owned_event{"message", "three", "5"}));
  EXPECT_EQ(events[3], (owned_event{"message", "four", ""}));
  // An unchanged id is not repeated: one id line for "5", one for the reset.
  std::size_t id_lines = 0;
  for (std::size_t at = 0; at < out.size(); at = out.find('\n', at) + 1) {
    if (out.compare(at, 3, "id:") == 0 || out.compare(at, 3, "id\n") == 0) ++id_lines;
    if (out.find('\n', at) == std::string::npos) break;
  }
  EXPECT_EQ(id_lines, 2u) << out;
}

}  // namespace
}  // namespace sse::listen
