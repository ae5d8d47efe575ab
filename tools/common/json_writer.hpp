// Writing JSON strings fast: SIMD-scanned escaping into a caller's std::string, valid JSON for any
// bytes. sse-listen's --json printer is built on it; sse-serve's hub may use it too.
#ifndef SSE_TOOLS_JSON_WRITER_HPP
#define SSE_TOOLS_JSON_WRITER_HPP

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <sse/encoder.hpp>

namespace sse::tools {

// Appends s as a JSON string literal (quotes included). Valid JSON for any bytes: quotes,
// backslashes and control characters are escaped, invalid UTF-8 becomes U+FFFD (one per maximal
// invalid subpart, as the WHATWG decoder and libsse's parser do).
void append_json_string(std::string& out, std::string_view s);

// Writes into a std::string through a pointer: one resize up front for the expected size (the
// output when nothing needs escaping), more only when escapes outgrow it, and one at the end.
// Appending piece by piece costs a capacity check and a call per piece, which dominates tiny
// events. Until it is destroyed, out holds unspecified bytes past what was written.
class json_writer {
 public:
  json_writer(std::string& out, std::size_t expected)
      : out_(out), start_(out.size()), used_(start_) {
    out_.resize(used_ + expected);
  }
  ~json_writer() { out_.resize(used_); }
  json_writer(json_writer const&) = delete;
  json_writer& operator=(json_writer const&) = delete;

  // Raw text, copied as is (the caller's JSON punctuation, keys it knows need no escaping).
  void put(std::string_view v) {
    std::memcpy(room(v.size()), v.data(), v.size());
    used_ += v.size();
  }
  void put(char c) {
    *room(1) = c;
    ++used_;
  }
  // s as a JSON string literal, as append_json_string.
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

// The escaping is defined here, inline, so the printer's calls compile with it: out of line (in
// this other static library, without LTO) --json took 2% more CPU on bench-consume's typical
// corpus.
namespace detail {

// 0: copy as is; 1: needs a JSON escape. Bytes >= 0x80 are copied: the string is valid UTF-8 by
// the time it is escaped (see json_writer::string).
inline constexpr std::array<unsigned char, 256> byte_class = [] {
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
inline constexpr std::array<escape_text, 256> escapes = [] {
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

}  // namespace detail

inline void json_writer::string(std::string_view s) {
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
  for (std::size_t i = detail::next_care(p, 0, n); i < n; i = detail::next_care(p, i, n)) {
    put(s.substr(run, i - run));
    auto const c = static_cast<unsigned char>(s[i]);
    std::memcpy(room(8), detail::escapes[c].text, 8);
    used_ += detail::escapes[c].size;
    run = ++i;
  }
  put(s.substr(run, n - run));
  put('"');
}

}  // namespace sse::tools

#endif
