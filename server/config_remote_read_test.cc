#include <gtest/gtest.h>

#include <string>

#include "server/config.h"
#include "server/config_test_util.h"

namespace promethium::server {
namespace {

using testutil::MustParse;
using testutil::ParseError;

TEST(ServerConfigRemoteReadTest, DecodesEveryFieldAndDefaults) {
  Config cfg = MustParse(R"(
remote_read:
  - url: http://prom:9090/api/v1/read
  - url: https://other.example.org/read
    name: other
    remote_timeout: 30s
    chunked_read_limit: 1000
    headers:
      X-Scope-OrgID: tenant
    read_recent: true
    required_matchers:
      env: prod
    filter_external_labels: false
    basic_auth: {username: u, password: p}
    tls_config: {insecure_skip_verify: true}
    proxy_url: http://proxy:3128
)");
  ASSERT_EQ(cfg.remote_read.size(), 2u);
  const remote::RemoteReadConfig& a = cfg.remote_read[0];
  EXPECT_EQ(a.url, "http://prom:9090/api/v1/read");
  EXPECT_EQ(a.name, "");
  EXPECT_EQ(a.remote_timeout_ms, 60'000);
  EXPECT_EQ(a.chunked_read_limit, 50'000'000u);
  EXPECT_FALSE(a.read_recent);
  EXPECT_TRUE(a.filter_external_labels);
  EXPECT_TRUE(a.required_matchers.empty());
  EXPECT_TRUE(a.http_client.follow_redirects);
  const remote::RemoteReadConfig& b = cfg.remote_read[1];
  EXPECT_EQ(b.name, "other");
  EXPECT_EQ(b.remote_timeout_ms, 30'000);
  EXPECT_EQ(b.chunked_read_limit, 1000u);
  ASSERT_EQ(b.headers.size(), 1u);
  EXPECT_EQ(b.headers[0].first, "X-Scope-OrgID");
  EXPECT_EQ(b.headers[0].second, "tenant");
  EXPECT_TRUE(b.read_recent);
  EXPECT_EQ(b.required_matchers, (Labels{{"env", "prod"}}));
  EXPECT_FALSE(b.filter_external_labels);
  ASSERT_TRUE(b.http_client.basic_auth.has_value());
  EXPECT_EQ(b.http_client.basic_auth->username, "u");
  EXPECT_TRUE(b.http_client.tls_config.insecure_skip_verify);
  EXPECT_EQ(b.http_client.proxy.proxy_url, "http://proxy:3128");

  const std::string yaml = ConfigToYaml(cfg);
  EXPECT_NE(yaml.find("remote_read:"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("remote_timeout: 1m"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("password: <secret>"), std::string::npos) << yaml;
}

TEST(ServerConfigRemoteReadTest, ErrorsAsPrometheus) {
  EXPECT_EQ(ParseError("remote_read:\n  - url: http://x/read\n    foo: bar\n"),
            "yaml: unmarshal errors:\n  line 3: field foo not found in type config.plain");
  EXPECT_EQ(ParseError("remote_read:\n  - name: x\n"), "url for remote_read is empty");
  EXPECT_EQ(ParseError("remote_read:\n  - url: \"http://a b/read\"\n"),
            "parse \"http://a b/read\": invalid character \" \" in host name (line 2)");
  EXPECT_EQ(ParseError("remote_read:\n  - url: http://x:abc/read\n"),
            "parse \"http://x:abc/read\": invalid port \":abc\" after host (line 2)");
  EXPECT_EQ(ParseError("\nremote_read:\n  - url: ftp://x/read\n"),
            "unsupported: remote_read url \"ftp://x/read\" (only http:// and https://) (line 3)");
  EXPECT_EQ(ParseError("remote_read:\n  - url: http://x/read\n    headers: {User-Agent: y}\n"),
            "User-Agent is a reserved header. It must not be changed");
  EXPECT_EQ(ParseError("remote_read:\n  - url: http://x/read\n    headers: {authorization: y}\n"),
            "authorization header must be changed via the basic_auth, authorization, oauth2, sigv4, azuread or "
            "google_iam parameter");
  EXPECT_EQ(ParseError("remote_read:\n  - url: http://x/read\n    required_matchers: {\"1a\": b}\n"),
            "\"1a\" is not a valid label name");
  EXPECT_EQ(ParseError("remote_read:\n  - url: http://x/read\n    name: a\n  - url: http://y/read\n    name: a\n"),
            "found multiple remote read configs with job name \"a\"");
  EXPECT_EQ(ParseError("remote_read:\n  -\n"), "empty or null remote read config section");
  EXPECT_EQ(ParseError("remote_read:\n  - url: http://x/read\n    sigv4: {region: x}\n"),
            "unsupported: sigv4 (line 3)");
  EXPECT_FALSE(ParseError("remote_read:\n  - url: http://x/read\n    remote_timeout: 5x\n").empty());
  EXPECT_EQ(ParseError("remote_read:\n  - url: http://x/read\n    bearer_token: a\n    basic_auth: {username: u}\n"),
            "at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured");
}

TEST(ServerConfigRemoteReadTest, EmptyListIsNoRemote) {
  EXPECT_TRUE(MustParse("remote_read: []\n").remote_read.empty());
  EXPECT_TRUE(MustParse("remote_read:\n").remote_read.empty());
}

}  // namespace
}  // namespace promethium::server
