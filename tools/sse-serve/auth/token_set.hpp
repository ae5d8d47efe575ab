// A set of opaque bearer tokens (--token-file, --publish-token-file, SSE_PUBLISH_TOKEN), asked
// whether it holds a presented token without the answer's timing saying which byte differed.
#ifndef SSE_SERVE_AUTH_TOKEN_SET_HPP
#define SSE_SERVE_AUTH_TOKEN_SET_HPP

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/digest.hpp"

namespace sse::serve {

// Token files larger than this are refused (a million 16-byte tokens still fit).
inline constexpr std::size_t max_token_file_bytes = std::size_t{16} << 20;

// s without the spaces, tabs, CRs, LFs, VTs and FFs around it.
std::string_view trim_whitespace(std::string_view s);

// A token can be presented in a header, a cookie and a query: non-empty, no whitespace, no
// control characters.
bool valid_token(std::string_view token);

class token_set {
 public:
  token_set() = default;

  // The tokens in path, one per line. Blank lines and lines whose first non-blank character is
  // '#' are skipped; the whitespace around a token (a CR included) is dropped; a UTF-8 BOM at the
  // start is ignored. nullopt, with error set, when the file cannot be read, holds no token
  // ("PATH holds no tokens") or a line holds whitespace or a control character inside its token.
  // Messages name the file and the line, never a token.
  static std::optional<token_set> load(std::string const& path, std::string& error);

  // Adds token (the caller has checked valid_token). Duplicates are kept once.
  void add(std::string_view token);

  // Whether token is in the set. Each candidate is compared in full, none is skipped, and the
  // comparison is between SHA-256 digests, so the time taken depends on the presented token's
  // length and the number of candidates only: not on which candidate matched, nor on where a
  // near miss differs, nor on the candidates' lengths.
  bool contains(std::string_view token) const;
  // The same for a token's sha256(), so that one digest serves several sets.
  bool contains_digest(digest const& presented) const;

  std::size_t size() const { return digests_.size(); }
  bool empty() const { return digests_.empty(); }

 private:
  // Digests, not the tokens: the timing argument above, and no token text to leak from memory.
  std::vector<digest> digests_;
};

}  // namespace sse::serve

#endif
