#include <gtest/gtest.h>

#include <string>

#include "server/config.h"
#include "server/config_test_util.h"

namespace promethium::server {
namespace {

using testutil::MustParse;
using testutil::ParseError;

TEST(ServerConfigAlertingTest, DecodesAlertmanagersWithDefaults) {
  Config cfg = MustParse(R"(
alerting:
  alert_relabel_configs:
    - action: labeldrop
      regex: replica
  alertmanagers:
    - static_configs:
        - targets: [am1:9093, am2:9093]
          labels: {zone: a}
    - scheme: https
      path_prefix: /am
      timeout: 3s
      api_version: v2
      basic_auth: {username: u, password: p}
      tls_config: {insecure_skip_verify: true}
      file_sd_configs:
        - files: [am/*.json]
      dns_sd_configs:
        - names: [_am._tcp.example.org]
      relabel_configs:
        - source_labels: [__address__]
          regex: drop.*
          action: drop
      alert_relabel_configs:
        - source_labels: [severity]
          regex: info
          action: drop
)");
  const rules::AlertingConfig& a = cfg.alerting;
  ASSERT_EQ(a.alert_relabel_configs.size(), 1u);
  EXPECT_EQ(a.alert_relabel_configs[0].action, scrape::RelabelAction::kLabelDrop);
  ASSERT_EQ(a.alertmanagers.size(), 2u);
  const rules::AlertmanagerConfig& first = a.alertmanagers[0];
  EXPECT_EQ(first.scheme, "http");
  EXPECT_EQ(first.timeout_ms, 10000);
  EXPECT_EQ(first.api_version, "v2");
  ASSERT_EQ(first.static_configs.size(), 1u);
  EXPECT_EQ(first.static_configs[0].targets, (std::vector<std::string>{"am1:9093", "am2:9093"}));
  EXPECT_EQ(first.static_configs[0].labels, (Labels{{"zone", "a"}}));
  const rules::AlertmanagerConfig& second = a.alertmanagers[1];
  EXPECT_EQ(second.scheme, "https");
  EXPECT_EQ(second.path_prefix, "/am");
  EXPECT_EQ(second.timeout_ms, 3000);
  ASSERT_TRUE(second.http_client.basic_auth.has_value());
  EXPECT_EQ(second.http_client.basic_auth->password, "p");
  EXPECT_TRUE(second.http_client.tls_config.insecure_skip_verify);
  ASSERT_EQ(second.file_sd_configs.size(), 1u);
  ASSERT_EQ(second.dns_sd_configs.size(), 1u);
  EXPECT_EQ(second.dns_sd_configs[0].type, "SRV");
  EXPECT_EQ(second.relabel_configs.size(), 1u);
  EXPECT_EQ(second.alert_relabel_configs.size(), 1u);

  const std::string yaml = ConfigToYaml(cfg);
  EXPECT_NE(yaml.find("alerting:"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("timeout: 3s"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("api_version: v2"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("password: <secret>"), std::string::npos) << yaml;
  EXPECT_EQ(yaml.find("password: p"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("- am1:9093"), std::string::npos) << yaml;
  // The round trip parses back to the same alerting config.
  EXPECT_EQ(MustParse(yaml).alerting.alertmanagers[0], first);
}

TEST(ServerConfigAlertingTest, RejectsAsPrometheus) {
  EXPECT_EQ(ParseError("alerting:\n  alertmanagers:\n    - api_version: v1\n"),
            "expected Alertmanager api version to be one of [v2] but got v1");
  EXPECT_EQ(ParseError("alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['http://a:9093']\n"),
            "\"http://a:9093\" is not a valid hostname");
  EXPECT_EQ(ParseError("alerting:\n  alertmanagers:\n    - relabel_configs:\n        -\n"),
            "empty or null Alertmanager target relabeling rule");
  EXPECT_EQ(ParseError("alerting:\n  alert_relabel_configs:\n    -\n"), "empty or null alert relabeling rule");
  EXPECT_EQ(ParseError("alerting:\n  alertmanagers:\n    - scheme: ftp\n"),
            "invalid scheme \"ftp\" (line 3): must be http or https");
  EXPECT_NE(ParseError("alerting:\n  alertmanagers:\n    - timeot: 1s\n")
                .find("field timeot not found in type config.AlertmanagerConfig"),
            std::string::npos);
  EXPECT_EQ(ParseError("alerting:\n  alertmanagers:\n    - consul_sd_configs:\n        - server: x\n"),
            "unsupported: consul_sd_configs in alertmanagers (line 4)");
  EXPECT_EQ(ParseError("alerting:\n  alertmanagers:\n    - oauth2: {client_id: x}\n"), "unsupported: oauth2 (line 3)");
  EXPECT_EQ(ParseError("alerting:\n  alertmanagers:\n    - relabel_configs:\n        - action: replace\n"),
            "relabel configuration for replace action requires 'target_label' value");
}

TEST(ServerConfigAlertingTest, EmptySectionAsksForNothing) {
  EXPECT_TRUE(MustParse("alerting:\n").alerting.alertmanagers.empty());
  EXPECT_TRUE(MustParse("alerting:\n  alertmanagers: []\n").alerting.alertmanagers.empty());
  EXPECT_EQ(ConfigToYaml(MustParse("")).find("alerting"), std::string::npos);
}

}  // namespace
}  // namespace promethium::server
