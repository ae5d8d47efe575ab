#include "utf8.hpp"

#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace sse::detail {
namespace {

constexpr char replacement[] = "\xEF\xBF\xBD";

// Bytes from p up to the first byte with its high bit set (or n).
std::size_t ascii_run(unsigned char const* p, std::size_t n) noexcept {
  std::size_t i = 0;
#if defined(__SSE2__)
  for (; i + 16 <= n; i += 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<__m128i const*>(p + i));
    int mask = _mm_movemask_epi8(v);
    if (mask != 0) return i + static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
  }
#else
  for (; i + 8 <= n; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, p + i, 8);
    if ((w & 0x8080808080808080ULL) != 0) break;
  }
#endif
  while (i < n && p[i] < 0x80) ++i;
  return i;
}

// The WHATWG UTF-8 decoder's view of the sequence starting at p[0] (a byte >= 0x80):
// returns the length of a valid sequence, or 0 with `consumed` set to the number of bytes that
// form the maximal invalid subpart (each such subpart decodes to one U+FFFD).
std::size_t decode_one(unsigned char const* p, std::size_t n, std::size_t& consumed) noexcept {
  unsigned char const b = p[0];
  std::size_t needed;
  unsigned char lower = 0x80, upper = 0xBF;
  if (b >= 0xC2 && b <= 0xDF) {
    needed = 1;
  } else if (b >= 0xE0 && b <= 0xEF) {
    needed = 2;
    if (b == 0xE0) lower = 0xA0;
    if (b == 0xED) upper = 0x9F;
  } else if (b >= 0xF0 && b <= 0xF4) {
    needed = 3;
    if (b == 0xF0) lower = 0x90;
    if (b == 0xF4) upper = 0x8F;
  } else {
    consumed = 1;  // a continuation byte, C0, C1 or F5..FF on its own
    return 0;
  }
  for (std::size_t k = 1; k <= needed; ++k) {
    // Only the first continuation byte has narrowed bounds; the rest are 80..BF.
    unsigned char const lo = k == 1 ? lower : 0x80;
    unsigned char const hi = k == 1 ? upper : 0xBF;
    if (k >= n || p[k] < lo || p[k] > hi) {
      consumed = k;  // the bytes so far are one invalid subpart; p[k] is decoded afresh
      return 0;
    }
  }
  return needed + 1;
}

}  // namespace

std::size_t valid_utf8_prefix(char const* data, std::size_t n) noexcept {
  auto const* p = reinterpret_cast<unsigned char const*>(data);
  std::size_t i = 0;
  while (true) {
    i += ascii_run(p + i, n - i);
    if (i >= n) return n;
    std::size_t consumed = 0;
    std::size_t len = decode_one(p + i, n - i, consumed);
    if (len == 0) return i;
    i += len;
  }
}

void append_repaired_utf8(std::string& out, char const* data, std::size_t n) {
  auto const* p = reinterpret_cast<unsigned char const*>(data);
  std::size_t i = 0;
  while (i < n) {
    std::size_t run = i + ascii_run(p + i, n - i);
    // Copy the valid stretch (ASCII and well-formed sequences) in one append.
    std::size_t start = i;
    i = run;
    std::size_t consumed = 0;
    while (i < n) {
      if (p[i] < 0x80) {
        ++i;
        continue;
      }
      std::size_t len = decode_one(p + i, n - i, consumed);
      if (len == 0) break;
      i += len;
    }
    out.append(data + start, i - start);
    if (i < n) {
      out.append(replacement, 3);
      i += consumed;
    }
  }
}

}  // namespace sse::detail
