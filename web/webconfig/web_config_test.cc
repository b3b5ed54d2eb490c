// ParseWebConfig: every field of exporter-toolkit's web config format, its
// defaults, and the errors for bad input.
#include "web/webconfig/web_config.h"

#include <gtest/gtest.h>
#include <unistd.h>

namespace promethium::web {
namespace {

constexpr std::string_view kHash = "$2y$04$0123456789012345678901uABCDEFGHIJKLMNOPQRSTUVWXYZabcd";

Result<WebConfig> Parse(std::string_view yaml) { return ParseWebConfig(yaml, "/etc/prom"); }

std::string ErrorOf(std::string_view yaml) {
  Result<WebConfig> cfg = Parse(yaml);
  EXPECT_FALSE(cfg.ok()) << yaml;
  return cfg.ok() ? std::string() : cfg.status().message();
}

TEST(WebConfigTest, EmptyFileHasExporterToolkitDefaults) {
  Result<WebConfig> cfg = Parse("");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_FALSE(cfg->tls.Enabled());
  EXPECT_EQ(cfg->tls.min_version, kTls12);
  EXPECT_EQ(cfg->tls.max_version, kTls13);
  EXPECT_TRUE(cfg->tls.prefer_server_cipher_suites);
  EXPECT_EQ(cfg->tls.client_auth, ClientAuthType::kNoClientCert);
  EXPECT_TRUE(cfg->http.http2);
  EXPECT_FALSE(cfg->http.http2_given);
  EXPECT_TRUE(cfg->http.headers.empty());
  EXPECT_TRUE(cfg->basic_auth_users.empty());
}

TEST(WebConfigTest, EveryTlsField) {
  Result<WebConfig> cfg = Parse(R"(
tls_server_config:
  cert_file: server.crt
  key_file: /abs/server.key
  client_ca_file: ca.crt
  client_auth_type: RequireAndVerifyClientCert
  min_version: TLS13
  max_version: TLS13
  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256]
  curve_preferences: [X25519, CurveP256, CurveP384, CurveP521]
  prefer_server_cipher_suites: false
)");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  const TlsServerConfig& tls = cfg->tls;
  EXPECT_TRUE(tls.Enabled());
  EXPECT_EQ(tls.cert_file, "/etc/prom/server.crt");  // relative to the file's directory
  EXPECT_EQ(tls.key_file, "/abs/server.key");
  EXPECT_EQ(tls.client_ca_file, "/etc/prom/ca.crt");
  EXPECT_EQ(tls.client_auth, ClientAuthType::kRequireAndVerifyClientCert);
  EXPECT_EQ(tls.min_version, kTls13);
  EXPECT_EQ(tls.max_version, kTls13);
  // Go names become OpenSSL names; TLS 1.3 suites are accepted and not configured.
  EXPECT_EQ(tls.cipher_list,
            (std::vector<std::string>{"ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305"}));
  EXPECT_EQ(tls.groups, (std::vector<std::string>{"X25519", "P-256", "P-384", "P-521"}));
  EXPECT_FALSE(tls.prefer_server_cipher_suites);
}

TEST(WebConfigTest, InlinePem) {
  Result<WebConfig> cfg = Parse(
      "tls_server_config:\n  cert: CERT\n  key: KEY\n  client_ca: CA\n"
      "  client_auth_type: VerifyClientCertIfGiven\n");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_EQ(cfg->tls.cert, "CERT");
  EXPECT_EQ(cfg->tls.key, "KEY");
  EXPECT_EQ(cfg->tls.client_ca, "CA");
  EXPECT_TRUE(cfg->tls.cert_file.empty());
}

TEST(WebConfigTest, ClientAuthTypes) {
  const std::pair<std::string_view, ClientAuthType> cases[] = {
      {"NoClientCert", ClientAuthType::kNoClientCert},
      {"RequestClientCert", ClientAuthType::kRequestClientCert},
      {"RequireAnyClientCert", ClientAuthType::kRequireAnyClientCert},
      {"RequireClientCert", ClientAuthType::kRequireAnyClientCert},
      {"VerifyClientCertIfGiven", ClientAuthType::kVerifyClientCertIfGiven},
      {"RequireAndVerifyClientCert", ClientAuthType::kRequireAndVerifyClientCert},
  };
  for (const auto& [name, type] : cases) {
    std::string ca = name == "NoClientCert" ? "" : "  client_ca_file: ca.crt\n";
    Result<WebConfig> cfg =
        Parse("tls_server_config:\n  cert_file: a\n  key_file: b\n" + ca + "  client_auth_type: " + std::string(name));
    ASSERT_TRUE(cfg.ok()) << name << ": " << cfg.status().message();
    EXPECT_EQ(cfg->tls.client_auth, type) << name;
  }
}

TEST(WebConfigTest, HttpServerConfig) {
  Result<WebConfig> cfg = Parse(R"(
http_server_config:
  http2: false
  headers:
    Content-Security-Policy: "default-src 'self'"
    X-Frame-Options: deny
    X-Content-Type-Options: nosniff
    X-XSS-Protection: "1; mode=block"
    Strict-Transport-Security: max-age=31536000
)");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_FALSE(cfg->http.http2);
  EXPECT_TRUE(cfg->http.http2_given);
  ASSERT_EQ(cfg->http.headers.size(), 5u);
  EXPECT_EQ(cfg->http.headers[0],
            (std::pair<std::string, std::string>{"Content-Security-Policy", "default-src 'self'"}));
  EXPECT_EQ(cfg->http.headers[1], (std::pair<std::string, std::string>{"X-Frame-Options", "deny"}));
}

TEST(WebConfigTest, BasicAuthUsers) {
  Result<WebConfig> cfg = Parse("basic_auth_users:\n  alice: " + std::string(kHash) + "\n  bob: '" +
                                std::string(kHash).replace(2, 1, "b") + "'\n");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  ASSERT_EQ(cfg->basic_auth_users.size(), 2u);
  EXPECT_EQ(cfg->basic_auth_users.at("alice"), kHash);
}

TEST(WebConfigTest, BadInputsSayWhatIsWrong) {
  const std::pair<std::string, std::string> cases[] = {
      {"foo: 1", "field foo not found in type web.Config"},
      {"tls_server_config:\n  cert_file: a\n  key_file: b\n  bogus: 1", "field bogus not found in type web.TLSConfig"},
      {"http_server_config:\n  nope: true", "field nope not found in type web.HTTPConfig"},
      {"tls_server_config: [1]", "cannot unmarshal !!seq into web.TLSConfig"},
      {"tls_server_config:\n  cert_file: a", "missing one of key or key_file"},
      {"tls_server_config:\n  key_file: a", "missing one of cert or cert_file"},
      {"tls_server_config:\n  client_auth_type: RequireAndVerifyClientCert", "missing one of cert or cert_file"},
      {"tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: Maybe", "invalid ClientAuth: Maybe"},
      {"tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: c",
       "client CA's have been configured without a Client Auth Policy"},
      {"tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: RequireAndVerifyClientCert",
       "no client_ca_file"},
      {"tls_server_config:\n  cert_file: a\n  cert: x\n  key_file: b", "cert and cert_file are both set"},
      {"tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS14", "unknown TLS version: TLS14"},
      {"tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS13\n  max_version: TLS12",
       "min_version is above max_version"},
      {"tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites: [TLS_RSA_WITH_RC4_128_SHA]",
       "unknown cipher: TLS_RSA_WITH_RC4_128_SHA"},
      {"tls_server_config:\n  cert_file: a\n  key_file: b\n  curve_preferences: [CurveP999]",
       "unknown curve: CurveP999"},
      {"tls_server_config:\n  cert_file: a\n  key_file: b\n  prefer_server_cipher_suites: maybe",
       "cannot unmarshal maybe into bool"},
      {"tls_server_config:\n  client_allowed_sans: [a]", "unsupported: tls_server_config.client_allowed_sans"},
      {"rate_limit:\n  interval: 1s\n  burst: 2", "unsupported: rate_limit"},
      {"http_server_config:\n  headers:\n    Server: promethium", "HTTP header \"Server\" can not be configured"},
      {"http_server_config:\n  headers:\n    X-Frame-Options: allow",
       "invalid value for X-Frame-Options. Expected one of: [\"deny\" \"sameorigin\"], but got: \"allow\""},
      {"http_server_config:\n  headers:\n    X-Content-Type-Options: sniff",
       "invalid value for X-Content-Type-Options"},
      {"basic_auth_users:\n  alice: secret", "user \"alice\": not a bcrypt hash"},
      {"basic_auth_users:\n  alice: '$2y$99$0123456789012345678901uABCDEFGHIJKLMNOPQRSTUVWXYZabcd'",
       "bcrypt cost 99 is outside the allowed range"},
      {"basic_auth_users:\n  alice: '$1$abc'", "must start with $2a$, $2b$ or $2y$"},
      {"basic_auth_users: [alice]", "cannot unmarshal !!seq"},
      {"tls_server_config:\n  cert_file: a\n  cert_file: b", "already set"},
      {"tls_server_config: {", "yaml: line"},
  };
  for (const auto& [yaml, want] : cases) {
    EXPECT_NE(ErrorOf(yaml).find(want), std::string::npos) << yaml << "\n  got: " << ErrorOf(yaml);
  }
}

TEST(WebConfigTest, EmptyUnsupportedFieldsAreAccepted) {
  EXPECT_TRUE(Parse("tls_server_config:\n  client_allowed_sans: []\nrate_limit:\n").ok());
}

TEST(WebConfigTest, BcryptHashSyntax) {
  EXPECT_TRUE(CheckBcryptHash(kHash).ok());
  EXPECT_TRUE(CheckBcryptHash(std::string(kHash).replace(2, 1, "a")).ok());
  EXPECT_FALSE(CheckBcryptHash(std::string(kHash).replace(2, 1, "x")).ok());  // the buggy legacy variant
  EXPECT_FALSE(CheckBcryptHash(std::string(kHash).substr(0, 59)).ok());
  EXPECT_FALSE(CheckBcryptHash(std::string(kHash).replace(20, 1, "!")).ok());
  EXPECT_FALSE(CheckBcryptHash("$2y$03$0123456789012345678901uABCDEFGHIJKLMNOPQRSTUVWXYZabcd").ok());
  EXPECT_FALSE(CheckBcryptHash("").ok());
}

TEST(WebConfigTest, LoadResolvesPathsAgainstTheFilesDirectory) {
  const std::string dir = testing::TempDir() + "web_config_test_" + std::to_string(::getpid());
  ASSERT_TRUE(Env::Default()->CreateDirs(dir).ok());
  const std::string path = dir + "/web.yml";
  ASSERT_TRUE(
      WriteFileAtomically(Env::Default(), path, "tls_server_config:\n  cert_file: c.pem\n  key_file: k.pem\n").ok());
  Result<WebConfig> cfg = LoadWebConfigFile(Env::Default(), path);
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_EQ(cfg->tls.cert_file, dir + "/c.pem");
  EXPECT_FALSE(LoadWebConfigFile(Env::Default(), dir + "/missing.yml").ok());
  ASSERT_TRUE(Env::Default()->RemoveDirRecursively(dir).ok());
}

}  // namespace
}  // namespace promethium::web
