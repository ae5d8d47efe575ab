// Decoding base64url (RFC 4648 §5) as JSON Web Tokens use it: no padding, no line breaks.
#ifndef SSE_SERVE_AUTH_BASE64URL_HPP
#define SSE_SERVE_AUTH_BASE64URL_HPP

#include <optional>
#include <string>
#include <string_view>

namespace sse::serve {

// The bytes s encodes, or nullopt when s holds a character outside [A-Za-z0-9_-] (padding '='
// included), has an impossible length (4n+1) or non-zero unused bits in its last character. The
// strictness gives every byte string exactly one encoding, so a token cannot be respelt.
std::optional<std::string> base64url_decode(std::string_view s);

}  // namespace sse::serve

#endif
