// Writing JSON strings fast: SIMD-scanned escaping into a caller's std::string, valid JSON for any
// bytes. sse-listen's --json printer is built on it; sse-serve's hub may use it too.
#ifndef SSE_TOOLS_JSON_WRITER_HPP
#define SSE_TOOLS_JSON_WRITER_HPP

#include <algorithm>
#include <array>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
// Quote-dense text is escaped with SSSE3's byte shuffle where the CPU has it (checked at run
// time: the build targets baseline x86-64, which has SSE2 only).
#if defined(__SSE2__) && defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#include <tmmintrin.h>
#define SSE_JSON_WRITER_SSSE3 1
#else
#define SSE_JSON_WRITER_SSSE3 0
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
  // JSON text the caller knows is one valid value, copied as is except that line breaks (which
  // valid JSON holds only as whitespace between tokens) become spaces, so it stays on one line.
  void json_text(std::string_view json);
  // s as a JSON string literal, as append_json_string.
  void string(std::string_view s);
  // The same for an s known to be valid UTF-8, as libsse's parser reports every field (it decodes
  // the stream as the WHATWG standard says, U+FFFD for what is not): the check is skipped, which
  // saves a second pass over non-ASCII text. Debug builds assert it.
  void utf8_string(std::string_view s);

 private:
#if defined(__SSE2__)
  // Writes [p, p+n) escaped, without quotes; nonzero when a byte >= 0x80 was among them.
  unsigned escape(char const* p, std::size_t n);
  // Where the escaping writes, in locals: stores through char* may alias any member, which would
  // then be reloaded after each.
  struct cursor {
    char* d;
    char* end;
    unsigned high;  // nonzero once a byte >= 0x80 was seen
  };
  cursor open_cursor() {
    return {out_.data() + used_, out_.data() + out_.size(), 0};
  }
  unsigned close_cursor(cursor const& c) {
    used_ = static_cast<std::size_t>(c.d - out_.data());
    return c.high;
  }
  void reserve(cursor& c) {
    // At most 48 bytes are written per block: 16 escaped quotes (32), then a 16-byte store.
    if (c.end - c.d >= 48) return;
    used_ = static_cast<std::size_t>(c.d - out_.data());
    c.d = room(48);
    c.end = out_.data() + out_.size();
  }
  std::size_t step(cursor& c, char const* src);
  unsigned escape_sse2(char const* p, std::size_t n);
#if SSE_JSON_WRITER_SSSE3
  __attribute__((target("ssse3"))) std::size_t step_ssse3(cursor& c, char const* src);
  __attribute__((target("ssse3"))) unsigned escape_ssse3(char const* p, std::size_t n);
#endif
#endif
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

struct escape_text {
  char text[8];
  std::size_t size;
};
// The JSON escape of each byte that needs one, padded to 8 bytes so it is copied with a fixed size.
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

#if defined(__SSE2__)
// The bytes of v that are control characters (<= 0x1F), and those that are '"' or '\\'.
inline unsigned control_mask(__m128i v) {
  // Unsigned v <= 0x1F: min(v, 0x1F) == v.
  return static_cast<unsigned>(
      _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1F)), v)));
}
inline unsigned quote_mask(__m128i v) {
  return static_cast<unsigned>(_mm_movemask_epi8(
      _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')))));
}
#endif

#if SSE_JSON_WRITER_SSSE3
// For 8 bytes whose quotes and backslashes are the set bits of the index: the byte shuffle that
// spreads them out with a zero before each of those, the backslashes that fill the zeros, and
// the size of the result.
struct alignas(16) quote_expansion {
  unsigned char shuffle[16];
  unsigned char backslashes[16];
  std::size_t size;
};
inline constexpr std::array<quote_expansion, 256> quote_expansions = [] {
  std::array<quote_expansion, 256> t{};
  for (unsigned mask = 0; mask < 256; ++mask) {
    quote_expansion& e = t[mask];
    std::size_t out = 0;
    for (unsigned b = 0; b < 8; ++b) {
      if ((mask & (1u << b)) != 0) {
        e.shuffle[out] = 0x80;  // pshufb writes a zero
        e.backslashes[out++] = '\\';
      }
      e.shuffle[out++] = static_cast<unsigned char>(b);
    }
    e.size = out;
    for (; out < 16; ++out) e.shuffle[out] = 0x80;
  }
  return t;
}();

// The 8 low bytes of half with a backslash before each quote and backslash (16 bytes stored;
// e.size of them count).
__attribute__((target("ssse3"))) inline __m128i expand_quotes(__m128i half,
                                                              quote_expansion const& e) {
  return _mm_or_si128(
      _mm_shuffle_epi8(half, _mm_load_si128(reinterpret_cast<__m128i const*>(e.shuffle))),
      _mm_load_si128(reinterpret_cast<__m128i const*>(e.backslashes)));
}

// Whether escaping uses SSSE3: where the CPU has it. Tests and fuzzers set it to false to check
// the SSE2 variant too.
inline bool& use_ssse3() {
  static bool use = __builtin_cpu_supports("ssse3");
  return use;
}
#endif

#if !defined(__SSE2__)
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

// The index of the first byte from i that needs an escape, or n.
inline std::size_t next_care(char const* p, std::size_t i, std::size_t n) {
  for (; i + 8 <= n; i += 8) {
    std::uint64_t x;
    std::memcpy(&x, p + i, 8);
    if (needs_care(x)) break;
  }
  while (i < n && byte_class[static_cast<unsigned char>(p[i])] == 0) ++i;
  return i;
}
#endif

}  // namespace detail

#if defined(__SSE2__)
// 16 bytes at a time, each block stored whole at the output. A block whose special bytes are all
// quotes and backslashes (JSON inside a JSON string: a quote every few bytes) then gets a
// backslash written before each of them, with the rest of the block stored again one byte
// further on: a few instructions per escape, no memcpy call per run between escapes. A block
// with a control character is written up to it, then its escape, and the scan goes on after it.
// Stores reach past the end of what is written; those bytes are overwritten, or cut by the final
// resize. Loads reach up to 31 bytes past a block's start, so the last bytes of a string go
// through a copy padded with plain bytes ('a'), escaped as whole blocks too: the padding comes
// out last and unchanged, and the output position is moved back over it.

// One step over the 16 bytes at src (32 readable); returns the bytes consumed.
inline std::size_t json_writer::step(cursor& c, char const* src) {
  reserve(c);
  __m128i const v = _mm_loadu_si128(reinterpret_cast<__m128i const*>(src));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(c.d), v);
  c.high |= static_cast<unsigned>(_mm_movemask_epi8(v));
  unsigned const control = detail::control_mask(v);
  unsigned quotes = detail::quote_mask(v);
  if (control != 0) {
    auto const k = static_cast<unsigned>(__builtin_ctz(control | quotes));
    detail::escape_text const& e = detail::escapes[static_cast<unsigned char>(src[k])];
    std::memcpy(c.d + k, e.text, 8);
    c.d += k + e.size;
    return k + 1;
  }
  unsigned at = 0;  // c.d holds the copy of src[at]
  while (quotes != 0) {
    auto const k = static_cast<unsigned>(__builtin_ctz(quotes));
    quotes &= quotes - 1;
    c.d += k - at;
    *c.d++ = '\\';
    _mm_storeu_si128(reinterpret_cast<__m128i*>(c.d),
                     _mm_loadu_si128(reinterpret_cast<__m128i const*>(src + k)));
    at = k;
  }
  c.d += 16 - at;
  return 16;
}

// The driver both variants share: whole blocks while 32 bytes are readable, then the rest (< 32
// bytes) from a padded copy. STEP is step or step_ssse3; a macro, because a lambda or template
// would not take the SSSE3 variant's target attribute, and calls per block cost as much as an
// escape.
#define SSE_JSON_WRITER_ESCAPE(STEP)                               \
  cursor c = open_cursor();                                        \
  std::size_t i = 0;                                               \
  while (i + 32 <= n) i += STEP(c, p + i);                         \
  if (std::size_t const rest = n - i; rest != 0) {                 \
    char tail[64];                                                 \
    std::memset(tail, 'a', sizeof tail);                           \
    std::memcpy(tail, p + i, rest);                                \
    std::size_t j = 0;                                             \
    while (j < rest) j += STEP(c, tail + j);                       \
    c.d -= j - rest; /* the padding written after the last byte */ \
  }                                                                \
  return close_cursor(c)

inline unsigned json_writer::escape_sse2(char const* p, std::size_t n) {
  SSE_JSON_WRITER_ESCAPE(step);
}

#if SSE_JSON_WRITER_SSSE3
// As step, but a block of quotes and backslashes is escaped with two byte shuffles (one per
// 8-byte half, from a table indexed by the half's quote mask) whatever their number.
__attribute__((target("ssse3"))) inline std::size_t json_writer::step_ssse3(cursor& c,
                                                                            char const* src) {
  __m128i const v = _mm_loadu_si128(reinterpret_cast<__m128i const*>(src));
  if (detail::control_mask(v) != 0) return step(c, src);
  reserve(c);
  c.high |= static_cast<unsigned>(_mm_movemask_epi8(v));
  unsigned const quotes = detail::quote_mask(v);
  if (quotes == 0) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(c.d), v);
    c.d += 16;
    return 16;
  }
  detail::quote_expansion const& low = detail::quote_expansions[quotes & 0xFFu];
  detail::quote_expansion const& high = detail::quote_expansions[quotes >> 8];
  _mm_storeu_si128(reinterpret_cast<__m128i*>(c.d), detail::expand_quotes(v, low));
  c.d += low.size;
  _mm_storeu_si128(reinterpret_cast<__m128i*>(c.d),
                   detail::expand_quotes(_mm_srli_si128(v, 8), high));
  c.d += high.size;
  return 16;
}

__attribute__((target("ssse3"))) inline unsigned json_writer::escape_ssse3(char const* p,
                                                                           std::size_t n) {
  SSE_JSON_WRITER_ESCAPE(step_ssse3);
}
#endif
#undef SSE_JSON_WRITER_ESCAPE

inline unsigned json_writer::escape(char const* p, std::size_t n) {
#if SSE_JSON_WRITER_SSSE3
  if (detail::use_ssse3()) return escape_ssse3(p, n);
#endif
  return escape_sse2(p, n);
}
#endif

inline void json_writer::json_text(std::string_view json) {
  char* const d = room(json.size());
  char const* const s = json.data();
  std::size_t const n = json.size();
  std::size_t i = 0;
#if defined(__SSE2__)
  // Copied and patched in one pass, 16 bytes at a time.
  for (; i + 16 <= n; i += 16) {
    __m128i const v = _mm_loadu_si128(reinterpret_cast<__m128i const*>(s + i));
    __m128i const line_break = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\n')),
                                            _mm_cmpeq_epi8(v, _mm_set1_epi8('\r')));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(d + i),
                     _mm_or_si128(_mm_andnot_si128(line_break, v),
                                  _mm_and_si128(line_break, _mm_set1_epi8(' '))));
  }
#endif
  for (; i < n; ++i) d[i] = s[i] == '\n' || s[i] == '\r' ? ' ' : s[i];
  used_ += n;
}

#if defined(__SSE2__)
inline void json_writer::utf8_string(std::string_view s) {
  assert(sse::is_valid_utf8(s));
  put('"');
  escape(s.data(), s.size());
  put('"');
}
#else
inline void json_writer::utf8_string(std::string_view s) {
  string(s);
}
#endif

inline void json_writer::string(std::string_view s) {
  put('"');
  std::size_t const begin = used_;
  char const* p = s.data();
  std::size_t const n = s.size();
#if defined(__SSE2__)
  unsigned const high = escape(p, n);
  // libsse's parser only reports valid UTF-8, but any bytes must give valid JSON: a string with a
  // non-ASCII byte is checked once, and one that is not valid UTF-8 is written again, repaired
  // the same way. ASCII strings (most type names, ids and much data) skip the second pass.
  if (high != 0 && !sse::is_valid_utf8(s)) {
    std::string repaired;
    sse::append_utf8_repaired(repaired, s);
    used_ = begin;
    escape(repaired.data(), repaired.size());
  }
#else
  std::string repaired;
  if (!sse::is_valid_utf8(s)) {
    sse::append_utf8_repaired(repaired, s);
    p = repaired.data();
    s = repaired;
  }
  std::size_t const m = s.size();
  std::size_t run = 0;
  for (std::size_t i = detail::next_care(p, 0, m); i < m; i = detail::next_care(p, i, m)) {
    put(s.substr(run, i - run));
    auto const c = static_cast<unsigned char>(s[i]);
    std::memcpy(room(8), detail::escapes[c].text, 8);
    used_ += detail::escapes[c].size;
    run = ++i;
  }
  put(s.substr(run, m - run));
  (void)begin;
#endif
  put('"');
}

}  // namespace sse::tools

#endif
