// The parser's API beyond what the case files express: stopping, reset, the last event ID setter,
// own_id around them, moving a parser, the size limit on long streams, error reporting, parse_all
// and the version.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>
#include <sse/parser.hpp>
#include <sse/version.hpp>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

// Live heap bytes allocated through operator new, so that a test can bound the parser's memory.
namespace {
std::atomic<std::size_t> live_bytes{0};
std::atomic<std::size_t> peak_bytes{0};
constexpr std::size_t header = alignof(std::max_align_t);
}  // namespace

void* operator new(std::size_t n) {
  auto* p = static_cast<unsigned char*>(std::malloc(n + header));
  if (p == nullptr) throw std::bad_alloc();
  std::memcpy(p, &n, sizeof n);
  std::size_t const now = live_bytes += n;
  std::size_t peak = peak_bytes.load();
  while (now > peak && !peak_bytes.compare_exchange_weak(peak, now)) {
  }
  return p + header;
}
void operator delete(void* p) noexcept {
  if (p == nullptr) return;
  auto* block = static_cast<unsigned char*>(p) - header;
  std::size_t n;
  std::memcpy(&n, block, sizeof n);
  live_bytes -= n;
  std::free(block);
}
void operator delete(void* p, std::size_t) noexcept {
  operator delete(p);
}

namespace {

using namespace std::string_literals;

// Records events and stops after the events whose data is listed in stop_on.
class recorder final : public sse::handler {
 public:
  sse::action on_event(sse::event_view const& ev) override {
    events.push_back(
        sse::owned_event{std::string(ev.type), std::string(ev.data), std::string(ev.id)});
    own_ids.push_back(ev.own_id);
    for (auto const& s : stop_on) {
      if (ev.data == s) return sse::action::stop;
    }
    return sse::action::proceed;
  }
  void on_retry(std::uint64_t ms) override { retries.push_back(ms); }

  std::vector<std::string> data() const {
    std::vector<std::string> out;
    for (auto const& e : events) out.push_back(e.data);
    return out;
  }

  std::vector<sse::owned_event> events;
  std::vector<bool> own_ids;  // event_view::own_id of each event
  std::vector<std::uint64_t> retries;
  std::vector<std::string> stop_on;
};

TEST(parser_stop, feed_returns_the_offset_just_after_the_dispatching_line) {
  recorder r;
  r.stop_on = {"2"};
  sse::parser p(r);
  std::string const stream = "data: 1\n\ndata: 2\n\ndata: 3\n\n";
  std::size_t const n = p.feed(stream);
  EXPECT_EQ(n, stream.find("data: 3"));
  EXPECT_EQ(r.data(), (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(p.offset(), n);

  // The rest continues with the next event.
  EXPECT_EQ(p.feed(std::string_view(stream).substr(n)), stream.size() - n);
  EXPECT_EQ(r.data(), (std::vector<std::string>{"1", "2", "3"}));
  EXPECT_EQ(p.offset(), stream.size());
}

TEST(parser_stop, stop_with_crlf_line_ends_counts_the_whole_line_end) {
  recorder r;
  r.stop_on = {"a"};
  sse::parser p(r);
  std::string const stream = "data: a\r\n\r\nevent: t\r\ndata: b\r\n\r\n";
  std::size_t const n = p.feed(stream);
  EXPECT_EQ(n, stream.find("event: t"));
  EXPECT_EQ(p.feed(std::string_view(stream).substr(n)), stream.size() - n);
  ASSERT_EQ(r.events.size(), 2u);
  EXPECT_EQ(r.events[1].type, "t");
  EXPECT_EQ(r.events[1].data, "b");
}

TEST(parser_stop, stop_on_every_event_of_a_multi_event_chunk) {
  recorder r;
  r.stop_on = {"1", "2", "3", "4"};
  sse::parser p(r);
  std::string const stream =
      "id: a\ndata: 1\n\nevent: x\ndata: 2\n\ndata: 3\ndata: 3b\n\ndata: 3\n\ndata: 4\n\n";
  std::string_view rest = stream;
  std::size_t calls = 0;
  while (!rest.empty()) {
    std::size_t const n = p.feed(rest);
    ASSERT_GT(n, 0u);
    ASSERT_LE(n, rest.size());
    // Each stop lands right after a blank line.
    EXPECT_EQ(std::string(rest.substr(0, n)).substr(n - 2), "\n\n");
    rest.remove_prefix(n);
    ++calls;
  }
  EXPECT_EQ(calls, 4u);  // "3\n3b" does not stop; the others do
  EXPECT_EQ(r.data(), (std::vector<std::string>{"1", "2", "3\n3b", "3", "4"}));
  EXPECT_EQ(r.events[1].type, "x");
  EXPECT_EQ(r.events[2].type, "message");
  EXPECT_EQ(r.events[4].id, "a");
}

TEST(parser_stop, stop_when_the_line_was_completed_across_chunks) {
  recorder r;
  r.stop_on = {"first"};
  sse::parser p(r);
  EXPECT_EQ(p.feed("data: fir"), 9u);
  // The event's data line ends in this chunk; the blank line right after it dispatches.
  std::string const second = "st\n\ndata: second\n\n";
  std::size_t const n = p.feed(second);
  EXPECT_EQ(n, 4u);
  EXPECT_EQ(r.data(), (std::vector<std::string>{"first"}));
  EXPECT_EQ(p.feed(std::string_view(second).substr(n)), second.size() - n);
  EXPECT_EQ(r.data(), (std::vector<std::string>{"first", "second"}));
}

TEST(parser_stop, stop_on_a_blank_line_that_starts_a_chunk) {
  recorder r;
  r.stop_on = {"x"};
  sse::parser p(r);
  EXPECT_EQ(p.feed("data: x\n"), 8u);
  EXPECT_EQ(p.feed("\ndata: y\n\n"), 1u);
  EXPECT_EQ(p.feed("data: y\n\n"), 9u);
  EXPECT_EQ(r.data(), (std::vector<std::string>{"x", "y"}));
}

TEST(parser_stop, stop_between_cr_and_lf_of_a_split_line_end) {
  recorder r;
  r.stop_on = {"x"};
  sse::parser p(r);
  // The blank line is a CR at the end of a chunk; its LF comes in the next chunk and must not be
  // taken for another blank line.
  EXPECT_EQ(p.feed("data: x\r\n\r"), 10u);
  EXPECT_EQ(p.feed("\ndata: y\r\n\r\n"), 12u);
  EXPECT_EQ(r.data(), (std::vector<std::string>{"x", "y"}));
}

TEST(parser_reset, keeps_the_last_event_id_and_drops_pending_state) {
  recorder r;
  sse::parser p(r);
  p.feed("id: 42\ndata: a\n\nevent: pending\nid: 43\ndata: half");
  EXPECT_EQ(p.last_event_id(), "42");
  p.reset();
  EXPECT_EQ(p.last_event_id(), "42");
  EXPECT_EQ(p.offset(), 0u);
  // The pending type, id and data are gone; the stream restarts (a BOM is stripped again).
  p.feed(
      "\xEF\xBB\xBF"
      "data: b\n\n");
  ASSERT_EQ(r.events.size(), 2u);
  EXPECT_EQ(r.events[1], (sse::owned_event{"message", "b", "42"}));
}

TEST(parser_reset, clears_a_pending_partial_line_and_cr) {
  recorder r;
  sse::parser p(r);
  p.feed("data: a\r");
  p.reset();
  // An LF at the start of the new stream is a blank line of its own, not the end of "data: a".
  p.feed("data: b\n\n");
  EXPECT_EQ(r.data(), (std::vector<std::string>{"b"}));
}

TEST(parser_reset, clears_an_error) {
  recorder r;
  sse::parser_options options;
  options.max_event_size = 8;
  sse::parser p(r, options);
  EXPECT_LT(p.feed("data: 123456789\n\n"), 17u);
  EXPECT_EQ(p.error(), sse::parse_error::event_too_large);
  p.reset();
  EXPECT_EQ(p.error(), sse::parse_error::none);
  EXPECT_EQ(p.error_offset(), 0u);
  EXPECT_EQ(p.feed("data: ok\n\n"), 10u);
  EXPECT_EQ(r.data(), (std::vector<std::string>{"ok"}));
}

TEST(parser_finish, reports_discarded_bytes_and_starts_a_new_stream) {
  recorder r;
  sse::parser p(r);
  p.feed("id: 1\ndata: a\n\nid: 2\ndata: b");
  EXPECT_EQ(p.finish(), 13u);
  EXPECT_EQ(p.last_event_id(), "1");
  EXPECT_EQ(p.offset(), 0u);
  p.feed("data: c\n\n");
  ASSERT_EQ(r.events.size(), 2u);
  EXPECT_EQ(r.events[1], (sse::owned_event{"message", "c", "1"}));
  EXPECT_EQ(p.finish(), 0u);
}

TEST(parser_last_event_id, set_last_event_id_is_used_by_later_events) {
  recorder r;
  sse::parser p(r);
  p.set_last_event_id("resume-7");
  EXPECT_EQ(p.last_event_id(), "resume-7");
  p.feed("data: a\n\n");
  // A block without an id keeps it; an explicit empty id resets it.
  p.feed("\n\nid\ndata: b\n\n");
  ASSERT_EQ(r.events.size(), 2u);
  EXPECT_EQ(r.events[0].id, "resume-7");
  EXPECT_EQ(r.events[1].id, "");
  EXPECT_EQ(p.last_event_id(), "");
}

TEST(parser_last_event_id, set_during_a_pending_event_survives_a_blank_line) {
  recorder r;
  sse::parser p(r);
  p.feed("id: old\n\n");
  p.set_last_event_id("new");
  p.feed("data: a\n\n");
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].id, "new");
}

// own_id says whether the event's id was given by an "id" field since the previous event.
struct own_id_case {
  std::string input;
  std::vector<sse::owned_event> events;
  std::vector<bool> own_ids;
};

std::vector<own_id_case> const& own_id_cases() {
  static std::vector<own_id_case> const cases = {
      {"id: 1\ndata: a\n\n", {{"message", "a", "1"}}, {true}},
      {"id: 1\ndata: a\n\ndata: b\n\n",
       {{"message", "a", "1"}, {"message", "b", "1"}},
       {true, false}},  // carried over
      {"id: 1\n\ndata: a\n\ndata: b\n\n",
       {{"message", "a", "1"}, {"message", "b", "1"}},
       {true, false}},  // an id-only block before the event counts, once
      {"id: 1\n\n: comment\n\nretry: 5\n\ndata: a\n\n", {{"message", "a", "1"}}, {true}},
      {"data: a\n\nid: 2\0003\ndata: b\n\n"s,
       {{"message", "a", ""}, {"message", "b", ""}},
       {false, false}},  // an id with NUL is ignored
      {"id: 1\ndata: a\n\nid:\ndata: b\n\nid\ndata: c\n\n",
       {{"message", "a", "1"}, {"message", "b", ""}, {"message", "c", ""}},
       {true, true, true}},                                     // an empty id is the event's own
      {"data: a\nid: 9\n\n", {{"message", "a", "9"}}, {true}},  // after the data line
      {"id: 1\r\ndata: a\r\n\r\ndata: b\r\r",
       {{"message", "a", "1"}, {"message", "b", "1"}},
       {true, false}},
      {"id: 1\ndata: a\ndata: b\n\ndata: c\n\n",
       {{"message", "a\nb", "1"}, {"message", "c", "1"}},
       {true, false}},
  };
  return cases;
}

TEST(parser_own_id, is_true_only_for_an_id_given_since_the_previous_event) {
  for (auto const& c : own_id_cases()) {
    recorder r;
    sse::parser p(r);
    p.feed(c.input);
    p.finish();
    EXPECT_EQ(r.events, c.events) << c.input;
    EXPECT_EQ(r.own_ids, c.own_ids) << c.input;
  }
}

TEST(parser_own_id, is_the_same_at_every_split_and_byte_by_byte) {
  for (auto const& c : own_id_cases()) {
    std::string const& input = c.input;
    for (std::size_t cut = 0; cut <= input.size(); ++cut) {
      recorder r;
      sse::parser p(r);
      p.feed(std::string_view(input).substr(0, cut));
      p.feed(std::string_view(input).substr(cut));
      p.finish();
      EXPECT_EQ(r.own_ids, c.own_ids) << c.input << " cut at " << cut;
    }
    recorder r;
    sse::parser p(r);
    for (char ch : input) p.feed(std::string_view(&ch, 1));
    p.finish();
    EXPECT_EQ(r.own_ids, c.own_ids) << c.input << " byte by byte";
  }
}

TEST(parser_own_id, survives_a_stop_and_resume) {
  recorder r;
  r.stop_on = {"a"};
  sse::parser p(r);
  std::string const stream = "id: 1\ndata: a\n\nid: 2\ndata: b\n\ndata: c\n\n";
  std::size_t const n = p.feed(stream);
  EXPECT_EQ(n, stream.find("id: 2"));
  p.feed(std::string_view(stream).substr(n));
  EXPECT_EQ(r.own_ids, (std::vector<bool>{true, true, false}));
}

TEST(parser_own_id, reset_finish_and_set_last_event_id_do_not_make_it_true) {
  // An id-only block, then each of the three: the next event's id is not its own.
  for (int way = 0; way < 3; ++way) {
    recorder r;
    sse::parser p(r);
    p.feed("id: 1\n\nid: 2\n");  // the second id is pending (its block is not over)
    if (way == 0) p.reset();
    if (way == 1) p.finish();
    if (way == 2) p.set_last_event_id("x");
    p.feed("data: a\n\n");
    ASSERT_EQ(r.events.size(), 1u) << way;
    EXPECT_EQ(r.events[0].id, way == 2 ? "x" : "1") << way;
    EXPECT_EQ(r.own_ids, (std::vector<bool>{false})) << way;
  }
  // Only the stream makes it true again.
  recorder r;
  sse::parser p(r);
  p.set_last_event_id("x");
  p.feed("id: 3\ndata: a\n\n");
  EXPECT_EQ(r.own_ids, (std::vector<bool>{true}));
}

TEST(parser_move, a_moved_to_parser_continues_the_stream) {
  static_assert(!std::is_copy_constructible_v<sse::parser>);
  static_assert(!std::is_copy_assignable_v<sse::parser>);
  static_assert(std::is_nothrow_move_constructible_v<sse::parser>);
  static_assert(std::is_nothrow_move_assignable_v<sse::parser>);
  recorder r;
  sse::parser a(r);
  a.feed("id: 7\ndata: one\ndata: tw");  // a pending event with a partial line
  sse::parser b(std::move(a));
  b.feed("o\n\n");
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0], (sse::owned_event{"message", "one\ntwo", "7"}));
  EXPECT_EQ(r.own_ids, (std::vector<bool>{true}));

  recorder other;
  sse::parser c(other);
  c = std::move(b);  // c now parses b's stream for r
  c.feed("data: three\n\n");
  EXPECT_EQ(r.data(), (std::vector<std::string>{"one\ntwo", "three"}));
  EXPECT_TRUE(other.events.empty());
  EXPECT_EQ(c.last_event_id(), "7");
  EXPECT_EQ(c.offset(), 24u + 3u + 13u);  // every byte fed to a, b and c
}

TEST(parser_limit, unterminated_line_fails_once_past_the_limit_without_growing) {
  recorder r;
  sse::parser_options options;
  options.max_event_size = std::size_t{4} << 20;
  sse::parser p(r, options);
  std::string const mib(std::size_t{1} << 20, 'a');
  ASSERT_EQ(p.feed("data: x\n\n"), 9u);
  std::size_t const live_before = live_bytes.load();
  peak_bytes = live_before;
  std::size_t fed = 0;
  int first_failure = 0;
  for (int chunk = 1; chunk <= 32; ++chunk) {  // 32 MiB of one endless line
    fed += p.feed(mib);
    if (first_failure == 0 && p.error() != sse::parse_error::none) first_failure = chunk;
  }
  EXPECT_EQ(p.error(), sse::parse_error::event_too_large);
  // Four 1 MiB chunks fit exactly; the fifth passes the limit, and nothing after it is taken.
  EXPECT_EQ(first_failure, 5);
  EXPECT_EQ(fed, std::size_t{4} << 20);
  EXPECT_EQ(p.error_offset(), 9u);  // where the long line began
  // The parser held at most about one limit's worth (plus a string's growth slack), not 32 MiB.
  std::size_t const grown = peak_bytes.load() - live_before;
  EXPECT_GE(grown, std::size_t{4} << 20);  // it did buffer the line (so the counter works)
  EXPECT_LE(grown, std::size_t{10} << 20);
  // Sticky: nothing more is consumed.
  EXPECT_EQ(p.feed(mib), 0u);
  EXPECT_EQ(p.feed("\n\ndata: y\n\n"), 0u);
  EXPECT_EQ(r.data(), (std::vector<std::string>{"x"}));
}

TEST(parser_limit, a_single_oversized_chunk_fails_at_once) {
  recorder r;
  sse::parser_options options;
  options.max_event_size = 1000;
  sse::parser p(r, options);
  std::string const line = "data: " + std::string(2000, 'b') + "\n\n";
  EXPECT_EQ(p.feed(line), 0u);
  EXPECT_EQ(p.error(), sse::parse_error::event_too_large);
  EXPECT_EQ(p.error_offset(), 0u);
  EXPECT_TRUE(r.events.empty());
}

TEST(parser_limit, many_small_data_lines_accumulating_past_the_limit_fail) {
  recorder r;
  sse::parser_options options;
  options.max_event_size = 1000;
  sse::parser p(r, options);
  std::string line = "data: " + std::string(99, 'c') + "\n";  // 99 data bytes + 1 joining LF
  std::uint64_t offset = 0;
  std::uint64_t failing_line = 0;
  for (int i = 0; i < 50 && p.error() == sse::parse_error::none; ++i) {
    failing_line = offset;
    offset += p.feed(line);
  }
  EXPECT_EQ(p.error(), sse::parse_error::event_too_large);
  // 10 lines hold 10*99 + 9 = 999 bytes; the 11th would make 1099.
  EXPECT_EQ(p.error_offset(), 10 * line.size());
  EXPECT_EQ(failing_line, 10 * line.size());
  EXPECT_EQ(p.feed("\n"), 0u);
  EXPECT_TRUE(r.events.empty());
}

TEST(parser_limit, error_offset_counts_from_the_stream_start) {
  recorder r;
  sse::parser_options options;
  options.max_event_size = 10;
  sse::parser p(r, options);
  p.feed("data: 1\n\n");  // 9 bytes
  p.feed(": ok\n");       // 5 bytes
  p.feed("data: 0123");   // partial line starting at 14
  EXPECT_EQ(p.error(), sse::parse_error::none);
  p.feed("4567\n\n");
  EXPECT_EQ(p.error(), sse::parse_error::event_too_large);
  EXPECT_EQ(p.error_offset(), 14u);
  EXPECT_EQ(r.data(), (std::vector<std::string>{"1"}));
}

TEST(parser_limit, zero_means_no_limit) {
  recorder r;
  sse::parser_options options;
  options.max_event_size = 0;
  sse::parser p(r, options);
  std::string const big(std::size_t{3} << 20, 'z');
  p.feed("data: ");
  p.feed(big);
  p.feed("\n\n");
  EXPECT_EQ(p.error(), sse::parse_error::none);
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].data.size(), big.size());
}

TEST(parser_errors, to_string_describes_each_error) {
  EXPECT_STREQ(sse::to_string(sse::parse_error::none), "no error");
  std::string const e = sse::to_string(sse::parse_error::event_too_large);
  EXPECT_NE(e.find("large"), std::string::npos) << e;
  EXPECT_NE(e, sse::to_string(sse::parse_error::none));
}

TEST(parser_options, defaults) {
  sse::parser_options const o;
  EXPECT_EQ(o.max_event_size, std::size_t{16} << 20);
  EXPECT_FALSE(o.comments);
}

TEST(parse_all, returns_every_complete_event) {
  auto const events =
      sse::parse_all("event: a\nid: 1\ndata: x\ndata: y\n\nretry: 5\ndata: z\n\ndata: cut");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0], (sse::owned_event{"a", "x\ny", "1"}));
  EXPECT_EQ(events[1], (sse::owned_event{"message", "z", "1"}));
}

TEST(parse_all, honours_options) {
  sse::parser_options options;
  options.max_event_size = 8;
  auto const events = sse::parse_all("data:1\n\ndata:12345\n\ndata:2\n\n", options);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "1");
}

TEST(parse_all, handles_binary_input_with_nul) {
  std::string const input = "data: a\0b\n\n"s;
  auto const events = sse::parse_all(input);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "a\0b"s);
}

TEST(owned_event, equality_compares_every_field) {
  sse::owned_event const a{"t", "d", "i"};
  EXPECT_EQ(a, (sse::owned_event{"t", "d", "i"}));
  EXPECT_NE(a, (sse::owned_event{"x", "d", "i"}));
  EXPECT_NE(a, (sse::owned_event{"t", "x", "i"}));
  EXPECT_NE(a, (sse::owned_event{"t", "d", "x"}));
}

TEST(handler, default_retry_and_comment_callbacks_are_harmless) {
  // A handler overriding only on_event still gets its events around retry and comment lines.
  struct only_events final : sse::handler {
    sse::action on_event(sse::event_view const& ev) override {
      data.emplace_back(ev.data);
      return sse::action::proceed;
    }
    std::vector<std::string> data;
  } h;
  sse::parser_options options;
  options.comments = true;
  sse::parser p(h, options);
  p.feed(": c\nretry: 10\ndata: x\n\n");
  EXPECT_EQ(h.data, (std::vector<std::string>{"x"}));
}

TEST(version, matches_the_header) {
  EXPECT_STREQ(sse::version(), SSE_VERSION_STRING);
  std::string const expected = std::to_string(SSE_VERSION_MAJOR) + "." +
                               std::to_string(SSE_VERSION_MINOR) + "." +
                               std::to_string(SSE_VERSION_PATCH);
  EXPECT_EQ(std::string(SSE_VERSION_STRING), expected);
}

}  // namespace
