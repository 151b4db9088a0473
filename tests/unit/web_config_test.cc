#include "exporter/web_config.h"

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "exporter/basic_auth.h"
#include "exporter/tls_material.h"
#include "exporter/web_security.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace strata {
namespace {

using ::testing::HasSubstr;

// htpasswd -nbBC 10 "" secret
constexpr char kSecretHash[] = "$2y$10$olpZjNl0QJQQyM0b22H8oe9V3.oAcryksI78Y9fPN9w3m43ErEY2O";

TEST(WebConfigTest, EmptyFileIsPlainHttpWithoutAuthentication) {
  absl::StatusOr<WebConfig> config = ParseWebConfig("", "/etc");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_FALSE(config->tls_enabled);
  EXPECT_TRUE(config->basic_auth_users.empty());
}

TEST(WebConfigTest, ReadsNodeExporterExample) {
  absl::StatusOr<WebConfig> config = ParseWebConfig(R"(
tls_server_config:
  cert_file: server.crt
  key_file: /abs/server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca.crt
  min_version: TLS13
  max_version: TLS13
  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]
  prefer_server_cipher_suites: false
  curve_preferences: [X25519, CurveP256]
http_server_config:
  http2: false
  headers:
    X-Frame-Options: deny
    Strict-Transport-Security: max-age=31536000
basic_auth_users:
  prometheus: $2y$10$olpZjNl0QJQQyM0b22H8oe9V3.oAcryksI78Y9fPN9w3m43ErEY2O
rate_limit:
  interval: 1s
  burst: 5
)",
                                                    "/etc/strata");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->tls_enabled);
  EXPECT_EQ(config->tls.cert_file, "/etc/strata/server.crt");
  EXPECT_EQ(config->tls.key_file, "/abs/server.key");
  EXPECT_EQ(config->tls.client_ca_file, "/etc/strata/ca.crt");
  EXPECT_EQ(config->tls.client_auth, ClientAuth::kRequireAndVerifyClientCert);
  EXPECT_EQ(config->tls.min_version, TlsVersion::kTls13);
  EXPECT_FALSE(config->tls.prefer_server_cipher_suites);
  EXPECT_THAT(config->tls.curve_preferences, ::testing::ElementsAre("X25519", "CurveP256"));
  EXPECT_FALSE(config->http2);
  EXPECT_EQ(config->headers.at("X-Frame-Options"), "deny");
  EXPECT_EQ(config->basic_auth_users.at("prometheus"), kSecretHash);
  EXPECT_EQ(config->rate_limit_interval, absl::Seconds(1));
  EXPECT_EQ(config->rate_limit_burst, 5);
}

TEST(WebConfigTest, OldRequireClientCertNameStillWorks) {
  absl::StatusOr<WebConfig> config = ParseWebConfig(R"(
tls_server_config: {cert_file: a, key_file: b, client_auth_type: RequireClientCert}
)",
                                                    ".");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->tls.client_auth, ClientAuth::kRequireAnyClientCert);
}

struct BadConfig {
  const char* name;
  const char* yaml;
  const char* error;
};

class WebConfigRefusesTest : public ::testing::TestWithParam<BadConfig> {};

TEST_P(WebConfigRefusesTest, WithAMessageNamingTheProblem) {
  absl::StatusOr<WebConfig> config = ParseWebConfig(GetParam().yaml, "/etc");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), HasSubstr(GetParam().error));
}

INSTANTIATE_TEST_SUITE_P(
    Table, WebConfigRefusesTest,
    ::testing::Values(
        BadConfig{"UnknownTopKey", "tls_config: {}\n", "unknown key \"tls_config\""},
        BadConfig{"UnknownTlsKey", "tls_server_config: {cert_file: a, key_file: b, foo: 1}\n",
                  "unknown key \"foo\""},
        BadConfig{"RepeatedKey", "basic_auth_users: {}\nbasic_auth_users: {}\n", "repeated"},
        BadConfig{"NotYaml", "tls_server_config: [\n", "not valid YAML"},
        BadConfig{"NotAMap", "- a\n", "YAML map"},
        BadConfig{"CertWithoutKey", "tls_server_config: {cert_file: a}\n",
                  "missing one of key or key_file"},
        BadConfig{"KeyWithoutCert", "tls_server_config: {key_file: a}\n",
                  "missing one of cert or cert_file"},
        BadConfig{"UnknownClientAuth",
                  "tls_server_config: {cert_file: a, key_file: b, client_auth_type: Maybe}\n",
                  "unknown value \"Maybe\""},
        BadConfig{"CaWithoutClientAuth",
                  "tls_server_config: {cert_file: a, key_file: b, client_ca_file: c}\n",
                  "without a client_auth_type"},
        BadConfig{"VerifyWithoutCa",
                  "tls_server_config: {cert_file: a, key_file: b, "
                  "client_auth_type: RequireAndVerifyClientCert}\n",
                  "needs client_ca_file"},
        BadConfig{"SansWithoutRequiredCert",
                  "tls_server_config: {cert_file: a, key_file: b, client_ca_file: c, "
                  "client_auth_type: VerifyClientCertIfGiven, client_allowed_sans: [x]}\n",
                  "client_allowed_sans"},
        BadConfig{"UnknownVersion",
                  "tls_server_config: {cert_file: a, key_file: b, "
                  "min_version: SSL3}\n",
                  "unknown TLS version \"SSL3\""},
        BadConfig{"MinAboveMax",
                  "tls_server_config: {cert_file: a, key_file: b, "
                  "min_version: TLS13, max_version: TLS12}\n",
                  "min_version is above max_version"},
        BadConfig{"UnknownCipher",
                  "tls_server_config: {cert_file: a, key_file: b, "
                  "cipher_suites: [TLS_RSA_WITH_RC4_128_SHA]}\n",
                  "unknown cipher suite"},
        BadConfig{"UnknownCurve",
                  "tls_server_config: {cert_file: a, key_file: b, "
                  "curve_preferences: [CurveP224]}\n",
                  "unknown curve"},
        BadConfig{"HeaderNotAllowed", "http_server_config: {headers: {Server: strata}}\n",
                  "HTTP header \"Server\" can not be configured"},
        BadConfig{"HeaderValueNotAllowed",
                  "http_server_config: {headers: {X-Frame-Options: allow}}\n",
                  "invalid value for X-Frame-Options"},
        BadConfig{"ContentTypeOptions",
                  "http_server_config: {headers: {X-Content-Type-Options: sniff}}\n",
                  "invalid value for X-Content-Type-Options"},
        BadConfig{"Http2NotBool", "http_server_config: {http2: maybe}\n", "true or false"},
        BadConfig{"PlainPassword", "basic_auth_users: {alice: secret}\n", "not a bcrypt hash"},
        BadConfig{"ShortHash", "basic_auth_users: {alice: $2y$10$abc}\n", "not a bcrypt hash"},
        BadConfig{"UsersNotAMap", "basic_auth_users: [alice]\n", "must be a map"},
        BadConfig{"RateLimitNotDuration", "rate_limit: {interval: soon, burst: 1}\n",
                  "not a duration"}),
    [](const auto& info) { return std::string(info.param.name); });

// yaml-cpp recurses once per level and buffers ahead through "[": a file
// written deep (by mistake or not) used to overflow the stack on SIGHUP.
TEST(WebConfigTest, RefusesDeepOrHugeYamlInsteadOfCrashing) {
  const std::string deep_block = [] {
    std::string yaml;
    for (int level = 0; level < 100000; ++level) yaml += std::string(level % 64, ' ') + "a:\n";
    return yaml;
  }();
  for (const std::string& yaml :
       {std::string(200000, '['), "basic_auth_users: " + std::string(50000, '{'), deep_block}) {
    absl::StatusOr<WebConfig> config = ParseWebConfig(yaml, "/etc");
    ASSERT_FALSE(config.ok());
    EXPECT_THAT(config.status().message(), HasSubstr("refused: ")) << yaml.substr(0, 40);
  }
  std::string many_users = "basic_auth_users:\n";
  for (int user = 0; user < 20000; ++user) {
    absl::StrAppend(&many_users, "  u", user, ": ", kSecretHash, "\n");
  }
  absl::StatusOr<WebConfig> config = ParseWebConfig(many_users, "/etc");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), HasSubstr("more than 20000 YAML nodes"));
}

TEST(GnuTlsPriorityTest, MapsVersionsCiphersAndCurves) {
  TlsServerConfig config;
  config.min_version = TlsVersion::kTls12;
  config.max_version = TlsVersion::kTls13;
  config.cipher_suites = {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                          "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"};
  config.curve_preferences = {"X25519", "CurveP384"};
  EXPECT_EQ(GnuTlsPriority(config),
            "NORMAL:-RSA:-DHE-RSA:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:%SERVER_PRECEDENCE:"
            "-KX-ALL:+ECDHE-RSA:-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:-MAC-ALL:+AEAD:"
            "-GROUP-ALL:+GROUP-X25519:+GROUP-SECP384R1");
}

TEST(BasicAuthTest, ParsesTheAuthorizationHeader) {
  std::string user, password;
  ASSERT_TRUE(ParseBasicAuthorization("Basic YWxpY2U6czNjcjN0Om9r", user, password));
  EXPECT_EQ(user, "alice");
  EXPECT_EQ(password, "s3cr3t:ok");  // only the first colon separates
  EXPECT_TRUE(ParseBasicAuthorization("basic   YWxpY2U6", user, password));
  EXPECT_EQ(password, "");
  EXPECT_FALSE(ParseBasicAuthorization("Bearer YWxpY2U6czNjcjN0", user, password));
  EXPECT_FALSE(ParseBasicAuthorization("Basic !!!", user, password));
  EXPECT_FALSE(ParseBasicAuthorization("Basic YWxpY2U=", user, password));  // no colon
  EXPECT_FALSE(ParseBasicAuthorization("", user, password));
}

TEST(BasicAuthTest, ConstantTimeEqualsComparesWholeStrings) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "ab"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
}

std::string Basic(const std::string& user, const std::string& password) {
  std::string encoded;
  absl::Base64Escape(user + ":" + password, &encoded);
  return "Basic " + encoded;
}

TEST(BasicAuthTest, AllowsOnlyTheRightPasswordOfAKnownUser) {
  auto auth = BasicAuthenticator::Create({{"alice", kSecretHash}});
  ASSERT_TRUE(auth.ok()) << auth.status();
  EXPECT_TRUE((*auth)->Allows(Basic("alice", "secret")));
  EXPECT_TRUE((*auth)->Allows(Basic("alice", "secret")));  // from the cache
  EXPECT_FALSE((*auth)->Allows(Basic("alice", "Secret")));
  EXPECT_FALSE((*auth)->Allows(Basic("bob", "secret")));
  EXPECT_FALSE((*auth)->Allows(Basic("alice", std::string("secret\0x", 8))));
  EXPECT_FALSE((*auth)->Allows(""));
}

TEST(BasicAuthTest, CachedCredentialsSkipBcrypt) {
  auto auth = BasicAuthenticator::Create({{"alice", kSecretHash}});
  ASSERT_TRUE(auth.ok());
  ASSERT_TRUE((*auth)->Allows(Basic("alice", "secret")));
  // bcrypt at cost 10 takes tens of milliseconds; a hundred cached checks must not.
  const absl::Time start = absl::Now();
  for (int i = 0; i < 100; ++i) ASSERT_TRUE((*auth)->Allows(Basic("alice", "secret")));
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(500));
}

TEST(BasicAuthTest, WrongGuessesDoNotEvictRightCredentials) {
  auto auth = BasicAuthenticator::Create(
      {{"alice", "$2y$04$6jtVB3bplz8rlRRDzw1bPeLq9qwhMgtHK6n9ACMMjRA9PLJqlrVca"}});
  ASSERT_TRUE(auth.ok()) << auth.status();
  ASSERT_TRUE((*auth)->Allows(Basic("alice", "secret")));
  for (size_t i = 0; i < BasicAuthenticator::kCacheSize + 10; ++i) {
    EXPECT_FALSE((*auth)->Allows(Basic("alice", "guess" + std::to_string(i))));
  }
  const absl::Time start = absl::Now();
  EXPECT_TRUE((*auth)->Allows(Basic("alice", "secret")));
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(2));
}

TEST(RateLimiterTest, AllowsABurstThenOnePerInterval) {
  RateLimiter limiter(absl::Seconds(1), 2);
  const absl::Time t0 = absl::Now();
  EXPECT_TRUE(limiter.Allow(t0));
  EXPECT_TRUE(limiter.Allow(t0));
  EXPECT_FALSE(limiter.Allow(t0));
  EXPECT_TRUE(limiter.Allow(t0 + absl::Seconds(1)));
  EXPECT_FALSE(limiter.Allow(t0 + absl::Seconds(1)));
}

}  // namespace
}  // namespace strata
