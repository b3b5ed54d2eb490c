#include "server/config.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdio>
#include <fstream>

namespace promethium::server {
namespace {

Config MustParse(const std::string& yaml) {
  Result<Config> cfg = ParseConfig(yaml);
  EXPECT_TRUE(cfg.ok()) << cfg.status().ToString() << "\n" << yaml;
  return cfg.ok() ? *cfg : Config{};
}

std::string ParseError(const std::string& yaml) {
  Result<Config> cfg = ParseConfig(yaml);
  EXPECT_FALSE(cfg.ok()) << "expected an error for:\n" << yaml;
  return cfg.ok() ? "" : cfg.status().message();
}

TEST(ServerConfigTest, EmptyDocumentIsTheDefault) {
  Config cfg = MustParse("");
  EXPECT_EQ(cfg.global.scrape_interval_ms, 60000);
  EXPECT_EQ(cfg.global.scrape_timeout_ms, 10000);
  EXPECT_EQ(cfg.global.evaluation_interval_ms, 60000);
  EXPECT_TRUE(cfg.scrape_configs.empty());
  EXPECT_EQ(MustParse("global:\n").global, GlobalConfig{});
}

TEST(ServerConfigTest, FullScrapeConfig) {
  Config cfg = MustParse(R"(
global:
  scrape_interval: 15s
  evaluation_interval: 30s
  external_labels:
    region: eu
scrape_configs:
  - job_name: node
    scrape_interval: 5s
    scrape_timeout: 4s
    metrics_path: /probe
    scheme: http
    params:
      module: [http_2xx, tcp]
    honor_labels: true
    honor_timestamps: false
    sample_limit: 1000
    label_limit: 30
    body_size_limit: 10MB
    static_configs:
      - targets: ['localhost:9100', 'otherhost:9100']
        labels:
          env: prod
      - targets: [a:1]
)");
  EXPECT_EQ(cfg.global.scrape_interval_ms, 15000);
  EXPECT_EQ(cfg.global.scrape_timeout_ms, 10000);
  EXPECT_EQ(cfg.global.evaluation_interval_ms, 30000);
  EXPECT_EQ(cfg.global.external_labels, (Labels{{"region", "eu"}}));
  ASSERT_EQ(cfg.scrape_configs.size(), 1u);
  const scrape::ScrapeConfig& sc = cfg.scrape_configs[0];
  EXPECT_EQ(sc.job_name, "node");
  EXPECT_EQ(sc.scrape_interval_ms, 5000);
  EXPECT_EQ(sc.scrape_timeout_ms, 4000);
  EXPECT_EQ(sc.metrics_path, "/probe");
  EXPECT_EQ(sc.scheme, "http");
  EXPECT_EQ(sc.params.at("module"), (std::vector<std::string>{"http_2xx", "tcp"}));
  EXPECT_TRUE(sc.honor_labels);
  EXPECT_FALSE(sc.honor_timestamps);
  EXPECT_EQ(sc.sample_limit, 1000u);
  EXPECT_EQ(sc.label_limit, 30u);
  EXPECT_EQ(sc.body_size_limit, 10u << 20);
  ASSERT_EQ(sc.static_configs.size(), 2u);
  EXPECT_EQ(sc.static_configs[0].targets, (std::vector<std::string>{"localhost:9100", "otherhost:9100"}));
  EXPECT_EQ(sc.static_configs[0].labels, (Labels{{"env", "prod"}}));
  EXPECT_EQ(sc.static_configs[0].source, "static_configs/0");
  EXPECT_EQ(sc.static_configs[1].targets, (std::vector<std::string>{"a:1"}));
  EXPECT_EQ(sc.static_configs[1].source, "static_configs/1");
}

TEST(ServerConfigTest, JobDefaultsComeFromGlobal) {
  Config cfg = MustParse(R"(
global:
  scrape_interval: 15s
  scrape_timeout: 12s
  sample_limit: 77
  body_size_limit: 1KB
scrape_configs:
  - job_name: a
  - job_name: b
    scrape_interval: 5s
  - job_name: c
    sample_limit: 5
)");
  ASSERT_EQ(cfg.scrape_configs.size(), 3u);
  const auto& a = cfg.scrape_configs[0];
  EXPECT_EQ(a.scrape_interval_ms, 15000);
  EXPECT_EQ(a.scrape_timeout_ms, 12000);
  EXPECT_EQ(a.metrics_path, "/metrics");
  EXPECT_EQ(a.scheme, "http");
  EXPECT_FALSE(a.honor_labels);
  EXPECT_TRUE(a.honor_timestamps);
  EXPECT_EQ(a.sample_limit, 77u);
  EXPECT_EQ(a.body_size_limit, 1024u);
  // The timeout defaults to min(global timeout, job interval).
  EXPECT_EQ(cfg.scrape_configs[1].scrape_interval_ms, 5000);
  EXPECT_EQ(cfg.scrape_configs[1].scrape_timeout_ms, 5000);
  EXPECT_EQ(cfg.scrape_configs[2].sample_limit, 5u);
}

TEST(ServerConfigTest, GlobalTimeoutDefaultsToMinOfTenSecondsAndInterval) {
  EXPECT_EQ(MustParse("global:\n  scrape_interval: 3s\n").global.scrape_timeout_ms, 3000);
  EXPECT_EQ(MustParse("global:\n  scrape_interval: 1h\n").global.scrape_timeout_ms, 10000);
  // A zero duration means "unset", as in Prometheus.
  EXPECT_EQ(MustParse("global:\n  scrape_interval: 0s\n").global.scrape_interval_ms, 60000);
}

TEST(ServerConfigTest, TimeoutGreaterThanInterval) {
  EXPECT_EQ(ParseError("global:\n  scrape_interval: 5s\n  scrape_timeout: 6s\n"),
            "global scrape timeout greater than scrape interval");
  EXPECT_EQ(ParseError("scrape_configs:\n  - job_name: x\n    scrape_interval: 5s\n    scrape_timeout: 6s\n"),
            "scrape timeout greater than scrape interval for scrape config with job name \"x\"");
  // An explicit timeout above the inherited global interval is also rejected.
  EXPECT_EQ(ParseError("global:\n  scrape_interval: 5s\nscrape_configs:\n  - job_name: y\n    scrape_timeout: 8s\n"),
            "scrape timeout greater than scrape interval for scrape config with job name \"y\"");
}

TEST(ServerConfigTest, DuplicateJobNames) {
  EXPECT_EQ(ParseError("scrape_configs:\n  - job_name: x\n  - job_name: y\n  - job_name: x\n"),
            "found multiple scrape configs with job name \"x\"");
}

TEST(ServerConfigTest, EmptyJobName) {
  EXPECT_EQ(ParseError("scrape_configs:\n  - scrape_interval: 5s\n"), "job_name is empty");
  EXPECT_EQ(ParseError("scrape_configs:\n  -\n"), "empty or null scrape config section");
}

TEST(ServerConfigTest, UnknownKeysNameTheLineAndType) {
  EXPECT_EQ(ParseError("global:\n  scrape_interval: 15s\nscrape_configs:\n  - job_name: x\n    foo: 1\n"),
            "yaml: unmarshal errors:\n  line 5: field foo not found in type config.ScrapeConfig");
  EXPECT_EQ(ParseError("bogus: 1\n"), "yaml: unmarshal errors:\n  line 1: field bogus not found in type config.Config");
  EXPECT_EQ(ParseError("global:\n  scrape_intervall: 1m\n"),
            "yaml: unmarshal errors:\n  line 2: field scrape_intervall not found in type config.GlobalConfig");
  EXPECT_EQ(ParseError("scrape_configs:\n- job_name: x\n  static_configs:\n  - targets: [a:1]\n    lables: {}\n"),
            "yaml: unmarshal errors:\n  line 5: field lables not found in type targetgroup.Group");
}

TEST(ServerConfigTest, AllUnmarshalErrorsAreReportedTogether) {
  EXPECT_EQ(ParseError("a: 1\nb: 2\n"),
            "yaml: unmarshal errors:\n  line 1: field a not found in type config.Config\n"
            "  line 2: field b not found in type config.Config");
}

TEST(ServerConfigTest, TypeErrors) {
  EXPECT_EQ(ParseError("scrape_configs:\n  - job_name: x\n    sample_limit: lots\n"),
            "yaml: unmarshal errors:\n  line 3: cannot unmarshal !!str `lots` into uint");
  EXPECT_EQ(ParseError("scrape_configs:\n  - job_name: x\n    honor_labels: maybe\n"),
            "yaml: unmarshal errors:\n  line 3: cannot unmarshal !!str `maybe` into bool");
  EXPECT_EQ(ParseError("scrape_configs: 3\n"),
            "yaml: unmarshal errors:\n  line 1: cannot unmarshal !!int `3` into []*config.ScrapeConfig");
  EXPECT_EQ(ParseError("just a string\n"),
            "yaml: unmarshal errors:\n  line 1: cannot unmarshal !!str `just a string` into config.Config");
}

TEST(ServerConfigTest, DuplicateKeys) {
  EXPECT_EQ(ParseError("global:\n  scrape_interval: 1m\n  scrape_interval: 2m\n"),
            "yaml: unmarshal errors:\n  line 3: key \"scrape_interval\" already set in map");
}

TEST(ServerConfigTest, BadDurations) {
  EXPECT_EQ(ParseError("global:\n  scrape_interval: 1x\n"), "not a valid duration string: \"1x\"");
  EXPECT_EQ(ParseError("scrape_configs:\n  - job_name: x\n    scrape_timeout: 5m1h\n"),
            "not a valid duration string: \"5m1h\"");
}

TEST(ServerConfigTest, UnsupportedKeysFailLoudlyWithLine) {
  struct Case {
    const char* yaml;
    const char* error;
  } cases[] = {
      {"rule_files:\n  - a.yml\n", "unsupported: rule_files (line 1)"},
      {"alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: [a:9093]\n",
       "unsupported: alerting (line 1)"},
      {"remote_write:\n  - url: http://x\n", "unsupported: remote_write (line 1)"},
      {"global:\n  query_log_file: q.log\n", "unsupported: query_log_file (line 2)"},
      {"scrape_configs:\n  - job_name: x\n    relabel_configs:\n      - action: drop\n",
       "unsupported: relabel_configs (line 3)"},
      {"scrape_configs:\n  - job_name: x\n    metric_relabel_configs:\n      - action: drop\n",
       "unsupported: metric_relabel_configs (line 3)"},
      {"scrape_configs:\n  - job_name: x\n    file_sd_configs:\n      - files: [a.json]\n",
       "unsupported: file_sd_configs (line 3)"},
      {"scrape_configs:\n  - job_name: x\n    docker_sd_configs:\n      - host: unix:///var/run/docker.sock\n",
       "unsupported: docker_sd_configs (line 3)"},
      {"scrape_configs:\n  - job_name: x\n    basic_auth:\n      username: u\n", "unsupported: basic_auth (line 3)"},
      {"scrape_configs:\n  - job_name: x\n    tls_config:\n      insecure_skip_verify: true\n",
       "unsupported: tls_config (line 3)"},
      {"scrape_configs:\n  - job_name: x\n    scheme: https\n", "unsupported: scheme https (line 3)"},
  };
  for (const Case& c : cases) EXPECT_EQ(ParseError(c.yaml), c.error) << c.yaml;
}

TEST(ServerConfigTest, EmptyUnsupportedSectionsAskForNothing) {
  Config cfg = MustParse("rule_files:\nremote_write: []\nscrape_configs:\n  - job_name: x\n    relabel_configs: []\n");
  ASSERT_EQ(cfg.scrape_configs.size(), 1u);
}

TEST(ServerConfigTest, InvalidScheme) {
  std::string err = ParseError("scrape_configs:\n  - job_name: x\n    scheme: ftp\n");
  EXPECT_NE(err.find("invalid scheme \"ftp\""), std::string::npos) << err;
}

TEST(ServerConfigTest, TargetsMustNotBeUrls) {
  EXPECT_EQ(ParseError("scrape_configs:\n  - job_name: x\n    static_configs:\n      - targets: ['http://a:1/m']\n"),
            "\"http://a:1/m\" is not a valid hostname");
}

TEST(ServerConfigTest, InvalidLabelNames) {
  EXPECT_EQ(ParseError("global:\n  external_labels:\n    0bad: x\n"), "\"0bad\" is not a valid label name");
  EXPECT_EQ(
      ParseError(
          "scrape_configs:\n  - job_name: x\n    static_configs:\n      - targets: [a:1]\n        labels: {a-b: c}\n"),
      "\"a-b\" is not a valid label name");
}

TEST(ServerConfigTest, ExternalLabelsExpandEnvironment) {
  setenv("PROMETHIUM_TEST_REGION", "eu-west", 1);
  Config cfg = MustParse("global:\n  external_labels:\n    region: ${PROMETHIUM_TEST_REGION}\n    cost: $$5\n");
  EXPECT_EQ(cfg.global.external_labels, (Labels{{"region", "eu-west"}, {"cost", "$5"}}));
}

TEST(ServerConfigTest, YamlSyntaxErrorHasLine) {
  std::string err = ParseError("global:\n  scrape_interval: [1m\n");
  EXPECT_EQ(err.rfind("yaml: line ", 0), 0u) << err;
}

TEST(ServerConfigTest, ByteSizes) {
  EXPECT_EQ(*ParseByteSize("0"), 0u);
  EXPECT_EQ(*ParseByteSize("512B"), 512u);
  EXPECT_EQ(*ParseByteSize("10KB"), 10240u);
  EXPECT_EQ(*ParseByteSize("10MB"), 10u << 20);
  EXPECT_EQ(*ParseByteSize("10MiB"), 10u << 20);
  EXPECT_EQ(*ParseByteSize("1GB"), 1u << 30);
  EXPECT_EQ(*ParseByteSize("1GB512MB"), (1u << 30) + (512u << 20));
  EXPECT_FALSE(ParseByteSize("10").ok());
  EXPECT_FALSE(ParseByteSize("10XB").ok());
  EXPECT_FALSE(ParseByteSize("MB").ok());
  EXPECT_FALSE(ParseByteSize("").ok());
}

TEST(ServerConfigTest, LoadFileNamesTheFile) {
  std::string path = testing::TempDir() + "/promethium_config_test.yml";
  {
    std::ofstream f(path);
    f << "scrape_configs:\n  - job_name: x\n    nope: 1\n";
  }
  Result<Config> cfg = LoadConfigFile(path);
  ASSERT_FALSE(cfg.ok());
  EXPECT_EQ(cfg.status().message(), "parsing YAML file " + path +
                                        ": yaml: unmarshal errors:\n  line 3: field nope not found in type "
                                        "config.ScrapeConfig");
  std::remove(path.c_str());
  EXPECT_FALSE(LoadConfigFile(path).ok());
}

TEST(ServerConfigTest, EffectiveConfigRoundTrips) {
  Config cfg = MustParse(R"(
global:
  scrape_interval: 15s
scrape_configs:
  - job_name: a
    body_size_limit: 10MB
    params: {x: [y]}
    static_configs:
      - targets: [h:1]
        labels: {k: v}
)");
  std::string yaml = ConfigToYaml(cfg);
  EXPECT_NE(yaml.find("scrape_timeout: 10s"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("body_size_limit: 10MiB"), std::string::npos) << yaml;
  Config again = MustParse(yaml);
  EXPECT_EQ(again.global, cfg.global);
  EXPECT_EQ(again.scrape_configs, cfg.scrape_configs);
}

}  // namespace
}  // namespace promethium::server
