#include "auth/jwt.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <nlohmann/json.hpp>

#include "auth/base64url.hpp"
#include "auth/digest.hpp"
#include "auth/secret_file.hpp"

namespace sse::serve {
namespace {

// A secret file is a key, not a list: a few KiB at most in practice.
constexpr std::size_t max_secret_file_bytes = std::size_t{1} << 20;

bool lists(std::vector<std::string> const& names, std::string_view name) {
  return std::any_of(names.begin(), names.end(),
                     [&](std::string const& n) { return n == "*" || n == name; });
}

jwt_result refuse(std::string reason) {
  return jwt_result{std::nullopt, std::move(reason)};
}

// "unsupported alg X" names X only when it is one of the JWA names (RFC 7518, RFC 8037), in any
// case: the header is the sender's text, and a message must not echo whatever it holds.
std::string unsupported_alg(std::string const& alg) {
  static constexpr std::string_view known[] = {"none",  "HS256", "HS384", "HS512", "RS256",
                                               "RS384", "RS512", "ES256", "ES384", "ES512",
                                               "PS256", "PS384", "PS512", "EdDSA", "ES256K"};
  for (std::string_view name : known) {
    bool same = name.size() == alg.size() &&
                std::equal(name.begin(), name.end(), alg.begin(), [](char a, char b) {
                  return std::tolower(static_cast<unsigned char>(a)) ==
                         std::tolower(static_cast<unsigned char>(b));
                });
    if (same) return "unsupported alg " + alg;
  }
  return "unsupported alg";
}

// A decoded segment parsed as a JSON object, or a discarded value.
nlohmann::json parse_object(std::optional<std::string> const& bytes) {
  if (!bytes) return nlohmann::json(nlohmann::json::value_t::discarded);
  nlohmann::json value = nlohmann::json::parse(*bytes, nullptr, /*allow_exceptions=*/false);
  if (!value.is_object()) return nlohmann::json(nlohmann::json::value_t::discarded);
  return value;
}

// Claim `name` as a list of topic names: nullopt when absent, ok set to false when not a list of
// strings.
std::optional<std::vector<std::string>> topic_list(nlohmann::json const& payload, char const* name,
                                                   bool& ok) {
  auto it = payload.find(name);
  if (it == payload.end()) return std::nullopt;
  if (!it->is_array()) {
    ok = false;
    return std::nullopt;
  }
  std::vector<std::string> names;
  for (nlohmann::json const& item : *it) {
    if (!item.is_string()) {
      ok = false;
      return std::nullopt;
    }
    names.push_back(item.get<std::string>());
  }
  return names;
}

}  // namespace

bool jwt_claims::may_subscribe(std::string_view topic) const {
  return !topics || lists(*topics, topic);
}

bool jwt_claims::may_subscribe_all() const {
  return !topics || std::find(topics->begin(), topics->end(), "*") != topics->end();
}

bool jwt_claims::may_publish(std::string_view topic) const {
  return lists(publish, topic);
}

std::optional<jwt_key> jwt_key::load(std::string const& path, std::string& error) {
  std::optional<std::string> secret = read_secret_file(path, max_secret_file_bytes, error);
  if (!secret) return std::nullopt;
  // Exactly one line break: the rest of the bytes are the key, whatever they are.
  if (!secret->empty() && secret->back() == '\n') {
    secret->pop_back();
    if (!secret->empty() && secret->back() == '\r') secret->pop_back();
  }
  if (secret->empty()) {
    error = path + " holds no secret";
    return std::nullopt;
  }
  return jwt_key(std::move(*secret));
}

jwt_result jwt_key::verify(std::string_view token, std::int64_t now) const {
  if (token.size() > max_jwt_bytes) {
    return refuse("malformed: longer than " + std::to_string(max_jwt_bytes) + " bytes");
  }
  if (std::count(token.begin(), token.end(), '.') != 2) {
    return refuse("malformed: not three dot-separated segments");
  }
  std::size_t first = token.find('.');
  std::size_t second = token.find('.', first + 1);
  std::string_view header_part = token.substr(0, first);
  std::string_view payload_part = token.substr(first + 1, second - first - 1);
  std::string_view signature_part = token.substr(second + 1);

  std::optional<std::string> header_bytes = base64url_decode(header_part);
  if (!header_bytes) return refuse("malformed: the header is not base64url");
  nlohmann::json header = parse_object(header_bytes);
  if (header.is_discarded()) return refuse("malformed: the header is not a JSON object");
  // crit names extensions the recipient must understand (RFC 7515 §4.1.11); we know none.
  if (header.contains("crit")) return refuse("unsupported header crit");
  auto alg = header.find("alg");
  if (alg == header.end()) return refuse("malformed: the header has no alg");
  if (!alg->is_string()) return refuse("malformed: alg is not a string");
  // Only HS256: accepting what the token says it is ("none", or RS256 checked with our secret
  // as a public key) is the classic JWT forgery.
  if (alg->get_ref<std::string const&>() != "HS256") {
    return refuse(unsupported_alg(alg->get_ref<std::string const&>()));
  }

  std::optional<std::string> signature = base64url_decode(signature_part);
  if (!signature) return refuse("malformed: the signature is not base64url");
  digest expected = hmac_sha256(secret_, token.substr(0, second));
  digest presented{};
  // The length of an HS256 signature is public, so refusing another length early leaks nothing.
  if (signature->size() != presented.size()) return refuse("bad signature");
  std::copy(signature->begin(), signature->end(), presented.begin());
  if (!same_digest(expected, presented)) return refuse("bad signature");

  // Only now is the payload trusted enough to parse.
  nlohmann::json payload = parse_object(base64url_decode(payload_part));
  if (payload.is_discarded()) return refuse("malformed: the payload is not a JSON object");

  auto const now_seconds = static_cast<double>(now);
  auto const leeway = static_cast<double>(jwt_leeway_seconds);
  if (auto exp = payload.find("exp"); exp != payload.end()) {
    if (!exp->is_number()) return refuse("malformed: exp is not a number");
    if (now_seconds >= exp->get<double>() + leeway) return refuse("expired");
  }
  if (auto nbf = payload.find("nbf"); nbf != payload.end()) {
    if (!nbf->is_number()) return refuse("malformed: nbf is not a number");
    if (now_seconds < nbf->get<double>() - leeway) return refuse("not yet valid");
  }

  jwt_claims claims;
  bool ok = true;
  claims.topics = topic_list(payload, "topics", ok);
  if (!ok) return refuse("malformed: topics is not an array of strings");
  claims.publish = topic_list(payload, "publish", ok).value_or(std::vector<std::string>{});
  if (!ok) return refuse("malformed: publish is not an array of strings");
  return jwt_result{std::move(claims), std::string()};
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace sse::serve
