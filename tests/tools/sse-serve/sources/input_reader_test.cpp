#include "sources/input_reader.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sources/line_decoder.hpp"

namespace sse::serve {
namespace {

struct collected {
  std::vector<source_event> events;
  std::vector<std::uint64_t> retries;
  std::vector<std::string> warnings;  // "WHERE: message"

  input_sinks sinks() {
    input_sinks s;
    s.event = [this](source_event&& ev) { events.push_back(std::move(ev)); };
    s.retry = [this](std::uint64_t ms) { retries.push_back(ms); };
    s.warning = [this](std::string const& where, std::string const& m) {
      warnings.push_back(where + ": " + m);
    };
    return s;
  }
};

// A line decoder fed one line at a time (the splitter is tested below).
struct decoder {
  decoder(input_format format, collected& c, std::string type = {})
      : sinks(c.sinks()), d(format, std::move(type), "", sinks) {}
  void line(std::string_view text, std::uint64_t number) { d.line(text, number); }
  input_sinks sinks;
  line_decoder d;
};

std::unique_ptr<input_reader> reader(input_format format, collected& c,
                                     std::size_t max_line = 1 << 20) {
  input_config config;
  config.format = format;
  config.max_line = max_line;
  return make_input_reader(config, c.sinks());
}

TEST(LineDecoder, LinesBecomeEventsWithRepairedUtf8) {
  collected c;
  decoder d(input_format::lines, c, "log");
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
  decoder d(input_format::json, c, "default");
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
  EXPECT_EQ(c.warnings[0].substr(0, 8), "line 3: ");
  EXPECT_EQ(c.warnings[1].substr(0, 8), "line 4: ");
  EXPECT_EQ(c.warnings[2].substr(0, 8), "line 5: ");
}

TEST(SseReader, RawBytesAreParsedAndResentWhateverTheChunking) {
  std::string const input =
      "retry: 1234\r\nevent: tick\r\ndata: a\r\ndata: b\r\nid: 9\r\n\r\n: comment\n"
      "data: c\n\nid: 10\n\ndata: d\n\ndata: cut off";
  for (std::size_t step : {input.size(), std::size_t{1}, std::size_t{3}, std::size_t{7}}) {
    collected c;
    auto r = reader(input_format::sse, c);
    for (std::size_t at = 0; at < input.size(); at += step)
      r->feed(std::string_view(input).substr(at, step));
    r->finish();
    ASSERT_EQ(c.events.size(), 3u) << step;
    EXPECT_EQ(c.events[0].type, "tick");
    EXPECT_EQ(c.events[0].data, "a\nb");
    EXPECT_EQ(c.events[0].id, "9");
    EXPECT_EQ(c.events[1].type, "");
    EXPECT_EQ(c.events[1].data, "c");
    EXPECT_FALSE(c.events[1].id.has_value());  // the persisted id is not this event's own
    EXPECT_EQ(c.events[2].data, "d");
    EXPECT_EQ(c.events[2].id, "10");  // set by an id-only block before it
    EXPECT_EQ(c.retries, (std::vector<std::uint64_t>{1234}));
    ASSERT_EQ(c.warnings.size(), 1u);
    EXPECT_NE(c.warnings[0].find("ended inside an event"), std::string::npos) << c.warnings[0];
  }
}

TEST(SseReader, AnEventBeyondTheBoundIsSkippedToItsBlankLine) {
  // max_line 4: events up to 16 bytes of data and type.
  std::string const input =
      "data: ok1\n\ndata: 0123456789abcdefXYZ\ndata: more\r\n\r\nid: 5\ndata: ok2\n\n";
  for (std::size_t step : {input.size(), std::size_t{1}, std::size_t{5}}) {
    collected c;
    auto r = reader(input_format::sse, c, 4);
    for (std::size_t at = 0; at < input.size(); at += step)
      r->feed(std::string_view(input).substr(at, step));
    r->finish();
    ASSERT_EQ(c.events.size(), 2u) << step;
    EXPECT_EQ(c.events[0].data, "ok1");
    EXPECT_EQ(c.events[1].data, "ok2");
    EXPECT_EQ(c.events[1].id, "5");
    ASSERT_EQ(c.warnings.size(), 1u) << step;
    EXPECT_EQ(c.warnings[0].substr(0, 8), "byte 11:") << c.warnings[0];
  }
}

TEST(LineSplitter, SplitsAcrossChunksAndSkipsOverlongLines) {
  collected c;
  auto s = reader(input_format::lines, c, 8);
  s->feed("ab");
  s->feed("c\r\nd");
  s->feed("ef\n0123456789");
  s->feed("abcdef\nok\n12345678\n");
  s->feed("tail");
  s->finish();
  std::vector<std::string> data;
  for (auto const& ev : c.events) data.push_back(ev.data);
  EXPECT_EQ(data, (std::vector<std::string>{"abc", "def", "ok", "12345678", "tail"}));
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_EQ(c.warnings[0].substr(0, 8), "line 3: ");
  EXPECT_EQ(s->where(), "line 6");
}

}  // namespace
}  // namespace sse::serve
