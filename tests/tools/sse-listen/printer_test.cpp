#include "printer.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sse/encoder.hpp>
#include <sse/parser.hpp>
#include <vector>

namespace sse::listen {
namespace {

std::string print(output_format f, event_view const& ev, bool colour = false) {
  printer p(f, colour);
  std::string out;
  p.print(ev, out);
  return out;
}

TEST(json_line, has_the_contract_key_order_and_one_line) {
  auto line = print(output_format::json, {"message", "a\nb", ""});
  EXPECT_EQ(line, "{\"event\":\"message\",\"data\":\"a\\nb\",\"id\":\"\"}\n");
  auto parsed = nlohmann::json::parse(line);
  EXPECT_EQ(parsed["data"], "a\nb");
}

TEST(json_line, escapes_type_and_id_as_well) {
  auto line = print(output_format::json, {"t\"y", "d", "i\\d"});
  EXPECT_EQ(line, R"({"event":"t\"y","data":"d","id":"i\\d"})"
                  "\n");
}

// ---- --json-data ---------------------------------------------------------------------------

std::string print_json_data(event_view const& ev) {
  printer p(output_format::json, false, /*json_data=*/true);
  std::string out;
  p.print(ev, out);
  return out;
}

// The line is one JSON object with the contract's keys in order, on one line; returns it parsed.
nlohmann::json parse_line(std::string const& line) {
  EXPECT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n') << line;
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "more than one line: " << line;
  EXPECT_EQ(line.find('\r'), std::string::npos) << line;
  auto parsed = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(parsed.is_discarded()) << "not valid JSON: " << line;
  if (parsed.is_discarded()) return {};
  std::vector<std::string> keys;
  for (auto const& item : parsed.items()) keys.push_back(item.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"data", "event", "id"})) << line;  // nlohmann sorts
  EXPECT_EQ(line.rfind("{\"event\":", 0), 0u) << line;
  return parsed;
}

TEST(json_data, an_object_is_copied_in_as_a_value) {
  std::string const data =
      R"({"id":"chatcmpl-1","choices":[{"index":0,"delta":{"content":"Hi \"there\""},)"
      R"("finish_reason":null}]})";
  std::string const line = print_json_data({"message", data, ""});
  EXPECT_EQ(line, "{\"event\":\"message\",\"data\":" + data + ",\"id\":\"\"}\n");
  auto parsed = parse_line(line);
  EXPECT_EQ(parsed["data"]["choices"][0]["delta"]["content"], "Hi \"there\"");
}

TEST(json_data, type_and_id_stay_escaped_strings) {
  std::string const line = print_json_data({"t\"y", R"({"a":1})", "i\\d"});
  EXPECT_EQ(line, R"({"event":"t\"y","data":{"a":1},"id":"i\\d"})"
                  "\n");
  parse_line(line);
}

TEST(json_data, every_kind_of_value_is_a_value) {
  for (std::string const data :
       {"[]", "{}", "[1,2,3]", R"([{"a":[{"b":null}]},"x",-1.5e3])", "42", "-0", "0.5", "-12.25E+2",
        "1e-7", "18446744073709551615", "-9223372036854775808", "true", "false", "null",
        R"("a string")", R"("")", R"("\u00e9\n\"\\\/")", R"({"k":"\ud83d\ude00"})",
        "\"h\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\""}) {
    std::string const line = print_json_data({"message", data, ""});
    EXPECT_EQ(line, "{\"event\":\"message\",\"data\":" + data + ",\"id\":\"\"}\n");
    EXPECT_EQ(parse_line(line)["data"], nlohmann::json::parse(data)) << data;
  }
}

TEST(json_data, anything_else_stays_a_string) {
  std::vector<std::string> not_json = {"[DONE]",
                                       "hello",
                                       "",
                                       " ",
                                       "\n",
                                       "{\"a\":1} {\"b\":2}",
                                       "{\"a\":}",
                                       "{\"a\":1",
                                       "[1,]",
                                       "{\"a\":1,}",
                                       "'single'",
                                       "NaN",
                                       "Infinity",
                                       "01",
                                       "+1",
                                       ".5",
                                       "1.",
                                       "0x10",
                                       "tru",
                                       "nul",
                                       "True",
                                       "{a:1}",
                                       "\"unterminated",
                                       "\"bad \\x escape\"",
                                       "\"\\u12\"",
                                       "[1 2]",
                                       "// c\n1",
                                       "\"tab\there\"",
                                       std::string("\"nul\0inside\"", 12),
                                       std::string("[1]\0", 4),
                                       std::string("\0", 1),
                                       "{\"a\":1}\n{\"b\":2}",
                                       "1 2",
                                       "[] x"};
  for (std::string const& data : not_json) {
    std::string const line = print_json_data({"message", data, ""});
    auto parsed = parse_line(line);
    ASSERT_TRUE(parsed["data"].is_string()) << data;
    EXPECT_EQ(parsed["data"].get<std::string>(), data);
    // Exactly what --json prints without the option.
    EXPECT_EQ(line, print(output_format::json, {"message", data, ""}));
  }
}

TEST(json_data, whitespace_around_a_value_is_dropped_and_line_breaks_become_spaces) {
  // Valid JSON text, whitespace and all; multi-line data (joined with LF) is the usual source of
  // line breaks, and CR is whitespace too. Each event's output stays one line.
  EXPECT_EQ(print_json_data({"message", "  {\"a\": 1}\t ", ""}),
            "{\"event\":\"message\",\"data\":{\"a\": 1},\"id\":\"\"}\n");
  std::string const multi_line = "{\n  \"a\": [1,\n  2],\r\n  \"b\": \"x\"\n}";
  std::string const line = print_json_data({"message", multi_line, ""});
  EXPECT_EQ(
      line,
      "{\"event\":\"message\",\"data\":{   \"a\": [1,   2],    \"b\": \"x\" },\"id\":\"\"}\n");
  EXPECT_EQ(parse_line(line)["data"], nlohmann::json::parse(multi_line));
  EXPECT_EQ(print_json_data({"message", "\n 7 \n", ""}),
            "{\"event\":\"message\",\"data\":7,\"id\":\"\"}\n");
}

TEST(json_data, deep_nesting_within_the_limit_is_a_value_beyond_it_a_string) {
  auto nested = [](std::size_t depth) {
    return std::string(depth, '[') + "1" + std::string(depth, ']');
  };
  auto shallow = parse_line(print_json_data({"message", nested(1000), ""}));
  EXPECT_TRUE(shallow["data"].is_array());
  // Valid JSON, but deeper than simdjson's 1024 levels: printed as the string it is.
  for (std::size_t depth : {1025u, 100000u}) {
    std::string const data = nested(depth);
    auto deep = parse_line(print_json_data({"message", data, ""}));
    ASSERT_TRUE(deep["data"].is_string()) << depth;
    EXPECT_EQ(deep["data"].get<std::string>(), data);
  }
  // Unbalanced nesting is not JSON at any depth.
  std::string const open_only(5000, '[');
  EXPECT_TRUE(parse_line(print_json_data({"message", open_only, ""}))["data"].is_string());
}

TEST(json_data, numbers_beyond_64_bits_or_a_double_stay_strings) {
  // Valid JSON that simdjson does not represent: the string is still valid output.
  for (std::string const data : {"123456789012345678901234567890", "1e400", "-1e400"}) {
    auto parsed = parse_line(print_json_data({"message", data, ""}));
    ASSERT_TRUE(parsed["data"].is_string()) << data;
    EXPECT_EQ(parsed["data"].get<std::string>(), data);
  }
}

TEST(json_data, huge_data_is_checked_and_later_events_still_are) {
  // Past json_validator::large a parser is made for the one event: both sides of that line.
  for (std::size_t size : {json_validator::large - 1, json_validator::large + 1000}) {
    std::string data = "[";
    while (data.size() + 20 < size) data += "\"x\\\"y\",12345,";
    data += "0";
    data.append(size - 1 - data.size(), ' ');
    data += "]";
    ASSERT_EQ(data.size(), size);
    printer p(output_format::json, false, true);
    std::string out;
    p.print({"message", data, ""}, out);
    p.print({"message", "{\"after\":true}", ""}, out);
    p.print({"message", data.substr(0, size - 1), ""}, out);  // no closing bracket: a string
    std::size_t const first_end = out.find('\n') + 1;
    std::size_t const second_end = out.find('\n', first_end) + 1;
    auto first = parse_line(out.substr(0, first_end));
    EXPECT_TRUE(first["data"].is_array());
    EXPECT_EQ(first["data"], nlohmann::json::parse(data));
    EXPECT_EQ(parse_line(out.substr(first_end, second_end - first_end))["data"]["after"], true);
    auto third = parse_line(out.substr(second_end));
    ASSERT_TRUE(third["data"].is_string());
    EXPECT_EQ(third["data"].get<std::string>().size(), size - 1);
  }
}

TEST(json_data, without_the_option_json_data_is_a_string) {
  auto parsed = parse_line(print(output_format::json, {"message", R"({"a":1})", ""}));
  EXPECT_EQ(parsed["data"], R"({"a":1})");
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

TEST(text, long_labels_and_many_events_reuse_nothing_stale) {
  // The label buffer is kept across events: a short label after a long one is not a leftover.
  printer p(output_format::text, false);
  std::string out;
  p.print({"content_block_delta", "a\nb", "123456789"}, out);
  p.print({"x", "c", ""}, out);
  p.print({"message", "d", "1"}, out);
  p.print({"message", "e", ""}, out);
  EXPECT_EQ(
      out,
      "[content_block_delta #123456789] a\n[content_block_delta #123456789] b\n[x] c\n[#1] d\ne\n");
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

std::size_t count_id_lines(std::string const& out) {
  std::size_t n = 0;
  for (std::size_t at = 0; at < out.size();) {
    if (out.compare(at, 3, "id:") == 0) ++n;
    auto nl = out.find('\n', at);
    if (nl == std::string::npos) break;
    at = nl + 1;
  }
  return n;
}

TEST(sse_output, an_event_that_repeats_its_own_id_keeps_its_id_line) {
  // The source wrote "id: 7" on both events: the copy does too, as the parser's own_id says.
  printer p(output_format::sse, false);
  std::string out;
  p.print({"message", "a", "7", true}, out);
  p.print({"message", "b", "7", true}, out);
  p.print({"message", "c", "7", false}, out);  // inherited: no id line
  EXPECT_EQ(count_id_lines(out), 2u) << out;
  EXPECT_EQ(out, "id: 7\ndata: a\n\nid: 7\ndata: b\n\ndata: c\n\n");
}

}  // namespace
}  // namespace sse::listen
