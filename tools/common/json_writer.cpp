#include "common/json_writer.hpp"

#include <array>
#include <cstdint>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <sse/encoder.hpp>

namespace sse::tools {
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
  for (unsigned c = 0; c < 0x20; ++c)
    t[c] = {{'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xF], 0, 0}, 6};
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

}  // namespace

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

void append_json_string(std::string& out, std::string_view s) {
  json_writer w(out, s.size() + 2);
  w.string(s);
}

}  // namespace sse::tools
