#include "auth/access.hpp"

#include <utility>

namespace sse::serve {
namespace {

access_decision allow() {
  return {};
}
access_decision unauthorized(std::string reason) {
  return {access_verdict::unauthorized, std::move(reason)};
}
access_decision forbidden(std::string reason) {
  return {access_verdict::forbidden, std::move(reason)};
}

std::string topic_for_message(std::string_view topic) {
  return topic.empty() ? "the default topic" : "topic " + std::string(topic);
}

}  // namespace

int access_decision::status() const {
  switch (verdict) {
    case access_verdict::allowed:
      return 200;
    case access_verdict::unauthorized:
      return 401;
    case access_verdict::forbidden:
      return 403;
  }
  return 500;
}

std::optional<access_policy> access_policy::load(access_config config, access_report& report) {
  access_policy policy;
  policy.config_ = std::move(config);
  std::size_t errors_before = report.errors.size();
  policy.read_files(report, /*reloading=*/false);

  // The environment does not change while we run, so it is read here only.
  if (policy.config_.publish_token) {
    std::string_view token = trim_whitespace(*policy.config_.publish_token);
    if (token.empty()) {
      report.errors.push_back("SSE_PUBLISH_TOKEN is set but empty");
    } else if (!valid_token(token)) {
      report.errors.push_back("SSE_PUBLISH_TOKEN cannot hold whitespace or control characters");
    } else {
      policy.publish_env_.emplace();
      policy.publish_env_->add(token);
    }
    // Nothing keeps a copy of the text itself: only its digest.
    policy.config_.publish_token.reset();
  }
  if (report.errors.size() != errors_before) return std::nullopt;
  return policy;
}

void access_policy::read_files(access_report& report, bool reloading) {
  std::string const keeping = reloading ? "; the tokens read before stay in force" : "";
  std::string error;
  if (config_.token_file) {
    if (auto set = token_set::load(*config_.token_file, error)) {
      tokens_ = std::move(set);
    } else {
      report.errors.push_back(error + keeping);
    }
  }
  if (config_.publish_token_file) {
    if (auto set = token_set::load(*config_.publish_token_file, error)) {
      publish_file_ = std::move(set);
    } else {
      report.errors.push_back(error + keeping);
    }
  }
  if (config_.jwt_secret_file) {
    if (auto key = jwt_key::load(*config_.jwt_secret_file, error)) {
      if (key->short_secret()) {
        report.warnings.push_back("the JWT secret in " + *config_.jwt_secret_file +
                                  " is shorter than " + std::to_string(min_jwt_secret_bytes) +
                                  " bytes, which RFC 7518 asks of an HS256 key");
      }
      jwt_ = std::move(key);
    } else {
      report.errors.push_back(error + (reloading ? "; the secret read before stays in force" : ""));
    }
  }
}

access_report access_policy::reload() {
  access_report report;
  read_files(report, /*reloading=*/true);
  return report;
}

bool access_policy::subscribe_required() const {
  return config_.token_file.has_value() || config_.jwt_secret_file.has_value();
}

bool access_policy::publishing_enabled() const {
  return config_.publish_token_file.has_value() || publish_env_.has_value() ||
         config_.jwt_secret_file.has_value();
}

std::size_t access_policy::publish_tokens() const {
  return (publish_file_ ? publish_file_->size() : 0) + (publish_env_ ? publish_env_->size() : 0);
}

access_decision access_policy::refused_subscriber(std::string_view token,
                                                  std::string reason) const {
  // A publisher that mistook the role is better told so than "invalid token".
  bool in_file = publish_file_ && publish_file_->contains(token);
  bool in_env = publish_env_ && publish_env_->contains(token);
  if (in_file || in_env) return forbidden("the token may publish but not subscribe");
  return unauthorized(std::move(reason));
}

access_decision access_policy::check_subscribe(std::optional<std::string_view> token,
                                               std::vector<std::string> const& topics,
                                               std::int64_t now) const {
  if (!subscribe_required()) return allow();
  if (!token || token->empty()) return unauthorized("a token is required");
  if (tokens_ && tokens_->contains(*token)) return allow();
  if (!jwt_) return refused_subscriber(*token, "invalid token");

  jwt_result jwt = jwt_->verify(*token, now);
  if (!jwt.claims) return refused_subscriber(*token, "invalid token: " + jwt.error);
  if (topics.empty()) {
    if (jwt.claims->may_subscribe_all()) return allow();
    return forbidden("the token does not allow every topic; ask for its topics with ?topic=");
  }
  for (std::string const& topic : topics) {
    if (!jwt.claims->may_subscribe(topic)) {
      return forbidden("the token does not allow " + topic_for_message(topic));
    }
  }
  return allow();
}

access_decision access_policy::check_publish(std::optional<std::string_view> token,
                                             std::string_view topic, std::int64_t now) const {
  digest_memo memo;
  return check_publish(token, topic, now, memo);
}

access_decision access_policy::check_publish(std::optional<std::string_view> token,
                                             std::string_view topic, std::int64_t now,
                                             digest_memo& memo) const {
  if (!publishing_enabled()) return forbidden("publishing is not enabled");
  if (!token || token->empty()) return unauthorized("a token is required");
  // Both sets are always asked, so the time taken does not say which one holds the token; one
  // digest serves both.
  digest const& presented = memo.of(*token);
  bool in_file = publish_file_ && publish_file_->contains_digest(presented);
  bool in_env = publish_env_ && publish_env_->contains_digest(presented);
  if (in_file || in_env) return allow();

  jwt_result jwt;
  if (jwt_) {
    jwt = jwt_->verify(*token, now);
    if (jwt.claims) {
      if (jwt.claims->may_publish(topic)) return allow();
      return forbidden("the token does not allow publishing to " + topic_for_message(topic));
    }
  }
  // A subscriber token is better told "not for publishing" than "malformed JWT".
  if (tokens_ && tokens_->contains_digest(presented))
    return forbidden("the token does not allow publishing");
  if (jwt_) return unauthorized("invalid token: " + jwt.error);
  return unauthorized("invalid token");
}

}  // namespace sse::serve
