#include "line_decoder.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "line_splitter.hpp"

namespace sse::serve {
namespace {

struct collected {
  std::vector<source_event> events;
  std::vector<std::uint64_t> retries;
  std::vector<std::string> warnings;  // "N: message"
};

line_decoder make(input_format format, collected& c, std::string type = {}, std::size_t max_line = 1 << 20) {
  return line_decoder(
      format, std::move(type), max_line, [&c](source_event&& ev) { c.events.push_back(std::move(ev)); },
      [&c](std::uint64_t ms) { c.retries.push_back(ms); },
      [&c](std::uint64_t line, std::string const& m) { c.warnings.push_back(std::to_string(line) + ": " + m); });
}

TEST(LineDecoder, LinesBecomeEventsWithRepairedUtf8) {
  collected c;
  auto d = make(input_format::lines, c, "log");
  d.line("h\xc3\xa9llo", 1);
  d.line("bad \xff byte", 2);
  d.line("", 3);
  ASSERT_EQ(c.events.size(), 3u);
  EXPECT_EQ(c.events[0].data, "h\xc3\xa9llo");
  EXPECT_EQ(c.events[0].type, "log");
  EXPECT_FALSE(c.events[0].id.has_value());
  EXPECT_EQ(c.events[1].data, "bad \xef\xbf\xbd byte");
  EXPECT_EQ(c.events[2].data, "");
}

TEST(LineDecoder, JsonObjects) {
  collected c;
  auto d = make(input_format::json, c, "default");
  d.line(R"({"data":"hello","event":"greet","id":"a1","retry":3000})", 1);
  d.line(R"({"data":{"n":1},"id":7})", 2);
  d.line(R"({"data":"x")", 3);
  d.line(R"([1,2])", 4);
  d.line(R"({"data":"y","retry":-1})", 5);
  d.line("   ", 6);
  d.line(R"({"data":"multi\nline"})", 7);
  ASSERT_EQ(c.events.size(), 3u);
  EXPECT_EQ(c.events[0].data, "hello");
  EXPECT_EQ(c.events[0].type, "greet");
  EXPECT_EQ(c.events[0].id, "a1");
  EXPECT_EQ(c.events[0].retry, 3000u);
  EXPECT_EQ(c.events[1].data, R"({"n":1})");
  EXPECT_EQ(c.events[1].type, "default");
  EXPECT_EQ(c.events[1].id, "7");
  EXPECT_EQ(c.events[2].data, "multi\nline");
  ASSERT_EQ(c.warnings.size(), 3u);
  EXPECT_EQ(c.warnings[0].substr(0, 3), "3: ");
  EXPECT_EQ(c.warnings[1].substr(0, 3), "4: ");
  EXPECT_EQ(c.warnings[2].substr(0, 3), "5: ");
}

TEST(LineDecoder, SseInputIsParsedAndResent) {
  collected c;
  auto d = make(input_format::sse, c);
  for (std::string_view l : {"retry: 1234", "event: tick", "data: a", "data: b", "id: 9", "", ": comment",
                             "data: c", "", "data: cut off"}) {
    d.line(l, 1);
  }
  d.finish(10);
  ASSERT_EQ(c.events.size(), 2u);
  EXPECT_EQ(c.events[0].type, "tick");
  EXPECT_EQ(c.events[0].data, "a\nb");
  EXPECT_EQ(c.events[0].id, "9");
  EXPECT_EQ(c.events[1].type, "");
  EXPECT_EQ(c.events[1].data, "c");
  EXPECT_FALSE(c.events[1].id.has_value());  // the persisted id is not this event's own
  EXPECT_EQ(c.retries, (std::vector<std::uint64_t>{1234}));
  EXPECT_EQ(c.warnings.size(), 1u);
}

TEST(LineSplitter, SplitsAcrossChunksAndSkipsOverlongLines) {
  collected c;
  auto d = make(input_format::lines, c, {}, 8);
  line_splitter s(8, d, [&c](std::uint64_t line, std::string const& m) {
    c.warnings.push_back(std::to_string(line) + ": " + m);
  });
  s.feed("ab");
  s.feed("c\r\nd");
  s.feed("ef\n0123456789");
  s.feed("abcdef\nok\n12345678\n");
  s.feed("tail");
  s.finish();
  std::vector<std::string> data;
  for (auto const& ev : c.events) data.push_back(ev.data);
  EXPECT_EQ(data, (std::vector<std::string>{"abc", "def", "ok", "12345678", "tail"}));
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_EQ(c.warnings[0].substr(0, 3), "3: ");
  EXPECT_EQ(s.line_number(), 6u);
}

}  // namespace
}  // namespace sse::serve
