// SHA-256 and HMAC-SHA256 through OpenSSL, and a comparison of digests whose time does not depend
// on where they differ.
#ifndef SSE_SERVE_AUTH_DIGEST_HPP
#define SSE_SERVE_AUTH_DIGEST_HPP

#include <array>
#include <string_view>

namespace sse::serve {

using digest = std::array<unsigned char, 32>;

digest sha256(std::string_view bytes);
digest hmac_sha256(std::string_view key, std::string_view message);

// a == b, in time independent of their content (CRYPTO_memcmp).
bool same_digest(digest const& a, digest const& b);

}  // namespace sse::serve

#endif
