// The SSE encoder: events and comments to text/event-stream bytes, appended to a caller's buffer.
#ifndef SSE_ENCODER_HPP
#define SSE_ENCODER_HPP

#include <cstddef>
#include <cstdint>
#include <sse/event.hpp>
#include <sse/export.hpp>
#include <string>
#include <string_view>
// For compatibility only: is_valid_utf8 and append_utf8_repaired were declared here before they
// moved to their own header. New code includes <sse/utf8.hpp> itself.
#include <sse/utf8.hpp>

namespace sse {

// Why an event cannot be carried by the wire format. Checked before anything is appended.
enum class encode_error {
  none = 0,
  id_has_line_break,    // CR or LF in the id: it would end the id line early
  id_has_nul,           // NUL in the id: conformant parsers ignore such an id
  type_has_line_break,  // CR or LF in the event type
  invalid_utf8,         // a field is not valid UTF-8: the parser would replace bytes with U+FFFD
};

// A short English description of the error, e.g. "event id contains a line break".
SSE_EXPORT char const* to_string(encode_error e) noexcept;

// Checks that the event can be encoded so that a conformant parser gives it back exactly.
SSE_EXPORT encode_error validate(event const& ev) noexcept;

// The exact number of bytes encode() appends for ev (valid events only).
SSE_EXPORT std::size_t encoded_size(event const& ev) noexcept;

// Appends ev to out as "event:", "id:", "retry:" and one "data:" line per line of ev.data (split at
// CRLF, LF and lone CR, which a parser joins again with LF), then the blank line that dispatches
// it. Returns the error and appends nothing when validate(ev) fails. Never allocates when out has
// encoded_size(ev) spare capacity.
SSE_EXPORT encode_error encode(std::string& out, event const& ev);

// Appends a comment (":text" lines; a multi-line text becomes several comment lines).
SSE_EXPORT void encode_comment(std::string& out, std::string_view text);

// Appends a lone "retry: MS" line followed by a blank line (no event is dispatched).
SSE_EXPORT void encode_retry(std::string& out, std::uint64_t milliseconds);

}  // namespace sse

#endif
