#include "printer.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <sse/encoder.hpp>

#include "common/diagnostics.hpp"

namespace sse::listen {
namespace {

// 0: copy as is; 1: needs a JSON escape. Bytes >= 0x80 are copied: the string is valid UTF-8 by
// the time it is escaped (see json_writer::string).
constexpr std::array<unsigned char, 256> byte_class = [] {
  std::array<unsigned char, 256> t{};
  for (unsigned c = 0; c < 0x20; ++c) t[c] = 1;
  t['"'] = 1;
  t['\\'] = 1;
  return t;
}();

void append_data_lines(std::string& out, std::string_view data, std::string_view label) {
  if (label.empty()) {
    out.append(data).push_back('\n');
    return;
  }
  std::size_t start = 0;
  for (;;) {
    std::size_t nl = data.find('\n', start);
    out.append(label);
    if (nl == std::string_view::npos) {
      out.append(data.substr(start)).push_back('\n');
      return;
    }
    out.append(data.substr(start, nl + 1 - start));
    start = nl + 1;
  }
}

}  // namespace

namespace {

// Writes into a std::string through a pointer: one resize up front for the expected size (the
// output when nothing needs escaping), more only when escapes outgrow it, and one at the end.
// Appending piece by piece costs a capacity check and a call per piece, which dominates tiny events.
class json_writer {
 public:
  json_writer(std::string& out, std::size_t expected) : out_(out), start_(out.size()), used_(start_) {
    out_.resize(used_ + expected);
  }
  ~json_writer() { out_.resize(used_); }
  json_writer(json_writer const&) = delete;
  json_writer& operator=(json_writer const&) = delete;

  void put(std::string_view v) {
    std::memcpy(room(v.size()), v.data(), v.size());
    used_ += v.size();
  }
  void put(char c) {
    *room(1) = c;
    ++used_;
  }
  void string(std::string_view s);

 private:
  char* room(std::size_t n) {
    // Grow by what this writer has written so far (geometric, so escape-heavy data stays linear),
    // never by the whole buffer, which holds the rest of the chunk's output too.
    if (out_.size() - used_ < n) out_.resize(used_ + std::max(n, used_ - start_ + 64));
    return out_.data() + used_;
  }

  std::string& out_;
  std::size_t start_;
  std::size_t used_;
};

// True when one of the 8 bytes in x is a control character, '"' or '\\'.
inline bool needs_care(std::uint64_t x) {
  constexpr std::uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;
  auto has_zero = [](std::uint64_t v) { return (v - ones) & ~v & high; };
  std::uint64_t below_space = (x - ones * 0x20) & ~x & high;
  return (below_space | has_zero(x ^ (ones * '"')) | has_zero(x ^ (ones * '\\'))) != 0;
}

struct escape_text {
  char text[8];
  std::size_t size;
};
// The JSON escape of each byte of class 1, padded to 8 bytes so it is copied with a fixed size.
constexpr std::array<escape_text, 256> escapes = [] {
  std::array<escape_text, 256> t{};
  constexpr char hex[] = "0123456789abcdef";
  for (unsigned c = 0; c < 0x20; ++c) t[c] = {{'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xF], 0, 0}, 6};
  t['"'] = {{'\\', '"'}, 2};
  t['\\'] = {{'\\', '\\'}, 2};
  t['\n'] = {{'\\', 'n'}, 2};
  t['\r'] = {{'\\', 'r'}, 2};
  t['\t'] = {{'\\', 't'}, 2};
  t['\b'] = {{'\\', 'b'}, 2};
  t['\f'] = {{'\\', 'f'}, 2};
  return t;
}();

// The index of the first byte from i that needs an escape, or n.
inline std::size_t next_care(char const* p, std::size_t i, std::size_t n) {
#if defined(__SSE2__)
  for (; i + 16 <= n; i += 16) {
    __m128i const v = _mm_loadu_si128(reinterpret_cast<__m128i const*>(p + i));
    // Unsigned v <= 0x1F: min(v, 0x1F) == v.
    __m128i const hit = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1F)), v),
                                     _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                                  _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))));
    if (unsigned const mask = static_cast<unsigned>(_mm_movemask_epi8(hit)); mask != 0) {
      return i + static_cast<unsigned>(__builtin_ctz(mask));
    }
  }
#else
  for (; i + 8 <= n; i += 8) {
    std::uint64_t x;
    std::memcpy(&x, p + i, 8);
    if (needs_care(x)) break;
  }
#endif
  while (i < n && byte_class[static_cast<unsigned char>(p[i])] == 0) ++i;
  return i;
}

void json_writer::string(std::string_view s) {
  // libsse's parser only reports valid UTF-8; anything else is repaired first, the same way, so
  // the output is valid JSON for any input.
  std::string repaired;
  if (!sse::is_valid_utf8(s)) {
    sse::append_utf8_repaired(repaired, s);
    s = repaired;
  }
  put('"');
  char const* p = s.data();
  std::size_t const n = s.size();
  std::size_t run = 0;
  for (std::size_t i = next_care(p, 0, n); i < n; i = next_care(p, i, n)) {
    put(s.substr(run, i - run));
    auto const c = static_cast<unsigned char>(s[i]);
    std::memcpy(room(8), escapes[c].text, 8);
    used_ += escapes[c].size;
    run = ++i;
  }
  put(s.substr(run, n - run));
  put('"');
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  json_writer w(out, s.size() + 2);
  w.string(s);
}

printer::printer(output_format format, bool colour) : format_(format), colour_(colour) {}

void printer::print(event_view const& ev, std::string& out) {
  switch (format_) {
    case output_format::json:
    {
      // {"event":"T","data":"D","id":"I"}\n is 34 bytes around the three strings.
      json_writer w(out, ev.type.size() + ev.data.size() + ev.id.size() + 34);
      if (ev.type == "message" && ev.id.empty()) {  // the usual event: 1 string, not 3
        w.put("{\"event\":\"message\",\"data\":");
        w.string(ev.data);
        w.put(",\"id\":\"\"}\n");
        return;
      }
      w.put("{\"event\":");
      w.string(ev.type);
      w.put(",\"data\":");
      w.string(ev.data);
      w.put(",\"id\":");
      w.string(ev.id);
      w.put("}\n");
      return;
    }
    case output_format::sse:
      print_sse(ev, out);
      return;
    case output_format::text:
    case output_format::raw:
      print_text(ev, out);
      return;
  }
}

// The data alone for a default event; otherwise each data line prefixed by "[TYPE #ID] ".
void printer::print_text(event_view const& ev, std::string& out) const {
  bool default_type = ev.type == "message";
  if (default_type && ev.id.empty()) {
    append_data_lines(out, ev.data, {});
    return;
  }
  std::string label;
  if (colour_) label.append("\x1b[36m");
  label.push_back('[');
  if (!default_type) label.append(ev.type);
  if (!ev.id.empty()) {
    if (!default_type) label.push_back(' ');
    label.push_back('#');
    label.append(ev.id);
  }
  label.push_back(']');
  if (colour_) label.append("\x1b[0m");
  label.push_back(' ');
  append_data_lines(out, ev.data, label);
}

// The id is written when it changed since the last event written (so a reset to "" is relayed
// too); the default type is left implicit, as it was on the wire.
void printer::print_sse(event_view const& ev, std::string& out) {
  sse::event e;
  e.data = ev.data;
  if (ev.type != "message") e.type = ev.type;
  bool id_changed = ev.id != sse_last_id_;
  if (id_changed) e.id = ev.id;
  if (auto err = sse::encode(out, e); err != encode_error::none) {
    sse::tools::warning(std::string("cannot re-encode an event: ") + sse::to_string(err));
    return;
  }
  if (id_changed) sse_last_id_.assign(ev.id);
}

}  // namespace sse::listen
