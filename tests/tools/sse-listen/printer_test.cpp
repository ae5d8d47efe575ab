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
