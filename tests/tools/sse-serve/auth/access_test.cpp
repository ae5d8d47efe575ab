#include "auth/access.hpp"

#include <gtest/gtest.h>

#include "auth_test_support.hpp"

namespace sse::serve {
namespace {

using test::make_jwt;
using test::temp_dir;

constexpr std::int64_t now = 1700000000;
constexpr char secret[] = "a-jwt-secret-of-at-least-32-bytes!";
using topics = std::vector<std::string>;

access_policy load(access_config config) {
  access_report report;
  std::optional<access_policy> policy = access_policy::load(std::move(config), report);
  EXPECT_TRUE(report.errors.empty()) << report.errors.front();
  if (!policy) throw std::runtime_error("the policy did not load");
  return std::move(*policy);
}

TEST(Access, NothingConfiguredLetsEveryoneSubscribeAndNobodyPublish) {
  access_policy policy = load({});
  EXPECT_FALSE(policy.subscribe_required());
  EXPECT_FALSE(policy.publishing_enabled());
  EXPECT_TRUE(policy.check_subscribe(std::nullopt, {}, now).allowed());
  EXPECT_TRUE(policy.check_subscribe("whatever", {"a"}, now).allowed());
  access_decision d = policy.check_publish("whatever", "a", now);
  EXPECT_EQ(d.status(), 403);
  EXPECT_EQ(d.reason, "publishing is not enabled");
}

TEST(Access, TokenFileGuardsEveryTopic) {
  temp_dir dir;
  access_config config;
  config.token_file = dir.write("tokens", "good\n");
  access_policy policy = load(config);
  EXPECT_TRUE(policy.subscribe_required());
  EXPECT_FALSE(policy.publishing_enabled());
  EXPECT_EQ(policy.subscriber_tokens(), 1u);

  access_decision d = policy.check_subscribe(std::nullopt, {}, now);
  EXPECT_EQ(d.status(), 401);
  EXPECT_EQ(d.reason, "a token is required");
  EXPECT_EQ(policy.check_subscribe("", {}, now).reason, "a token is required");
  d = policy.check_subscribe("bad", {}, now);
  EXPECT_EQ(d.verdict, access_verdict::unauthorized);
  EXPECT_EQ(d.reason, "invalid token");
  EXPECT_TRUE(policy.check_subscribe("good", {}, now).allowed());
  EXPECT_TRUE(policy.check_subscribe("good", {"a", "b"}, now).allowed());
  EXPECT_EQ(policy.check_subscribe("good", {}, now).status(), 200);
}

TEST(Access, JwtTopicsGiveForbiddenBeyondThem) {
  temp_dir dir;
  access_config config;
  config.jwt_secret_file = dir.write("secret", std::string(secret) + "\n");
  access_policy policy = load(config);
  EXPECT_TRUE(policy.subscribe_required());
  EXPECT_TRUE(policy.publishing_enabled());  // a JWT's publish claim may allow it

  std::string jwt = make_jwt(R"({"topics":["a"],"exp":1700000060})", secret);
  EXPECT_TRUE(policy.check_subscribe(jwt, {"a"}, now).allowed());
  access_decision d = policy.check_subscribe(jwt, {"a", "b"}, now);
  EXPECT_EQ(d.status(), 403);
  EXPECT_EQ(d.reason, "the token does not allow topic b");
  d = policy.check_subscribe(jwt, {}, now);
  EXPECT_EQ(d.status(), 403);
  EXPECT_EQ(d.reason, "the token does not allow every topic; ask for its topics with ?topic=");
  EXPECT_EQ(policy.check_subscribe(jwt, {""}, now).reason,
            "the token does not allow the default topic");

  d = policy.check_subscribe(jwt, {"a"}, now + 60);
  EXPECT_EQ(d.status(), 401);
  EXPECT_EQ(d.reason, "invalid token: expired");
  EXPECT_EQ(policy.check_subscribe(make_jwt("{}", "wrong"), {"a"}, now).reason,
            "invalid token: bad signature");
  EXPECT_EQ(policy.check_subscribe("opaque", {"a"}, now).reason,
            "invalid token: malformed: not three dot-separated segments");
  EXPECT_TRUE(policy.check_subscribe(make_jwt(R"({"topics":["*"]})", secret), {}, now).allowed());
}

TEST(Access, JwtPublishClaimAllowsPublishingWithoutPublishTokens) {
  temp_dir dir;
  access_config config;
  config.jwt_secret_file = dir.write("secret", secret);
  access_policy policy = load(config);

  std::string ci = make_jwt(R"({"publish":["ci"]})", secret);
  EXPECT_TRUE(policy.check_publish(ci, "ci", now).allowed());
  access_decision d = policy.check_publish(ci, "prod", now);
  EXPECT_EQ(d.status(), 403);
  EXPECT_EQ(d.reason, "the token does not allow publishing to topic prod");
  EXPECT_EQ(policy.check_publish(ci, "", now).reason,
            "the token does not allow publishing to the default topic");
  EXPECT_EQ(policy.check_publish(make_jwt("{}", secret), "ci", now).status(), 403);
  EXPECT_EQ(policy.check_publish(make_jwt("{}", "wrong"), "ci", now).status(), 401);
  EXPECT_EQ(policy.check_publish(std::nullopt, "ci", now).status(), 401);
}

TEST(Access, PublishTokensFromFileAndEnvironment) {
  temp_dir dir;
  access_config config;
  config.publish_token_file = dir.write("publish", "# publishers\nfrom-file\n");
  config.publish_token = "  from-env \n";  // as `export SSE_PUBLISH_TOKEN=$(cat f)` may leave it
  access_policy policy = load(config);
  EXPECT_FALSE(policy.subscribe_required());
  EXPECT_TRUE(policy.publishing_enabled());
  EXPECT_EQ(policy.publish_tokens(), 2u);
  EXPECT_TRUE(policy.check_publish("from-file", "any", now).allowed());
  EXPECT_TRUE(policy.check_publish("from-env", "", now).allowed());
  access_decision d = policy.check_publish("other", "any", now);
  EXPECT_EQ(d.status(), 401);
  EXPECT_EQ(d.reason, "invalid token");

  config = {};
  config.publish_token = "only-env";
  policy = load(config);
  EXPECT_TRUE(policy.publishing_enabled());
  EXPECT_TRUE(policy.check_publish("only-env", "x", now).allowed());
}

TEST(Access, SubscribingAndPublishingAreSeparateRoles) {
  temp_dir dir;
  access_config config;
  config.token_file = dir.write("tokens", "reader\n");
  config.publish_token_file = dir.write("publish", "writer\n");
  config.jwt_secret_file = dir.write("secret", secret);
  access_policy policy = load(config);

  access_decision d = policy.check_publish("reader", "a", now);
  EXPECT_EQ(d.status(), 403);
  EXPECT_EQ(d.reason, "the token does not allow publishing");
  d = policy.check_subscribe("writer", {"a"}, now);
  EXPECT_EQ(d.status(), 403);
  EXPECT_EQ(d.reason, "the token may publish but not subscribe");
  EXPECT_TRUE(policy.check_subscribe("reader", {}, now).allowed());
  EXPECT_TRUE(policy.check_publish("writer", "a", now).allowed());
  // Both kinds of subscriber token work side by side.
  EXPECT_TRUE(
      policy.check_subscribe(make_jwt(R"({"topics":["a"]})", secret), {"a"}, now).allowed());
}

TEST(Access, LoadReportsEveryBadSource) {
  temp_dir dir;
  access_config config;
  config.token_file = dir.path("absent");
  config.publish_token_file = dir.write("publish", "# nothing yet\n");
  config.jwt_secret_file = dir.write("secret", "\n");
  config.publish_token = " \t";
  access_report report;
  EXPECT_FALSE(access_policy::load(config, report));
  ASSERT_EQ(report.errors.size(), 4u);
  EXPECT_EQ(report.errors[0], "cannot read " + dir.path("absent") + ": No such file or directory");
  EXPECT_EQ(report.errors[1], dir.path("publish") + " holds no tokens");
  EXPECT_EQ(report.errors[2], dir.path("secret") + " holds no secret");
  EXPECT_EQ(report.errors[3], "SSE_PUBLISH_TOKEN is set but empty");

  config = {};
  config.publish_token = "two words";
  report = {};
  EXPECT_FALSE(access_policy::load(config, report));
  ASSERT_EQ(report.errors.size(), 1u);
  EXPECT_EQ(report.errors[0], "SSE_PUBLISH_TOKEN cannot hold whitespace or control characters");
}

TEST(Access, AShortJwtSecretIsAWarning) {
  temp_dir dir;
  access_config config;
  config.jwt_secret_file = dir.write("secret", "short\n");
  access_report report;
  std::optional<access_policy> policy = access_policy::load(config, report);
  ASSERT_TRUE(policy);
  EXPECT_TRUE(report.errors.empty());
  ASSERT_EQ(report.warnings.size(), 1u);
  EXPECT_EQ(report.warnings[0],
            "the JWT secret in " + dir.path("secret") +
                " is shorter than 32 bytes, which RFC 7518 asks of an HS256 key");
  EXPECT_TRUE(policy->check_subscribe(make_jwt("{}", "short"), {}, now).allowed());
}

TEST(Access, ReloadReadsNewTokensAndKeepsOldOnesWhenAFileFails) {
  temp_dir dir;
  access_config config;
  config.token_file = dir.write("tokens", "first\n");
  config.jwt_secret_file = dir.write("secret", "old-secret-old-secret-old-secret!!");
  access_policy policy = load(config);
  std::string old_jwt = make_jwt("{}", "old-secret-old-secret-old-secret!!");
  std::string new_jwt = make_jwt("{}", "new-secret-new-secret-new-secret!!");
  EXPECT_TRUE(policy.check_subscribe("first", {}, now).allowed());

  dir.write("tokens", "second\n");
  dir.write("secret", "new-secret-new-secret-new-secret!!\n");
  access_report report = policy.reload();
  EXPECT_TRUE(report.errors.empty());
  EXPECT_FALSE(policy.check_subscribe("first", {}, now).allowed());
  EXPECT_TRUE(policy.check_subscribe("second", {}, now).allowed());
  EXPECT_FALSE(policy.check_subscribe(old_jwt, {}, now).allowed());
  EXPECT_TRUE(policy.check_subscribe(new_jwt, {}, now).allowed());

  // A bad line in one file and the other file gone: both keep what they had.
  dir.write("tokens", "third\nbad token\n");
  std::filesystem::remove(dir.path("secret"));
  report = policy.reload();
  ASSERT_EQ(report.errors.size(), 2u);
  EXPECT_EQ(report.errors[0], "a token cannot hold whitespace or control characters (" +
                                  dir.path("tokens") +
                                  " line 2); the tokens read before stay in force");
  EXPECT_EQ(report.errors[1], "cannot read " + dir.path("secret") +
                                  ": No such file or directory; the secret read before stays in "
                                  "force");
  EXPECT_TRUE(policy.check_subscribe("second", {}, now).allowed());
  EXPECT_FALSE(policy.check_subscribe("third", {}, now).allowed());
  EXPECT_TRUE(policy.check_subscribe(new_jwt, {}, now).allowed());

  // An emptied file is a failure too, not "nobody may subscribe".
  dir.write("tokens", "# all revoked?\n");
  report = policy.reload();
  ASSERT_EQ(report.errors.size(), 2u);
  EXPECT_TRUE(policy.check_subscribe("second", {}, now).allowed());
}

TEST(Access, NoMessageEverHoldsATokenOrTheSecret) {
  // Distinctive texts; every message the module can produce for these inputs is searched.
  std::string const token = "tok-7f3a9c";
  std::string const key = "key-b41d0e-key-b41d0e-key-b41d0e-key";
  temp_dir dir;
  std::vector<std::string> messages;
  auto collect = [&](access_report const& report) {
    messages.insert(messages.end(), report.errors.begin(), report.errors.end());
    messages.insert(messages.end(), report.warnings.begin(), report.warnings.end());
  };

  access_config bad;
  bad.token_file = dir.write("tokens", token + "\n" + token + " " + token + "\n");
  bad.publish_token_file = dir.write("publish", "\t" + token + "\x01" + "\n");
  bad.publish_token = token + " " + token;
  bad.jwt_secret_file = dir.write("secret", "");
  access_report report;
  EXPECT_FALSE(access_policy::load(bad, report));
  collect(report);

  access_config good;
  good.token_file = dir.write("tokens2", token + "\n");
  good.publish_token_file = dir.write("publish2", token + "-pub\n");
  good.publish_token = token + "-env";
  good.jwt_secret_file = dir.write("secret2", key.substr(0, 20) + "\n");  // short: a warning
  report = {};
  std::optional<access_policy> policy = access_policy::load(good, report);
  ASSERT_TRUE(policy);
  collect(report);

  std::vector<std::string> presented = {
      token + "x",
      token + "-pub",
      token,
      make_jwt(R"({"topics":["a"],"publish":["a"]})", key.substr(0, 20)),
      make_jwt(R"({"exp":1})", key.substr(0, 20)),
      make_jwt("{}", key),
      make_jwt("{}", key.substr(0, 20), R"({"alg":")" + token + "\"}"),
      make_jwt("{}", key.substr(0, 20), R"({"alg":")" + key + "\"}"),
      token + "." + token + "." + token,
  };
  for (std::string const& p : presented) {
    messages.push_back(policy->check_subscribe(p, {"b"}, now).reason);
    messages.push_back(policy->check_subscribe(p, {}, now).reason);
    messages.push_back(policy->check_publish(p, "b", now).reason);
  }
  dir.write("tokens2", token + " x\n");
  dir.write("secret2", "");
  collect(policy->reload());

  ASSERT_GT(messages.size(), 30u);
  for (std::string const& m : messages) {
    EXPECT_EQ(m.find("7f3a9c"), std::string::npos) << m;
    EXPECT_EQ(m.find("b41d0e"), std::string::npos) << m;
  }
}

}  // namespace
}  // namespace sse::serve
