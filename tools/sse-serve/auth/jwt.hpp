// HS256 JSON Web Tokens (RFC 7519) for --jwt-secret-file: the signature, the time claims, and the
// topics the holder may subscribe to and publish to.
#ifndef SSE_SERVE_AUTH_JWT_HPP
#define SSE_SERVE_AUTH_JWT_HPP

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sse::serve {

// Seconds of clock skew forgiven on exp and nbf. None: a token is expired from its exp second on
// (RFC 7519 §4.1.4), as in PyJWT and jsonwebtoken by default; the minter and the server are
// expected to share NTP.
inline constexpr std::int64_t jwt_leeway_seconds = 0;
// Longer tokens are malformed: no header or URL carries them anyway.
inline constexpr std::size_t max_jwt_bytes = 16384;
// RFC 7518 §3.2: an HS256 key should be at least as long as the hash. Shorter keys are accepted.
inline constexpr std::size_t min_jwt_secret_bytes = 32;

// What a verified token allows. A topic list holds topic names; "*" among them means every topic.
struct jwt_claims {
  std::optional<std::vector<std::string>> topics;  // `topics`; nullopt (absent): every topic
  std::vector<std::string> publish;                // `publish`; empty (or absent): none

  bool may_subscribe(std::string_view topic) const;
  bool may_subscribe_all() const;  // a stream without a topic filter
  bool may_publish(std::string_view topic) const;
};

// Either the claims or, when claims is nullopt, why the token is refused: "malformed: ...",
// "unsupported alg X" (X named only when it is a JWA algorithm name), "unsupported header crit",
// "bad signature", "expired", "not yet valid". The reason never holds the token or the secret.
struct jwt_result {
  std::optional<jwt_claims> claims;
  std::string error;
};

class jwt_key {
 public:
  // The secret in path: the file's bytes without one trailing line break (LF or CRLF), as `echo`
  // and editors leave it, so the same key works with and without it. nullopt, with error set,
  // when the file cannot be read or holds nothing else ("PATH holds no secret").
  static std::optional<jwt_key> load(std::string const& path, std::string& error);
  explicit jwt_key(std::string secret) : secret_(std::move(secret)) {}

  // Shorter than min_jwt_secret_bytes: usable, and worth a warning at start-up.
  bool short_secret() const { return secret_.size() < min_jwt_secret_bytes; }

  // Checks a compact JWS (header.payload.signature): alg HS256 only (none, RS256, … are refused,
  // as is any crit header), the HMAC compared in constant time, then exp (optional) and nbf
  // (optional) against now, in seconds since the Unix epoch.
  jwt_result verify(std::string_view token, std::int64_t now) const;

 private:
  std::string secret_;
};

// Seconds since the Unix epoch, for verify's now.
std::int64_t unix_now();

}  // namespace sse::serve

#endif
