// UTF-8 validation and repair, exactly as the WHATWG Encoding standard's UTF-8 decoder behaves: the
// checks the encoder and the parser apply, for callers that handle text around them.
#ifndef SSE_UTF8_HPP
#define SSE_UTF8_HPP

#include <sse/export.hpp>
#include <string>
#include <string_view>

namespace sse {

// True when bytes are valid UTF-8 (as the WHATWG decoder defines it; a BOM counts as a character).
SSE_EXPORT bool is_valid_utf8(std::string_view bytes) noexcept;

// Appends bytes to out with every invalid UTF-8 sequence replaced by U+FFFD exactly as the WHATWG
// "UTF-8 decode" does (one U+FFFD per maximal invalid subpart).
SSE_EXPORT void append_utf8_repaired(std::string& out, std::string_view bytes);

}  // namespace sse

#endif
