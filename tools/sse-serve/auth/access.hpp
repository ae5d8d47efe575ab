// Who may subscribe and who may publish: the policy the server asks once per request, built from
// --token-file, --jwt-secret-file, --publish-token-file and SSE_PUBLISH_TOKEN, and reloaded on
// SIGHUP. Pure logic: it reads the files it is given and nothing else.
#ifndef SSE_SERVE_AUTH_ACCESS_HPP
#define SSE_SERVE_AUTH_ACCESS_HPP

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/digest.hpp"
#include "auth/jwt.hpp"
#include "auth/token_set.hpp"

namespace sse::serve {

struct access_config {
  std::optional<std::string> token_file;          // --token-file
  std::optional<std::string> jwt_secret_file;     // --jwt-secret-file
  std::optional<std::string> publish_token_file;  // --publish-token-file
  std::optional<std::string> publish_token;       // SSE_PUBLISH_TOKEN, as the environment holds it
};

// What loading or reloading had to say. Messages name files (and lines), never a secret.
struct access_report {
  std::vector<std::string> errors;    // a file (or SSE_PUBLISH_TOKEN) that cannot be used
  std::vector<std::string> warnings;  // usable, but worth saying (a short JWT secret)
};

enum class access_verdict { allowed, unauthorized, forbidden };

struct access_decision {
  access_verdict verdict = access_verdict::allowed;
  // Why not, for the 401/403 body and -v logs ("a token is required", "invalid token: expired",
  // "the token does not allow topic a"); empty when allowed. Never holds a token.
  std::string reason;

  bool allowed() const { return verdict == access_verdict::allowed; }
  int status() const;  // 200, 401 (send `WWW-Authenticate: Bearer` with it) or 403
};

class access_policy {
 public:
  // Reads every file config names. nullopt when any of them (or SSE_PUBLISH_TOKEN) cannot be
  // used; report says why, and warns about what is usable but weak.
  static std::optional<access_policy> load(access_config config, access_report& report);

  // A subscriber must present a token (--token-file or --jwt-secret-file given).
  bool subscribe_required() const;
  // POST publishes (publish tokens, or --jwt-secret-file whose tokens may carry `publish`);
  // otherwise POST stays 405.
  bool publishing_enabled() const;

  // May the holder of token (nullopt: none presented) open a stream of topics (empty: every
  // topic, a stream without a filter)? A token from --token-file allows every topic; a JWT allows
  // those of its `topics` claim; a publish token does not (403: the roles are kept apart).
  // Without subscribe_required(), everyone may. now: unix_now().
  access_decision check_subscribe(std::optional<std::string_view> token,
                                  std::vector<std::string> const& topics, std::int64_t now) const;

  // May the holder of token publish to topic ("" for the default topic)? A publish token may
  // publish anywhere; a JWT where its `publish` claim allows. A subscriber token is not enough
  // (403): the roles are kept apart.
  access_decision check_publish(std::optional<std::string_view> token, std::string_view topic,
                                std::int64_t now) const;
  // Whether decisions depend on the time (a JWT's exp): else `now` may be anything.
  bool uses_clock() const { return jwt_.has_value(); }
  // The same, with the token's digest taken from (and left in) memo.
  access_decision check_publish(std::optional<std::string_view> token, std::string_view topic,
                                std::int64_t now, digest_memo& memo) const;

  // SIGHUP: reads every file again. A file that fails keeps its previous content in force, and
  // report.errors says which and why; streams already open are not affected either way.
  access_report reload();

  std::size_t subscriber_tokens() const { return tokens_ ? tokens_->size() : 0; }
  std::size_t publish_tokens() const;

 private:
  access_policy() = default;
  // The answer to a subscriber whose token is neither a subscriber token nor a valid JWT.
  access_decision refused_subscriber(std::string_view token, std::string reason) const;
  // Loads what config_ names into this; a file that fails leaves its member unchanged.
  void read_files(access_report& report, bool reloading);

  access_config config_;
  std::optional<token_set> tokens_;        // --token-file
  std::optional<jwt_key> jwt_;             // --jwt-secret-file
  std::optional<token_set> publish_file_;  // --publish-token-file
  std::optional<token_set> publish_env_;   // SSE_PUBLISH_TOKEN
};

}  // namespace sse::serve

#endif
