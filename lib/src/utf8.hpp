// UTF-8 validation and repair exactly as the WHATWG Encoding standard's UTF-8 decoder behaves.
#ifndef SSE_SRC_UTF8_HPP
#define SSE_SRC_UTF8_HPP

#include <cstddef>
#include <string>

namespace sse::detail {

// Length of the longest prefix of [p, p+n) that is valid UTF-8 and ends on a character boundary.
// ASCII runs are checked 16 bytes at a time.
std::size_t valid_utf8_prefix(char const* p, std::size_t n) noexcept;

// Whether [p, p+n) is valid UTF-8: 16 bytes at a time with SSSE3 where the CPU has it.
bool valid_utf8(char const* p, std::size_t n) noexcept;

// Appends [p, p+n) decoded and re-encoded: each maximal invalid subpart becomes U+FFFD (EF BF BD).
void append_repaired_utf8(std::string& out, char const* p, std::size_t n);

}  // namespace sse::detail

#endif
