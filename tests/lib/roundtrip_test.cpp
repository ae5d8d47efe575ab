// The encoder is the parser's exact inverse: random valid events (with comments and lone retries
// between them) encoded and parsed back, whole and at random chunkings, give the same events;
// random events with one defect are refused by validate() and encode() appends nothing.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <sse/encoder.hpp>
#include <sse/parser.hpp>
#include <string>
#include <vector>

namespace {

using namespace std::string_literals;

// std::mt19937_64's output is fixed by the standard; distributions are not, so draw by modulo.
class rng {
 public:
  explicit rng(std::uint64_t seed) : engine_(seed) {}
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(engine_() % n); }
  bool one_in(std::size_t n) { return below(n) == 0; }
  std::uint64_t any() { return engine_(); }

 private:
  std::mt19937_64 engine_;
};

// Pieces that exercise every path: line breaks of each kind, NUL, colons, spaces, multibyte
// UTF-8 (2, 3 and 4 bytes), a BOM, text that looks like fields.
std::vector<std::string> const data_pieces = {"a",
                                              "xyz",
                                              " ",
                                              "  ",
                                              ":",
                                              "\r",
                                              "\n",
                                              "\r\n",
                                              "\n\r",
                                              "\0"s,
                                              "\xC3\xA9",
                                              "\xE2\x82\xAC",
                                              "\xF0\x9F\x98\x80",
                                              "\xEF\xBB\xBF",
                                              "data: x",
                                              "id: 1",
                                              "event",
                                              "retry: 5",
                                              "\t",
                                              std::string(300, 'L')};
std::vector<std::string> const field_pieces = {
    "a", "Z", "0", " ", ":", "\0"s, "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "-", "message"};

std::string random_text(rng& r, std::vector<std::string> const& pieces, std::size_t max_pieces) {
  std::string s;
  for (std::size_t n = r.below(max_pieces + 1); n > 0; --n) s += pieces[r.below(pieces.size())];
  return s;
}

std::string random_id(rng& r) {
  std::string id = random_text(r, field_pieces, 4);
  id.erase(std::remove(id.begin(), id.end(), '\0'), id.end());
  return id;
}

struct generated {
  std::string type, data;
  std::optional<std::string> id;
  std::optional<std::uint64_t> retry;

  sse::event view() const {
    sse::event ev;
    ev.type = type;
    ev.data = data;
    if (id) ev.id = std::string_view(*id);
    ev.retry = retry;
    return ev;
  }
};

generated random_event(rng& r) {
  generated g;
  if (!r.one_in(3)) g.type = random_text(r, field_pieces, 4);
  g.data = random_text(r, data_pieces, 8);
  if (r.one_in(2)) g.id = r.one_in(5) ? std::string() : random_id(r);
  if (r.one_in(4)) g.retry = r.one_in(2) ? r.below(100000) : r.any();
  return g;
}

// What the parser reports, in order.
class recorder final : public sse::handler {
 public:
  sse::action on_event(sse::event_view const& ev) override {
    log.push_back("event " + std::string(ev.type) + '|' + std::string(ev.data) + '|' +
                  std::string(ev.id));
    return sse::action::proceed;
  }
  void on_retry(std::uint64_t ms) override { log.push_back("retry " + std::to_string(ms)); }
  void on_comment(std::string_view text) override { log.push_back("comment " + std::string(text)); }

  std::vector<std::string> log;
};

std::vector<std::string> parse_chunked(std::string const& wire,
                                       std::vector<std::size_t> const& cuts,
                                       std::size_t& discarded) {
  recorder rec;
  sse::parser_options options;
  options.comments = true;
  sse::parser p(rec, options);
  std::size_t begin = 0;
  for (std::size_t i = 0; i <= cuts.size(); ++i) {
    std::size_t const end = i < cuts.size() ? cuts[i] : wire.size();
    std::size_t const n = end - begin;
    std::unique_ptr<char[]> chunk(new char[n]);  // exactly sized: over-reads trip ASan
    std::copy(wire.data() + begin, wire.data() + end, chunk.get());
    EXPECT_EQ(p.feed(std::string_view(chunk.get(), n)), n);
    begin = end;
  }
  EXPECT_EQ(p.error(), sse::parse_error::none);
  discarded = p.finish();
  return rec.log;
}

// The comment lines a parser reports for encode_comment(text).
void expect_comment(std::vector<std::string>& log, std::string_view text) {
  std::size_t start = 0;
  while (true) {
    std::size_t const end = text.find_first_of("\r\n", start);
    std::string_view const line =
        text.substr(start, end == std::string_view::npos ? end : end - start);
    log.push_back("comment " + (line.empty() ? std::string() : " " + std::string(line)));
    if (end == std::string_view::npos) return;
    start = end + 1;
    if (text[end] == '\r' && start < text.size() && text[start] == '\n') ++start;
  }
}

TEST(roundtrip, random_valid_events_come_back_exactly) {
  std::size_t checked_events = 0;
  for (std::uint64_t seed = 1; seed <= 2000; ++seed) {
    rng r(seed);
    std::string wire;
    std::vector<std::string> expected;
    std::string last_id;
    for (std::size_t n = 1 + r.below(8); n > 0; --n) {
      if (r.one_in(6)) {
        std::string const text = random_text(r, data_pieces, 3);
        sse::encode_comment(wire, text);
        expect_comment(expected, text);
        continue;
      }
      if (r.one_in(10)) {
        std::uint64_t const ms = r.any();
        sse::encode_retry(wire, ms);
        expected.push_back("retry " + std::to_string(ms));
        continue;
      }
      generated const g = random_event(r);
      sse::event const ev = g.view();
      ASSERT_EQ(sse::validate(ev), sse::encode_error::none) << "seed " << seed;
      std::size_t const before = wire.size();
      ASSERT_EQ(sse::encode(wire, ev), sse::encode_error::none) << "seed " << seed;
      ASSERT_EQ(wire.size() - before, sse::encoded_size(ev)) << "seed " << seed;
      if (g.id) last_id = *g.id;
      if (g.retry) expected.push_back("retry " + std::to_string(*g.retry));
      // The parser joins data lines with LF: CRLF and lone CR in the data come back as LF.
      std::string data;
      for (std::size_t i = 0; i < g.data.size(); ++i) {
        if (g.data[i] == '\r') {
          data += '\n';
          if (i + 1 < g.data.size() && g.data[i + 1] == '\n') ++i;
        } else {
          data += g.data[i];
        }
      }
      expected.push_back("event " + (g.type.empty() ? "message"s : g.type) + '|' + data + '|' +
                         last_id);
      ++checked_events;
    }

    std::size_t discarded = 0;
    auto const whole = parse_chunked(wire, {}, discarded);
    ASSERT_EQ(whole, expected) << "seed " << seed << " wire " << testing::PrintToString(wire);
    ASSERT_EQ(discarded, 0u) << "seed " << seed;

    for (int k = 0; k < 3 && wire.size() > 1; ++k) {
      std::vector<std::size_t> cuts;
      for (std::size_t at = 1 + r.below(std::min<std::size_t>(wire.size() - 1, 40));
           at < wire.size(); at += 1 + r.below(40)) {
        cuts.push_back(at);
      }
      auto const chunked = parse_chunked(wire, cuts, discarded);
      ASSERT_EQ(chunked, expected) << "seed " << seed << " chunking " << k;
      ASSERT_EQ(discarded, 0u);
    }
  }
  EXPECT_GT(checked_events, 5000u);  // the generator really produced events
}

TEST(roundtrip, events_with_one_defect_are_refused_and_nothing_is_appended) {
  std::size_t per_error[5] = {};
  for (std::uint64_t seed = 1; seed <= 2000; ++seed) {
    rng r(seed);
    generated g = random_event(r);
    sse::encode_error expected = sse::encode_error::none;
    auto insert = [&](std::string& s, std::string const& bad) {
      s.insert(r.below(s.size() + 1), bad);
    };
    switch (r.below(6)) {
      case 0:
        if (!g.id) g.id = std::string();
        insert(*g.id, r.one_in(2) ? "\r" : "\n");
        expected = sse::encode_error::id_has_line_break;
        break;
      case 1:
        if (!g.id) g.id = std::string();
        insert(*g.id, "\0"s);
        expected = sse::encode_error::id_has_nul;
        break;
      case 2:
        insert(g.type, r.one_in(2) ? "\r" : "\n");
        expected = sse::encode_error::type_has_line_break;
        break;
      case 3:
        insert(g.data, r.one_in(2) ? "\xFF" : "\xE2\x82"),
            expected = sse::encode_error::invalid_utf8;
        break;
      case 4:
        insert(g.type, "\xC0\x80"), expected = sse::encode_error::invalid_utf8;
        break;
      default:
        if (!g.id) g.id = std::string();
        insert(*g.id, "\xED\xA0\x80");
        expected = sse::encode_error::invalid_utf8;
        break;
    }
    sse::event const ev = g.view();
    ASSERT_EQ(sse::validate(ev), expected) << "seed " << seed;
    std::string out = "before";
    ASSERT_EQ(sse::encode(out, ev), expected) << "seed " << seed;
    ASSERT_EQ(out, "before") << "seed " << seed;
    ++per_error[static_cast<int>(expected)];
  }
  for (int e = 1; e < 5; ++e)
    EXPECT_GT(per_error[e], 100u) << sse::to_string(static_cast<sse::encode_error>(e));
}

}  // namespace
