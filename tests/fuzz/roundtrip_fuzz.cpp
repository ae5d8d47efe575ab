// Fuzz target: the encoder is the parser's exact inverse (up to line breaks in data, which any
// parser gives back as LF). Arbitrary bytes are cut into events
// (type, id, data, retry); every event the encoder accepts must parse back to itself (with own_id
// true exactly when it had an id), and every event it refuses must have a reason validate() names.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sse/encoder.hpp>
#include <sse/parser.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace {

[[noreturn]] void fail(char const* what) {
  std::fprintf(stderr, "roundtrip_fuzz: %s\n", what);
  std::abort();
}

// Splits at 0xFF bytes (never valid UTF-8, so they cannot be wanted inside a field).
std::vector<std::string_view> split(std::string_view s) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || static_cast<unsigned char>(s[i]) == 0xFF) {
      parts.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return parts;
}

// The parsed events, with whether each one's id was its own.
struct collector final : sse::handler {
  std::vector<sse::owned_event> events;
  std::vector<bool> own_ids;
  sse::action on_event(sse::event_view const& ev) override {
    events.push_back({std::string(ev.type), std::string(ev.data), std::string(ev.id)});
    own_ids.push_back(ev.own_id);
    return sse::action::proceed;
  }
};

// What a parser gives back for data: every CRLF and lone CR becomes LF (SSE lines join with LF).
std::string normalize_line_breaks(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r') {
      out.push_back('\n');
      if (i + 1 < s.size() && s[i + 1] == '\n') ++i;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  std::vector<std::string_view> const parts =
      split(std::string_view(reinterpret_cast<char const*>(data), size));

  std::string wire;
  std::vector<sse::owned_event> expected;
  std::vector<bool> expected_own_ids;
  std::string last_id;
  for (std::size_t i = 0; i + 2 < parts.size(); i += 3) {
    sse::event ev;
    ev.type = parts[i];
    if (!parts[i + 1].empty() && parts[i + 1][0] == '!') ev.id = parts[i + 1].substr(1);
    ev.data = parts[i + 2];
    if (ev.data.size() % 5 == 1) ev.retry = ev.data.size() * 1000;

    std::size_t const before = wire.size();
    sse::encode_error const e = sse::encode(wire, ev);
    if (e != sse::validate(ev)) fail("encode() and validate() disagree");
    if (e != sse::encode_error::none) {
      if (wire.size() != before) fail("a refused event changed the buffer");
      continue;
    }
    if (wire.size() - before != sse::encoded_size(ev)) fail("encoded_size() is wrong");
    if (ev.id) last_id.assign(*ev.id);
    expected.push_back({ev.type.empty() ? "message" : std::string(ev.type),
                        normalize_line_breaks(ev.data), last_id});
    expected_own_ids.push_back(ev.id.has_value());
  }
  sse::encode_comment(wire, parts.back());

  std::vector<sse::owned_event> const got = sse::parse_all(wire, sse::parser_options{0, false});
  if (got != expected) fail("parsing the encoder's output did not give the events back");
  collector c;
  sse::parser p(c, sse::parser_options{0, false});
  p.feed(wire);
  p.finish();
  if (c.events != expected) fail("the parser and parse_all() disagree");
  if (c.own_ids != expected_own_ids) fail("own_id differs from whether the event had an id");
  return 0;
}
