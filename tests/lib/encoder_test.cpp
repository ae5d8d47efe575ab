// The encoder: exact wire bytes, refusal of what cannot be carried, sizes, allocation behaviour.
#include <gtest/gtest.h>

#include <sse/encoder.hpp>
#include <sse/parser.hpp>
#include <string>
#include <vector>

namespace {

using namespace std::string_literals;

std::string encoded(sse::event const& ev) {
  std::string out;
  EXPECT_EQ(sse::encode(out, ev), sse::encode_error::none);
  EXPECT_EQ(out.size(), sse::encoded_size(ev));
  return out;
}

sse::event data_only(std::string_view data) {
  sse::event ev;
  ev.data = data;
  return ev;
}

TEST(encode, data_only) {
  EXPECT_EQ(encoded(data_only("hello")), "data: hello\n\n");
}

TEST(encode, all_fields_in_documented_order) {
  sse::event ev;
  ev.type = "update";
  ev.id = "17";
  ev.retry = 2500;
  ev.data = "{\"x\": 1}";
  EXPECT_EQ(encoded(ev), "event: update\nid: 17\nretry: 2500\ndata: {\"x\": 1}\n\n");
}

TEST(encode, data_line_breaks_become_data_lines) {
  EXPECT_EQ(encoded(data_only("a\nb")), "data: a\ndata: b\n\n");
  EXPECT_EQ(encoded(data_only("a\r\nb")), "data: a\ndata: b\n\n");
  EXPECT_EQ(encoded(data_only("a\rb")), "data: a\ndata: b\n\n");
  EXPECT_EQ(encoded(data_only("a\n\nb")), "data: a\ndata\ndata: b\n\n");
  EXPECT_EQ(encoded(data_only("a\r\rb")), "data: a\ndata\ndata: b\n\n");
  EXPECT_EQ(encoded(data_only("a\n\r\nb")), "data: a\ndata\ndata: b\n\n");
}

TEST(encode, trailing_line_break_gives_a_final_empty_data_line) {
  EXPECT_EQ(encoded(data_only("a\n")), "data: a\ndata\n\n");
  EXPECT_EQ(encoded(data_only("a\r\n")), "data: a\ndata\n\n");
  EXPECT_EQ(encoded(data_only("\n")), "data\ndata\n\n");
}

TEST(encode, empty_data_is_one_empty_data_line) {
  EXPECT_EQ(encoded(data_only("")), "data\n\n");
}

TEST(encode, leading_space_is_protected_by_the_separator_space) {
  EXPECT_EQ(encoded(data_only(" x")), "data:  x\n\n");
  sse::event ev;
  ev.id = " 7";
  ev.type = " t";
  ev.data = "  two";
  std::string const wire = encoded(ev);
  EXPECT_EQ(wire, "event:  t\nid:  7\ndata:   two\n\n");
  auto const back = sse::parse_all(wire);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0], (sse::owned_event{" t", "  two", " 7"}));
}

TEST(encode, empty_id_resets_and_no_id_writes_nothing) {
  sse::event reset;
  reset.data = "x";
  reset.id = "";
  EXPECT_EQ(encoded(reset), "id\ndata: x\n\n");
  EXPECT_EQ(encoded(data_only("x")), "data: x\n\n");

  // Through a parser: the reset clears an earlier id, the absent id keeps it.
  sse::event first;
  first.data = "1";
  first.id = "abc";
  std::string wire = encoded(first) + encoded(data_only("2")) + encoded(reset);
  auto const back = sse::parse_all(wire);
  ASSERT_EQ(back.size(), 3u);
  EXPECT_EQ(back[0].id, "abc");
  EXPECT_EQ(back[1].id, "abc");
  EXPECT_EQ(back[2].id, "");
}

TEST(encode, retry_values) {
  sse::event ev;
  ev.data = "x";
  ev.retry = 0;
  EXPECT_EQ(encoded(ev), "retry: 0\ndata: x\n\n");
  ev.retry = 18446744073709551615u;
  EXPECT_EQ(encoded(ev), "retry: 18446744073709551615\ndata: x\n\n");
}

TEST(encode, nul_and_non_ascii_in_data_and_type) {
  std::string const type = "caf\xC3\xA9\0"s;
  std::string const data = "\xE2\x82\xAC\0x"s;
  sse::event ev;
  ev.type = type;
  ev.data = data;
  std::string const wire = encoded(ev);
  EXPECT_EQ(wire, "event: caf\xC3\xA9\0\ndata: \xE2\x82\xAC\0x\n\n"s);
  auto const back = sse::parse_all(wire);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0], (sse::owned_event{"caf\xC3\xA9\0"s, "\xE2\x82\xAC\0x"s, ""}));
}

TEST(encode, appends_to_existing_content) {
  std::string out = "prefix";
  ASSERT_EQ(sse::encode(out, data_only("a")), sse::encode_error::none);
  ASSERT_EQ(sse::encode(out, data_only("b")), sse::encode_error::none);
  EXPECT_EQ(out, "prefixdata: a\n\ndata: b\n\n");
}

TEST(encode_comment, single_and_multi_line) {
  std::string out;
  sse::encode_comment(out, "keep-alive");
  EXPECT_EQ(out, ": keep-alive\n");
  out.clear();
  sse::encode_comment(out, "one\ntwo\r\nthree\rfour");
  EXPECT_EQ(out, ": one\n: two\n: three\n: four\n");
  out.clear();
  sse::encode_comment(out, "");
  EXPECT_EQ(out, ":\n");
  out.clear();
  sse::encode_comment(out, "a\n");
  EXPECT_EQ(out, ": a\n:\n");
}

TEST(encode_comment, parser_sees_comments_and_no_event) {
  std::string wire;
  sse::encode_comment(wire, "x\ny");
  wire += "\n";
  EXPECT_TRUE(sse::parse_all(wire).empty());

  struct comments final : sse::handler {
    sse::action on_event(sse::event_view const&) override { return sse::action::proceed; }
    void on_comment(std::string_view t) override { seen.emplace_back(t); }
    std::vector<std::string> seen;
  } h;
  sse::parser_options options;
  options.comments = true;
  sse::parser p(h, options);
  p.feed(wire);
  EXPECT_EQ(h.seen, (std::vector<std::string>{" x", " y"}));
}

TEST(encode_retry, lone_retry_dispatches_nothing) {
  std::string out;
  sse::encode_retry(out, 3000);
  EXPECT_EQ(out, "retry: 3000\n\n");

  struct retries final : sse::handler {
    sse::action on_event(sse::event_view const&) override {
      ++events;
      return sse::action::proceed;
    }
    void on_retry(std::uint64_t ms) override { seen.push_back(ms); }
    int events = 0;
    std::vector<std::uint64_t> seen;
  } h;
  sse::parser p(h);
  p.feed(out);
  EXPECT_EQ(h.events, 0);
  EXPECT_EQ(h.seen, (std::vector<std::uint64_t>{3000}));
}

struct refusal {
  char const* what;
  sse::event ev;
  sse::encode_error expected;
};

std::vector<refusal> refusals() {
  auto make = [](std::string_view data, std::string_view type, std::optional<std::string_view> id) {
    sse::event ev;
    ev.data = data;
    ev.type = type;
    ev.id = id;
    return ev;
  };
  static std::string const nul_id = "a\0b"s;
  return {
      {"LF in id", make("x", "", "a\nb"), sse::encode_error::id_has_line_break},
      {"CR in id", make("x", "", "a\rb"), sse::encode_error::id_has_line_break},
      {"CRLF in id", make("x", "", "\r\n"), sse::encode_error::id_has_line_break},
      {"NUL in id", make("x", "", nul_id), sse::encode_error::id_has_nul},
      {"LF in type", make("x", "a\nb", std::nullopt), sse::encode_error::type_has_line_break},
      {"CR in type", make("x", "a\r", std::nullopt), sse::encode_error::type_has_line_break},
      {"invalid UTF-8 in data", make("ok\xFF", "", std::nullopt), sse::encode_error::invalid_utf8},
      {"truncated UTF-8 in data", make("\xE2\x82", "", std::nullopt),
       sse::encode_error::invalid_utf8},
      {"surrogate in data", make("\xED\xA0\x80", "", std::nullopt),
       sse::encode_error::invalid_utf8},
      {"invalid UTF-8 in type", make("x", "\xC0\xAF", std::nullopt),
       sse::encode_error::invalid_utf8},
      {"invalid UTF-8 in id", make("x", "", "\x80"), sse::encode_error::invalid_utf8},
  };
}

TEST(validate, refuses_what_a_parser_would_not_give_back) {
  for (auto const& r : refusals()) {
    SCOPED_TRACE(r.what);
    EXPECT_EQ(sse::validate(r.ev), r.expected);
    std::string out = "kept";
    out.reserve(64);
    auto const* const before = out.data();
    EXPECT_EQ(sse::encode(out, r.ev), r.expected);
    EXPECT_EQ(out, "kept");  // nothing appended
    EXPECT_EQ(out.data(), before);
  }
}

TEST(validate, accepts_what_round_trips) {
  std::string const data = "line\r\nline\rline\n\0"s;
  std::string const type = "t\0ype"s;
  sse::event ev;
  ev.data = data;
  ev.type = type;
  ev.id = "\xF0\x9F\x98\x80";
  ev.retry = 1;
  EXPECT_EQ(sse::validate(ev), sse::encode_error::none);
  EXPECT_EQ(sse::validate(sse::event{}), sse::encode_error::none);
}

TEST(validate, error_strings_are_distinct_and_descriptive) {
  std::vector<std::string> seen;
  for (auto e : {sse::encode_error::none, sse::encode_error::id_has_line_break,
                 sse::encode_error::id_has_nul, sse::encode_error::type_has_line_break,
                 sse::encode_error::invalid_utf8}) {
    std::string const s = sse::to_string(e);
    EXPECT_FALSE(s.empty());
    for (auto const& other : seen) EXPECT_NE(s, other);
    seen.push_back(s);
  }
  EXPECT_STREQ(sse::to_string(sse::encode_error::none), "no error");
  EXPECT_NE(std::string(sse::to_string(sse::encode_error::id_has_line_break)).find("line break"),
            std::string::npos);
}

TEST(encoded_size, equals_the_appended_size) {
  std::vector<sse::event> events;
  for (std::string_view data : {"", "x", "a\nb", "a\r\nb\rc\n", "\n\n\n", " lead"}) {
    for (std::string_view type : {"", "t", "a longer type"}) {
      for (std::optional<std::string_view> id :
           {std::optional<std::string_view>{}, std::optional<std::string_view>{""},
            std::optional<std::string_view>{"42"}}) {
        for (std::optional<std::uint64_t> retry :
             {std::optional<std::uint64_t>{}, std::optional<std::uint64_t>{0},
              std::optional<std::uint64_t>{9}, std::optional<std::uint64_t>{10},
              std::optional<std::uint64_t>{18446744073709551615u}}) {
          sse::event ev;
          ev.data = data;
          ev.type = type;
          ev.id = id;
          ev.retry = retry;
          std::string out = "xyz";
          ASSERT_EQ(sse::encode(out, ev), sse::encode_error::none);
          EXPECT_EQ(out.size() - 3, sse::encoded_size(ev)) << out;
        }
      }
    }
  }
}

TEST(encode, no_allocation_when_capacity_is_reserved) {
  sse::event ev;
  ev.type = "tick";
  ev.id = "123456";
  ev.retry = 1000;
  ev.data = "line one\nline two\r\nline three";
  std::size_t const one = sse::encoded_size(ev);
  std::string out;
  out.reserve(one * 1000);
  auto const* const data = out.data();
  std::size_t const capacity = out.capacity();
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(sse::encode(out, ev), sse::encode_error::none);
    ASSERT_EQ(out.data(), data) << "reallocated at event " << i;
    ASSERT_EQ(out.capacity(), capacity) << "reallocated at event " << i;
  }
  EXPECT_EQ(out.size(), one * 1000);
  EXPECT_EQ(sse::parse_all(out).size(), 1000u);
}

// The UTF-8 helpers moved to <sse/utf8.hpp>; encoder.hpp includes it so that code written against
// it before the move still compiles. This file includes no utf8.hpp itself: dropping that include
// breaks its build.
TEST(encoder_header, still_declares_the_utf8_helpers) {
  EXPECT_TRUE(sse::is_valid_utf8("caf\xC3\xA9"));
  EXPECT_FALSE(sse::is_valid_utf8("\xFF"));
  std::string out;
  sse::append_utf8_repaired(out, "a\xFF");
  EXPECT_EQ(out, "a\xEF\xBF\xBD");
}

}  // namespace
