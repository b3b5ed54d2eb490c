// The HTTP client proxy options of scrape and http_sd configs
// (config_http_client.cc): accepted forms, the effective-config rendering and
// every validation error.
#include "server/config.h"
#include "server/config_test_util.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>
namespace promethium::server {
namespace {

using testutil::MustParse;
using testutil::ParseError;

TEST(ServerConfigProxyTest, AcceptedForms) {
  Config cfg = MustParse(R"(
scrape_configs:
  - job_name: a
    proxy_url: http://user:pa%3Ass@proxy.corp:3128
    no_proxy: localhost,.internal,10.0.0.0/8
    proxy_connect_header:
      X-Tenant: [t1, t2]
      Proxy-Token: [s3cret]
    http_sd_configs:
      - url: http://sd:8080/
        proxy_url: http://sdproxy:8080
  - job_name: b
    proxy_from_environment: true
    proxy_connect_header:
      X-Only: [x]
  - job_name: c
    proxy_url: ""
    no_proxy: ""
    proxy_from_environment: false
)");
  ASSERT_EQ(cfg.scrape_configs.size(), 3u);
  const scrape::ProxyConfig& a = cfg.scrape_configs[0].http_client.proxy;
  EXPECT_EQ(a.proxy_url, "http://user:pa%3Ass@proxy.corp:3128");
  EXPECT_EQ(a.no_proxy, "localhost,.internal,10.0.0.0/8");
  EXPECT_FALSE(a.proxy_from_environment);
  EXPECT_EQ(a.proxy_connect_header.at("X-Tenant"), (std::vector<std::string>{"t1", "t2"}));
  EXPECT_EQ(a.proxy_connect_header.at("Proxy-Token"), (std::vector<std::string>{"s3cret"}));
  ASSERT_EQ(cfg.scrape_configs[0].http_sd_configs.size(), 1u);
  EXPECT_EQ(cfg.scrape_configs[0].http_sd_configs[0].http_client.proxy.proxy_url, "http://sdproxy:8080");
  const scrape::ProxyConfig& b = cfg.scrape_configs[1].http_client.proxy;
  EXPECT_TRUE(b.proxy_from_environment);
  EXPECT_TRUE(b.proxy_url.empty());
  EXPECT_EQ(cfg.scrape_configs[2].http_client.proxy, scrape::ProxyConfig{});

  // The effective config hides the secrets, as Prometheus does.
  const std::string yaml = ConfigToYaml(cfg);
  EXPECT_NE(yaml.find("proxy_url: http://user:xxxxx@proxy.corp:3128"), std::string::npos) << yaml;
  EXPECT_EQ(yaml.find("pa%3Ass"), std::string::npos) << yaml;
  EXPECT_EQ(yaml.find("s3cret"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("no_proxy: localhost,.internal,10.0.0.0/8"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("proxy_from_environment: true"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("proxy_url: http://sdproxy:8080"), std::string::npos) << yaml;
  Config again = MustParse(yaml);
  ASSERT_EQ(again.scrape_configs.size(), 3u);
  EXPECT_TRUE(again.scrape_configs[1].http_client.proxy.proxy_from_environment);
  EXPECT_EQ(again.scrape_configs[2], cfg.scrape_configs[2]);
  EXPECT_EQ(again.scrape_configs[0].http_client.proxy.proxy_connect_header.at("X-Tenant"),
            (std::vector<std::string>{"<secret>", "<secret>"}));
}

TEST(ServerConfigProxyTest, ValidationErrors) {
  const std::string head = "scrape_configs:\n  - job_name: x\n";
  EXPECT_EQ(ParseError(head + "    proxy_url: https://proxy:443\n"),
            "unsupported: proxy_url scheme \"https\" (only http:// proxies) (line 3)");
  EXPECT_EQ(ParseError(head + "    proxy_url: socks5h://proxy:1080\n"),
            "unsupported: proxy_url scheme \"socks5h\" (only http:// proxies) (line 3)");
  EXPECT_EQ(ParseError(head + "    proxy_url: ftp://u:pw@proxy\n"),
            "invalid proxy_url \"ftp://u:xxxxx@proxy\": scheme \"ftp\" is not http (line 3)");
  EXPECT_EQ(ParseError(head + "    proxy_url: proxy:3128\n"),
            "invalid proxy_url: scheme must be http (http://host:port) (line 3)");
  EXPECT_EQ(ParseError(head + "    proxy_url: http://proxy:0\n"),
            "invalid proxy_url \"http://proxy:0\": want http://host[:port] with a port in 1-65535 (line 3)");
  EXPECT_EQ(ParseError(head + "    no_proxy: a.org\n"), "if no_proxy is configured, proxy_url must also be configured");
  EXPECT_EQ(ParseError(head + "    proxy_connect_header: {X: [y]}\n"),
            "if proxy_connect_header is configured, proxy_url or proxy_from_environment must also be configured");
  EXPECT_EQ(ParseError(head + "    proxy_from_environment: true\n    proxy_url: http://p:1\n"),
            "if proxy_from_environment is configured, proxy_url must not be configured");
  EXPECT_EQ(ParseError(head + "    proxy_from_environment: true\n    no_proxy: a.org\n"),
            "if proxy_from_environment is configured, no_proxy must not be configured");
  EXPECT_EQ(ParseError(head + "    proxy_from_environment: maybe\n"),
            "yaml: unmarshal errors:\n  line 3: cannot unmarshal !!str `maybe` into bool");
  EXPECT_EQ(ParseError(head + "    proxy_url: http://p:1\n    proxy_connect_header: [a]\n"),
            "yaml: unmarshal errors:\n  line 4: cannot unmarshal !!seq into config.Header");
  EXPECT_EQ(ParseError(head + "    proxy_url: http://p:1\n    proxy_connect_header: {X: val}\n"),
            "yaml: unmarshal errors:\n  line 4: cannot unmarshal !!str `val` into []config.Secret");
  EXPECT_EQ(ParseError(head + "    proxy_url: http://p:1\n    proxy_connect_header: {\"Bad Name\": [v]}\n"),
            "invalid proxy_connect_header name \"Bad Name\"");
  // The same rules in http_sd_configs.
  EXPECT_EQ(ParseError(head + "    http_sd_configs:\n      - url: http://sd/\n        no_proxy: a.org\n"),
            "if no_proxy is configured, proxy_url must also be configured");
  // The Docker Engine API client has no HTTP client options yet.
  EXPECT_EQ(ParseError(head + "    docker_sd_configs:\n      - host: tcp://d:2375\n        proxy_url: http://p:1\n"),
            "unsupported: proxy_url (line 5)");
}

}  // namespace
}  // namespace promethium::server
