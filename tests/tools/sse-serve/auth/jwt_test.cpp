#include "auth/jwt.hpp"

#include <gtest/gtest.h>

#include "auth_test_support.hpp"

namespace sse::serve {
namespace {

using test::base64url;
using test::make_jwt;

constexpr char secret[] = "0123456789abcdef0123456789abcdef-key";
constexpr std::int64_t now = 1700000000;

jwt_result verify(std::string const& token) {
  return jwt_key(secret).verify(token, now);
}

std::string error_of(std::string const& token) {
  jwt_result r = verify(token);
  EXPECT_FALSE(r.claims) << token;
  return r.error;
}

TEST(Jwt, AGoodTokenWithoutClaimsAllowsEveryTopicAndNoPublishing) {
  jwt_result r = verify(make_jwt(R"({"sub":"someone"})", secret));
  ASSERT_TRUE(r.claims) << r.error;
  EXPECT_EQ(r.claims->topics, std::nullopt);
  EXPECT_TRUE(r.claims->may_subscribe_all());
  EXPECT_TRUE(r.claims->may_subscribe("a"));
  EXPECT_TRUE(r.claims->may_subscribe(""));
  EXPECT_TRUE(r.claims->publish.empty());
  EXPECT_FALSE(r.claims->may_publish("a"));
  EXPECT_FALSE(r.claims->may_publish(""));
}

TEST(Jwt, ExpIsCheckedWithoutLeeway) {
  EXPECT_TRUE(verify(make_jwt(R"({"exp":1700000001})", secret)).claims);
  EXPECT_EQ(error_of(make_jwt(R"({"exp":1700000000})", secret)), "expired");
  EXPECT_EQ(error_of(make_jwt(R"({"exp":1600000000})", secret)), "expired");
  EXPECT_TRUE(verify(make_jwt(R"({"exp":1700000000.5})", secret)).claims);  // NumericDate
  EXPECT_EQ(error_of(make_jwt(R"({"exp":"tomorrow"})", secret)), "malformed: exp is not a number");
}

TEST(Jwt, NbfInTheFutureIsNotYetValid) {
  EXPECT_EQ(error_of(make_jwt(R"({"nbf":1700000001})", secret)), "not yet valid");
  EXPECT_TRUE(verify(make_jwt(R"({"nbf":1700000000,"exp":1700000060})", secret)).claims);
  EXPECT_EQ(error_of(make_jwt(R"({"nbf":null})", secret)), "malformed: nbf is not a number");
}

TEST(Jwt, AWrongSignatureIsRefused) {
  EXPECT_EQ(error_of(make_jwt("{}", "another secret")), "bad signature");
  // Someone else's payload under our header and signature.
  std::string good = make_jwt(R"({"topics":["a"]})", secret);
  std::size_t dot = good.find('.'), last = good.rfind('.');
  std::string spliced =
      good.substr(0, dot + 1) + base64url(R"({"topics":["*"]})") + good.substr(last);
  EXPECT_EQ(error_of(spliced), "bad signature");
  EXPECT_EQ(error_of(good.substr(0, good.size() - 3)), "bad signature");  // a short signature
  EXPECT_EQ(error_of(good.substr(0, last + 1)), "bad signature");         // none at all
}

TEST(Jwt, OnlyHs256IsAccepted) {
  std::string payload = base64url(R"({"topics":["*"]})");
  EXPECT_EQ(error_of(base64url(R"({"alg":"none"})") + "." + payload + "."), "unsupported alg none");
  EXPECT_EQ(error_of(make_jwt("{}", secret, R"({"alg":"none"})")), "unsupported alg none");
  EXPECT_EQ(error_of(make_jwt("{}", secret, R"({"alg":"RS256"})")), "unsupported alg RS256");
  EXPECT_EQ(error_of(make_jwt("{}", secret, R"({"alg":"hs256"})")), "unsupported alg hs256");
  EXPECT_EQ(error_of(make_jwt("{}", secret, R"({"alg":"HS512"})")), "unsupported alg HS512");
  EXPECT_EQ(error_of(make_jwt("{}", secret, R"({"typ":"JWT"})")),
            "malformed: the header has no alg");
  EXPECT_EQ(error_of(make_jwt("{}", secret, R"({"alg":256})")), "malformed: alg is not a string");
  EXPECT_EQ(error_of(make_jwt("{}", secret, R"({"alg":"HS256","crit":["exp"]})")),
            "unsupported header crit");
  // What the sender put in alg reaches the message only when it is an algorithm's name.
  EXPECT_EQ(error_of(make_jwt("{}", secret, R"({"alg":"<b>\"x\n"})")), "unsupported alg");
  EXPECT_EQ(error_of(make_jwt("{}", secret, R"({"alg":"HS256 "})")), "unsupported alg");
  EXPECT_EQ(error_of(make_jwt("{}", secret, R"({"alg":"NONE"})")), "unsupported alg NONE");
}

TEST(Jwt, MalformedTokensSayWhat) {
  std::string good = make_jwt("{}", secret);
  std::string header = good.substr(0, good.find('.'));
  EXPECT_EQ(error_of(""), "malformed: not three dot-separated segments");
  EXPECT_EQ(error_of("opaque-token"), "malformed: not three dot-separated segments");
  EXPECT_EQ(error_of("a.b"), "malformed: not three dot-separated segments");
  EXPECT_EQ(error_of(good + ".x.y"), "malformed: not three dot-separated segments");  // JWE-like
  EXPECT_EQ(error_of("e30=." + good.substr(good.find('.') + 1)),
            "malformed: the header is not base64url");
  EXPECT_EQ(error_of(base64url("not json") + good.substr(good.find('.'))),
            "malformed: the header is not a JSON object");
  EXPECT_EQ(error_of(base64url("[1]") + good.substr(good.find('.'))),
            "malformed: the header is not a JSON object");
  EXPECT_EQ(error_of(good.substr(0, good.rfind('.')) + ".a+b/"),
            "malformed: the signature is not base64url");
  // A payload that is not base64url or not an object, correctly signed: the signature is
  // checked first, then the payload parsed.
  std::string input = header + ".e30=";
  EXPECT_EQ(error_of(input + "." + base64url(test::hs256(secret, input))),
            "malformed: the payload is not a JSON object");
  EXPECT_EQ(error_of(make_jwt("[]", secret)), "malformed: the payload is not a JSON object");
  EXPECT_EQ(error_of(make_jwt("{\"topics\":", secret)),
            "malformed: the payload is not a JSON object");
  EXPECT_EQ(error_of(make_jwt("\"{}\"", secret)), "malformed: the payload is not a JSON object");
  EXPECT_EQ(error_of(std::string(max_jwt_bytes + 1, 'a')),
            "malformed: longer than " + std::to_string(max_jwt_bytes) + " bytes");
}

TEST(Jwt, DeepNestingIsRefusedWithoutTrouble) {
  // Parsed before the signature is checked, so anyone can send it.
  std::string deep = std::string(5000, '[') + std::string(5000, ']');
  EXPECT_EQ(error_of(base64url(deep) + "." + base64url("{}") + ".x"),
            "malformed: the header is not a JSON object");
}

TEST(Jwt, TopicsClaimLimitsSubscribing) {
  jwt_result r = verify(make_jwt(R"({"topics":["a","b"]})", secret));
  ASSERT_TRUE(r.claims) << r.error;
  EXPECT_TRUE(r.claims->may_subscribe("a"));
  EXPECT_TRUE(r.claims->may_subscribe("b"));
  EXPECT_FALSE(r.claims->may_subscribe("c"));
  EXPECT_FALSE(r.claims->may_subscribe(""));
  EXPECT_FALSE(r.claims->may_subscribe_all());

  r = verify(make_jwt(R"({"topics":["a","*"]})", secret));
  ASSERT_TRUE(r.claims) << r.error;
  EXPECT_TRUE(r.claims->may_subscribe("anything"));
  EXPECT_TRUE(r.claims->may_subscribe_all());

  r = verify(make_jwt(R"({"topics":[]})", secret));
  ASSERT_TRUE(r.claims) << r.error;
  EXPECT_FALSE(r.claims->may_subscribe("a"));
  EXPECT_FALSE(r.claims->may_subscribe_all());

  EXPECT_EQ(error_of(make_jwt(R"({"topics":"a"})", secret)),
            "malformed: topics is not an array of strings");
  EXPECT_EQ(error_of(make_jwt(R"({"topics":["a",1]})", secret)),
            "malformed: topics is not an array of strings");
}

TEST(Jwt, PublishClaimAllowsPublishing) {
  jwt_result r = verify(make_jwt(R"({"publish":["ci"],"topics":["ci"]})", secret));
  ASSERT_TRUE(r.claims) << r.error;
  EXPECT_TRUE(r.claims->may_publish("ci"));
  EXPECT_FALSE(r.claims->may_publish("prod"));
  EXPECT_FALSE(r.claims->may_publish(""));

  r = verify(make_jwt(R"({"publish":["*"]})", secret));
  ASSERT_TRUE(r.claims) << r.error;
  EXPECT_TRUE(r.claims->may_publish("prod"));
  EXPECT_TRUE(r.claims->may_publish(""));

  EXPECT_EQ(error_of(make_jwt(R"({"publish":{"ci":true}})", secret)),
            "malformed: publish is not an array of strings");
}

TEST(JwtKey, OneTrailingLineBreakIsNotPartOfTheSecret) {
  test::temp_dir dir;
  std::string token = make_jwt(R"({"exp":1700000100})", secret);
  std::string const s = secret;
  for (std::string content : {s, s + "\n", s + "\r\n"}) {
    std::string error;
    std::optional<jwt_key> key = jwt_key::load(dir.write("secret", content), error);
    ASSERT_TRUE(key) << error;
    EXPECT_TRUE(key->verify(token, now).claims) << content.size();
  }
  // Only one: a secret that really ends in a line break stays that way.
  std::string error;
  std::optional<jwt_key> key = jwt_key::load(dir.write("secret", s + "\n\n"), error);
  ASSERT_TRUE(key) << error;
  EXPECT_EQ(key->verify(token, now).error, "bad signature");
  EXPECT_TRUE(key->verify(make_jwt("{}", s + "\n"), now).claims);
  // Inner and leading whitespace is the secret's own.
  key = jwt_key::load(dir.write("secret", " " + s + "\n"), error);
  ASSERT_TRUE(key) << error;
  EXPECT_EQ(key->verify(token, now).error, "bad signature");
}

TEST(JwtKey, EmptyMissingAndShortSecrets) {
  test::temp_dir dir;
  std::string error;
  for (char const* content : {"", "\n", "\r\n"}) {
    std::string path = dir.write("secret", content);
    EXPECT_FALSE(jwt_key::load(path, error));
    EXPECT_EQ(error, path + " holds no secret");
  }
  EXPECT_FALSE(jwt_key::load(dir.path("absent"), error));
  EXPECT_EQ(error, "cannot read " + dir.path("absent") + ": No such file or directory");

  std::optional<jwt_key> key = jwt_key::load(dir.write("secret", "short\n"), error);
  ASSERT_TRUE(key) << error;
  EXPECT_TRUE(key->short_secret());
  EXPECT_TRUE(key->verify(make_jwt("{}", "short"), now).claims);
  EXPECT_FALSE(jwt_key(std::string(32, 'k')).short_secret());
}

TEST(Jwt, UnixNowIsNow) {
  std::int64_t t = unix_now();
  EXPECT_GT(t, 1700000000);  // after November 2023
  jwt_key key(secret);
  EXPECT_TRUE(key.verify(make_jwt("{\"exp\":" + std::to_string(t + 3600) + "}", secret), t).claims);
}

}  // namespace
}  // namespace sse::serve
