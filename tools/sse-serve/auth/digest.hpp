// SHA-256 and HMAC-SHA256 through OpenSSL, and a comparison of digests whose time does not depend
// on where they differ.
#ifndef SSE_SERVE_AUTH_DIGEST_HPP
#define SSE_SERVE_AUTH_DIGEST_HPP

#include <array>
#include <string>
#include <string_view>

namespace sse::serve {

using digest = std::array<unsigned char, 32>;

digest sha256(std::string_view bytes);
digest hmac_sha256(std::string_view key, std::string_view message);

// a == b, in time independent of their content (CRYPTO_memcmp).
bool same_digest(digest const& a, digest const& b);

// The SHA-256 of the token a connection presented last. A publisher sends the same token with
// every request; hashing it again was a tenth of a pipelined publish's cost. What is kept is what
// this connection's client sent (its request buffer holds the same bytes), and it is compared only
// with what that client sends next, never with a valid token.
class digest_memo {
 public:
  digest const& of(std::string_view token);

 private:
  std::string token_;
  digest digest_{};
  bool set_ = false;
};

}  // namespace sse::serve

#endif
