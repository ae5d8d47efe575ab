#include "utf8.hpp"

#include <cstdint>
#include <cstring>
#include <sse/utf8.hpp>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define SSE_HAVE_X86_SIMD 1
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

#if defined(SSE_HAVE_X86_SIMD)
namespace {

// Validation 16 bytes at a time with SSSE3 table lookups, after Keiser and Lemire, "Validating
// UTF-8 in less than one instruction per byte" (2021): each byte's error classes are looked up
// from the high nibble of the previous byte, its low nibble, and the high nibble of the byte
// itself; a set bit common to all three is an error. Sequences that need a second or third
// continuation byte are checked against the bytes two and three back.
// The bit classes and lookup tables are laid out by hand, one column per meaning.
// clang-format off
constexpr std::uint8_t too_short = 1 << 0;   // 11______ then 0_______ or 11______
constexpr std::uint8_t too_long = 1 << 1;    // 0_______ then 10______
constexpr std::uint8_t overlong_3 = 1 << 2;  // 11100000 100_____
constexpr std::uint8_t too_large = 1 << 3;   // 11110100 1001____, 11110100 101_____, 11110101+ 1001/101
constexpr std::uint8_t surrogate = 1 << 4;   // 11101101 101_____
constexpr std::uint8_t overlong_2 = 1 << 5;  // 1100000_ 10______
constexpr std::uint8_t too_large_1000 = 1 << 6;  // 11110101+ 1000____
constexpr std::uint8_t overlong_4 = 1 << 6;      // 11110000 1000____
constexpr std::uint8_t two_conts = 1 << 7;       // 10______ 10______
constexpr std::uint8_t carry = too_short | too_long | two_conts;

__attribute__((target("ssse3"))) inline __m128i table(std::uint8_t const (&t)[16]) {
  return _mm_loadu_si128(reinterpret_cast<__m128i const*>(t));
}

__attribute__((target("ssse3"))) inline __m128i high_nibbles(__m128i v) {
  return _mm_and_si128(_mm_srli_epi16(v, 4), _mm_set1_epi8(0x0F));
}

// The error bits of block `input` whose preceding 16 bytes were `previous`.
__attribute__((target("ssse3"))) inline __m128i block_errors(__m128i input, __m128i previous) {
  static constexpr std::uint8_t byte_1_high[16] = {
      too_long, too_long, too_long, too_long, too_long, too_long, too_long, too_long,
      two_conts, two_conts, two_conts, two_conts,
      too_short | overlong_2,
      too_short,
      too_short | overlong_3 | surrogate,
      too_short | too_large | too_large_1000 | overlong_4};
  static constexpr std::uint8_t byte_1_low[16] = {
      carry | overlong_3 | overlong_2 | overlong_4,
      carry | overlong_2,
      carry,
      carry,
      carry | too_large,
      carry | too_large | too_large_1000,
      carry | too_large | too_large_1000,
      carry | too_large | too_large_1000,
      carry | too_large | too_large_1000,
      carry | too_large | too_large_1000,
      carry | too_large | too_large_1000,
      carry | too_large | too_large_1000,
      carry | too_large | too_large_1000,
      carry | too_large | too_large_1000 | surrogate,
      carry | too_large | too_large_1000,
      carry | too_large | too_large_1000};
  static constexpr std::uint8_t byte_2_high[16] = {
      too_short, too_short, too_short, too_short, too_short, too_short, too_short, too_short,
      too_long | overlong_2 | two_conts | overlong_3 | too_large_1000 | overlong_4,
      too_long | overlong_2 | two_conts | overlong_3 | too_large,
      too_long | overlong_2 | two_conts | surrogate | too_large,
      too_long | overlong_2 | two_conts | surrogate | too_large,
      too_short, too_short, too_short, too_short};

  // clang-format on
  __m128i const prev1 = _mm_alignr_epi8(input, previous, 15);
  __m128i const special = _mm_and_si128(
      _mm_and_si128(_mm_shuffle_epi8(table(byte_1_high), high_nibbles(prev1)),
                    _mm_shuffle_epi8(table(byte_1_low), _mm_and_si128(prev1, _mm_set1_epi8(0x0F)))),
      _mm_shuffle_epi8(table(byte_2_high), high_nibbles(input)));
  // Bytes that must be the second or third continuation of a 3- or 4-byte sequence.
  __m128i const prev2 = _mm_alignr_epi8(input, previous, 14);
  __m128i const prev3 = _mm_alignr_epi8(input, previous, 13);
  __m128i const third = _mm_subs_epu8(prev2, _mm_set1_epi8(static_cast<char>(0xE0 - 0x80)));
  __m128i const fourth = _mm_subs_epu8(prev3, _mm_set1_epi8(static_cast<char>(0xF0 - 0x80)));
  __m128i const must_continue =
      _mm_and_si128(_mm_or_si128(third, fourth), _mm_set1_epi8(static_cast<char>(0x80)));
  return _mm_xor_si128(must_continue, special);
}

__attribute__((target("ssse3"))) bool valid_utf8_ssse3(char const* p, std::size_t n) noexcept {
  __m128i previous = _mm_setzero_si128();
  __m128i error = _mm_setzero_si128();
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m128i const input = _mm_loadu_si128(reinterpret_cast<__m128i const*>(p + i));
    // ASCII after ASCII cannot be wrong: skip the lookups.
    if (_mm_movemask_epi8(_mm_or_si128(input, previous)) != 0) {
      error = _mm_or_si128(error, block_errors(input, previous));
    }
    previous = input;
  }
  // The tail, zero-padded (all zeros when n is a multiple of 16): a sequence cut off by the end
  // of the input is then followed by a NUL and fails as too short.
  alignas(16) char tail[16] = {};
  if (n > i) std::memcpy(tail, p + i, n - i);
  __m128i const last = _mm_load_si128(reinterpret_cast<__m128i const*>(tail));
  error = _mm_or_si128(error, block_errors(last, previous));
  return _mm_movemask_epi8(_mm_cmpeq_epi8(error, _mm_setzero_si128())) == 0xFFFF;
}

}  // namespace
#endif

bool valid_utf8(char const* p, std::size_t n) noexcept {
#if defined(SSE_HAVE_X86_SIMD)
  static bool const ssse3 = __builtin_cpu_supports("ssse3");
  if (ssse3) return valid_utf8_ssse3(p, n);
#endif
  return valid_utf8_prefix(p, n) == n;
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

namespace sse {

bool is_valid_utf8(std::string_view bytes) noexcept {
  return detail::valid_utf8(bytes.data(), bytes.size());
}

void append_utf8_repaired(std::string& out, std::string_view bytes) {
  detail::append_repaired_utf8(out, bytes.data(), bytes.size());
}

}  // namespace sse
