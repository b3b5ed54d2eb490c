#include "server/config.h"
#include "server/config_test_util.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdio>
#include <fstream>

#include "tsdb/base/env.h"

namespace promethium::server {
namespace {

using testutil::MustParse;
using testutil::ParseError;

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

TEST(ServerConfigTest, LabelLengthLimitsWithGlobalDefaults) {
  Config cfg = MustParse(R"(
global:
  label_name_length_limit: 20
  label_value_length_limit: 200
scrape_configs:
  - job_name: a
  - job_name: b
    label_name_length_limit: 10
    label_value_length_limit: 100
)");
  ASSERT_EQ(cfg.scrape_configs.size(), 2u);
  EXPECT_EQ(cfg.scrape_configs[0].label_name_length_limit, 20u);
  EXPECT_EQ(cfg.scrape_configs[0].label_value_length_limit, 200u);
  EXPECT_EQ(cfg.scrape_configs[1].label_name_length_limit, 10u);
  EXPECT_EQ(cfg.scrape_configs[1].label_value_length_limit, 100u);
  const std::string yaml = ConfigToYaml(cfg);
  EXPECT_NE(yaml.find("label_name_length_limit: 10"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("label_value_length_limit: 100"), std::string::npos) << yaml;
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

TEST(ServerConfigTest, StorageExemplarsMaxExemplars) {
  EXPECT_EQ(MustParse("").storage.exemplars.max_exemplars, 100000);  // Prometheus's default
  EXPECT_EQ(MustParse("storage:\n  exemplars:\n").storage.exemplars.max_exemplars, 100000);
  Config cfg = MustParse("storage:\n  exemplars:\n    max_exemplars: 5\n  tsdb:\n    out_of_order_time_window: 1m\n");
  EXPECT_EQ(cfg.storage.exemplars.max_exemplars, 5);
  EXPECT_EQ(cfg.storage.tsdb.out_of_order_time_window_ms, 60000);
  EXPECT_EQ(MustParse("storage:\n  exemplars:\n    max_exemplars: -1\n").storage.exemplars.max_exemplars, -1);
  EXPECT_EQ(ParseError("storage:\n  exemplars:\n    max_exemplars: many\n"),
            "yaml: unmarshal errors:\n  line 3: cannot unmarshal !!str `many` into int64");
  EXPECT_NE(ParseError("storage:\n  exemplars:\n    max_size: 5\n").find("field max_size not found"),
            std::string::npos);
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
      {"alerting:\n  alertmanagers:\n    - sigv4:\n        region: x\n", "unsupported: sigv4 (line 3)"},
      {"remote_write:\n  - url: http://x\n    azuread: {cloud: AzurePublic}\n", "unsupported: azuread (line 3)"},
      {"global:\n  query_log_file: q.log\n", "unsupported: query_log_file (line 2)"},
      {"scrape_configs:\n  - job_name: x\n    consul_sd_configs:\n      - server: a:8500\n",
       "unsupported: consul_sd_configs (line 3)"},
      {"scrape_configs:\n  - job_name: x\n    http_sd_configs:\n      - url: http://a/\n        basic_auth: {}\n"
       "      - url: http://b/\n        tls_config:\n          ca: inline-pem\n",
       "unsupported: ca (line 8)"},
      {"scrape_configs:\n  - job_name: x\n    docker_sd_configs:\n      - host: unix:///var/run/docker.sock\n"
       "        oauth2: {client_id: x}\n",
       "unsupported: oauth2 (line 5)"},
      {"scrape_configs:\n  - job_name: x\n    proxy_url: socks5://proxy:1080\n",
       "unsupported: proxy_url scheme \"socks5\" (only http:// proxies) (line 3)"},
      {"scrape_configs:\n  - job_name: x\n    oauth2:\n      client_id: x\n", "unsupported: oauth2 (line 3)"},
  };
  for (const Case& c : cases) EXPECT_EQ(ParseError(c.yaml), c.error) << c.yaml;
}

TEST(ServerConfigTest, RuleFilesAndRuleQueryOffset) {
  Config cfg = MustParse("global:\n  rule_query_offset: 30s\nrule_files:\n  - rules/*.yml\n  - /etc/x.yml\n");
  EXPECT_EQ(cfg.rule_files, (std::vector<std::string>{"rules/*.yml", "/etc/x.yml"}));
  EXPECT_EQ(cfg.global.rule_query_offset_ms, 30000);
  const std::string yaml = ConfigToYaml(cfg);
  EXPECT_NE(yaml.find("rule_query_offset: 30s"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("- rules/*.yml"), std::string::npos) << yaml;
  EXPECT_EQ(MustParse("").global.rule_query_offset_ms, 0);
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

// --- relabel_configs / metric_relabel_configs ---

TEST(ServerConfigTest, RelabelConfigsWithPrometheusDefaults) {
  Config cfg = MustParse(R"(
scrape_configs:
  - job_name: x
    relabel_configs:
      - source_labels: [__address__]
        target_label: __param_target
      - source_labels: [a, b]
        separator: /
        regex: 'f(.*)'
        target_label: c
        replacement: 'x${1}'
        action: Replace
      - regex: __meta_(.+)
        action: labelmap
      - source_labels: [__address__]
        modulus: 4
        target_label: __tmp_hash
        action: hashmod
    metric_relabel_configs:
      - source_labels: [__name__]
        regex: go_.*
        action: drop
)");
  ASSERT_EQ(cfg.scrape_configs.size(), 1u);
  const auto& rules = cfg.scrape_configs[0].relabel_configs;
  ASSERT_EQ(rules.size(), 4u);
  EXPECT_EQ(rules[0].action, scrape::RelabelAction::kReplace);
  EXPECT_EQ(rules[0].separator, ";");
  EXPECT_TRUE(rules[0].regex.is_default());
  EXPECT_EQ(rules[0].replacement, "$1");
  EXPECT_EQ(rules[0].source_labels, std::vector<std::string>{"__address__"});
  EXPECT_EQ(rules[1].separator, "/");
  EXPECT_EQ(rules[1].regex.pattern(), "f(.*)");
  EXPECT_EQ(rules[1].replacement, "x${1}");
  EXPECT_EQ(rules[1].source_labels, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(rules[2].action, scrape::RelabelAction::kLabelMap);
  EXPECT_EQ(rules[3].modulus, 4u);
  ASSERT_EQ(cfg.scrape_configs[0].metric_relabel_configs.size(), 1u);
  EXPECT_EQ(cfg.scrape_configs[0].metric_relabel_configs[0].action, scrape::RelabelAction::kDrop);
  EXPECT_TRUE(cfg.scrape_configs[0].metric_relabel_configs[0].regex.Matches("go_threads"));
}

TEST(ServerConfigTest, RelabelNullFieldsAreZeroValues) {
  Config cfg = MustParse(
      "scrape_configs:\n  - job_name: x\n    relabel_configs:\n"
      "      - regex:\n        replacement: static\n        target_label: abc\n        separator:\n");
  const auto& r = cfg.scrape_configs[0].relabel_configs.at(0);
  EXPECT_FALSE(r.regex.is_default());
  EXPECT_TRUE(r.regex.Matches(""));
  EXPECT_FALSE(r.regex.Matches("x"));
  EXPECT_EQ(r.separator, "");
  EXPECT_EQ(ParseError("scrape_configs:\n  - job_name: x\n    relabel_configs:\n      - action:\n"),
            "relabel action cannot be empty");
}

TEST(ServerConfigTest, RelabelErrors) {
  const std::string head = "scrape_configs:\n  - job_name: x\n    relabel_configs:\n";
  EXPECT_EQ(ParseError(head + "      - action: frob\n"), "unknown relabel action \"frob\"");
  EXPECT_EQ(ParseError(head + "      - action: replace\n"),
            "relabel configuration for replace action requires 'target_label' value");
  EXPECT_EQ(ParseError(head + "      - action: hashmod\n        target_label: h\n"),
            "relabel configuration for hashmod requires non-zero modulus");
  EXPECT_EQ(ParseError(head + "      - action: labeldrop\n        regex: a\n        target_label: t\n"),
            "labeldrop action requires only 'regex', and no other fields");
  EXPECT_EQ(ParseError(head + "      - action: keepequal\n        target_label: t\n        replacement: r\n"),
            "'replacement' can not be set for keepequal action");
  EXPECT_EQ(ParseError(head + "      - source_labels: ['']\n        action: keep\n"), "\"\" is not a valid label name");
  EXPECT_NE(ParseError(head + "      - regex: '(unclosed'\n        action: keep\n").find("error parsing regexp"),
            std::string::npos);
  EXPECT_EQ(ParseError(head + "      -\n"), "empty or null target relabeling rule in scrape config");
  EXPECT_EQ(ParseError("scrape_configs:\n  - job_name: x\n    metric_relabel_configs:\n      - ~\n"),
            "empty or null metric relabeling rule in scrape config");
  // Unknown keys and type errors are unmarshal errors with lines.
  EXPECT_EQ(ParseError(head + "      - action: keep\n        regexp: a\n"),
            "yaml: unmarshal errors:\n  line 5: field regexp not found in type relabel.plain");
  EXPECT_EQ(ParseError(head + "      - source_labels: a\n        action: keep\n"),
            "yaml: unmarshal errors:\n  line 4: cannot unmarshal !!str `a` into model.LabelNames");
  EXPECT_EQ(ParseError(head + "    - a\n").substr(0, 24), "yaml: unmarshal errors:\n");
}

TEST(ServerConfigTest, RelabelingAllowsUrlLikeTargets) {
  // Without relabeling a URL target is an error; with it, rules may fix it.
  Config cfg = MustParse(
      "scrape_configs:\n  - job_name: x\n    static_configs:\n      - targets: ['http://a:1/m']\n"
      "    relabel_configs:\n      - source_labels: [__address__]\n        target_label: __param_target\n");
  EXPECT_EQ(cfg.scrape_configs[0].relabel_configs.size(), 1u);
}

TEST(ServerConfigTest, RelabelConfigsRoundTrip) {
  Config cfg = MustParse(R"(
scrape_configs:
  - job_name: a
    static_configs:
      - targets: [h:1]
    relabel_configs:
      - source_labels: [__address__, job]
        separator: '|'
        regex: '(.+)'
        target_label: x
        replacement: 'y$1'
      - source_labels: [__address__]
        modulus: 3
        target_label: h
        action: hashmod
      - regex: 'tmp_.*'
        action: labeldrop
    metric_relabel_configs:
      - source_labels: [__name__]
        regex: 'go_.*'
        action: drop
)");
  std::string yaml = ConfigToYaml(cfg);
  EXPECT_NE(yaml.find("action: hashmod"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("metric_relabel_configs:"), std::string::npos) << yaml;
  Config again = MustParse(yaml);
  EXPECT_EQ(again.scrape_configs, cfg.scrape_configs) << yaml;
}

}  // namespace
}  // namespace promethium::server

namespace promethium::server {
namespace {

TEST(ServerConfigSdTest, FileAndHttpSdDefaults) {
  auto cfg = ParseConfig(
      "scrape_configs:\n  - job_name: x\n    file_sd_configs:\n      - files: [/a/*.json, b.yml]\n"
      "      - files: [c.yaml]\n        refresh_interval: 30s\n"
      "    http_sd_configs:\n      - url: http://sd:8080/targets?x=1\n      - url: http://sd2/\n"
      "        refresh_interval: 2m\n");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  const scrape::ScrapeConfig& sc = cfg->scrape_configs[0];
  ASSERT_EQ(sc.file_sd_configs.size(), 2u);
  EXPECT_EQ(sc.file_sd_configs[0].files, (std::vector<std::string>{"/a/*.json", "b.yml"}));
  EXPECT_EQ(sc.file_sd_configs[0].refresh_interval_ms, 300'000);
  EXPECT_EQ(sc.file_sd_configs[1].refresh_interval_ms, 30'000);
  ASSERT_EQ(sc.http_sd_configs.size(), 2u);
  EXPECT_EQ(sc.http_sd_configs[0].url, "http://sd:8080/targets?x=1");
  EXPECT_EQ(sc.http_sd_configs[0].refresh_interval_ms, 60'000);
  EXPECT_EQ(sc.http_sd_configs[1].refresh_interval_ms, 120'000);
  const std::string yaml = ConfigToYaml(*cfg);
  EXPECT_NE(yaml.find("refresh_interval: 5m"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("url: http://sd:8080/targets?x=1"), std::string::npos) << yaml;
  auto again = ParseConfig(yaml);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->scrape_configs[0], sc);
}

TEST(ServerConfigSdTest, FileSdValidation) {
  const std::string head = "scrape_configs:\n  - job_name: x\n    file_sd_configs:\n";
  EXPECT_EQ(ParseError(head + "      - refresh_interval: 1m\n"),
            "file service discovery config must contain at least one path name (line 4)");
  EXPECT_EQ(ParseError(head + "      - files: [a.txt]\n"),
            "path name \"a.txt\" is not valid for file discovery (line 4)");
  EXPECT_EQ(ParseError(head + "      - files: ['*/a.json']\n"),
            "path name \"*/a.json\" is not valid for file discovery (line 4)");
  EXPECT_EQ(ParseError(head + "      - files: [a.json]\n        bogus: 1\n"),
            "yaml: unmarshal errors:\n  line 5: field bogus not found in type file.SDConfig");
  EXPECT_EQ(ParseError(head + "      - files: [a.json]\n        refresh_interval: 1x\n"),
            "not a valid duration string: \"1x\"");
}

TEST(ServerConfigSdTest, HttpSdValidation) {
  const std::string head = "scrape_configs:\n  - job_name: x\n    http_sd_configs:\n";
  EXPECT_EQ(ParseError(head + "      - refresh_interval: 1m\n"), "URL is missing (line 4)");
  EXPECT_EQ(ParseError(head + "      - url: ftp://a/\n"), "URL scheme must be 'http' or 'https' (line 4)");
  EXPECT_EQ(ParseError(head + "      - url: http:///x\n"), "host is missing in URL (line 4)");
  EXPECT_EQ(ParseError(head + "      - url: http://a/\n        oauth2: {client_id: x}\n"),
            "unsupported: oauth2 (line 5)");
}

TEST(ServerConfigSdTest, DockerSd) {
  const std::string head = "scrape_configs:\n  - job_name: x\n    docker_sd_configs:\n";
  auto cfg =
      ParseConfig(head +
                  "      - host: unix:///var/run/docker.sock\n"
                  "      - host: tcp://127.0.0.1:2375\n        port: 9100\n        host_networking_host: 10.0.0.1\n"
                  "        match_first_network: false\n        refresh_interval: 5s\n"
                  "        filters:\n          - name: label\n            values: [a=b, c]\n");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  const scrape::ScrapeConfig& sc = cfg->scrape_configs[0];
  ASSERT_EQ(sc.docker_sd_configs.size(), 2u);
  const scrape::DockerSDConfig& d0 = sc.docker_sd_configs[0];
  EXPECT_EQ(d0.port, 80);
  EXPECT_EQ(d0.host_networking_host, "localhost");
  EXPECT_TRUE(d0.match_first_network);
  EXPECT_EQ(d0.refresh_interval_ms, 60'000);
  const scrape::DockerSDConfig& d1 = sc.docker_sd_configs[1];
  EXPECT_EQ(d1.host, "tcp://127.0.0.1:2375");
  EXPECT_EQ(d1.port, 9100);
  EXPECT_EQ(d1.host_networking_host, "10.0.0.1");
  EXPECT_FALSE(d1.match_first_network);
  EXPECT_EQ(d1.refresh_interval_ms, 5'000);
  ASSERT_EQ(d1.filters.size(), 1u);
  EXPECT_EQ(d1.filters[0].first, "label");
  EXPECT_EQ(d1.filters[0].second, (std::vector<std::string>{"a=b", "c"}));
  auto again = ParseConfig(ConfigToYaml(*cfg));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->scrape_configs[0], sc);

  EXPECT_EQ(ParseError(head + "      - port: 1\n"), "host missing");
  EXPECT_EQ(ParseError(head + "      - host: https://d:2376\n"),
            "unsupported: docker_sd_configs host \"https://d:2376\" (only unix:///path, tcp:// and http://) (line 4)");
  EXPECT_EQ(ParseError(head + "      - host: unix:///s\n        bogus: 1\n"),
            "yaml: unmarshal errors:\n  line 5: field bogus not found in type moby.DockerSDConfig");
}

TEST(ServerConfigSdTest, DnsSd) {
  const std::string head = "scrape_configs:\n  - job_name: x\n    dns_sd_configs:\n";
  auto cfg = ParseConfig(head +
                         "      - names: [_prom._tcp.example.com]\n"
                         "      - names: [a.example, b.example]\n        type: a\n        port: 9100\n"
                         "        refresh_interval: 10s\n");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  const auto& d = cfg->scrape_configs[0].dns_sd_configs;
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].type, "SRV");
  EXPECT_EQ(d[0].refresh_interval_ms, 30'000);
  EXPECT_EQ(d[1].type, "A");
  EXPECT_EQ(d[1].port, 9100);
  EXPECT_EQ(d[1].names, (std::vector<std::string>{"a.example", "b.example"}));
  auto again = ParseConfig(ConfigToYaml(*cfg));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->scrape_configs[0], cfg->scrape_configs[0]);

  EXPECT_EQ(ParseError(head + "      - type: A\n"), "DNS-SD config must contain at least one SRV record name");
  EXPECT_EQ(ParseError(head + "      - names: [a]\n        type: A\n"),
            "a port is required in DNS-SD configs for all record types except SRV");
  EXPECT_EQ(ParseError(head + "      - names: [a]\n        type: TXT\n"), "invalid DNS-SD records type TXT");
  EXPECT_EQ(ParseError(head + "      - names: [a]\n        type: MX\n        port: 25\n"),
            "unsupported: dns_sd_configs type MX (line 4)");
}

TEST(ServerConfigSdTest, TargetLimitAndKeepDroppedTargets) {
  Config cfg = MustParse(
      "global:\n  target_limit: 5\n  keep_dropped_targets: 7\n"
      "scrape_configs:\n  - job_name: x\n  - job_name: y\n    target_limit: 2\n    keep_dropped_targets: 3\n");
  EXPECT_EQ(cfg.scrape_configs[0].target_limit, 5u);
  EXPECT_EQ(cfg.scrape_configs[0].keep_dropped_targets, 7u);
  EXPECT_EQ(cfg.scrape_configs[1].target_limit, 2u);
  EXPECT_EQ(cfg.scrape_configs[1].keep_dropped_targets, 3u);
  Config again = MustParse(ConfigToYaml(cfg));
  EXPECT_EQ(again.scrape_configs, cfg.scrape_configs);
}

TEST(ServerConfigSdTest, HttpClientOptions) {
  auto cfg = ParseConfig(
      "scrape_configs:\n  - job_name: x\n    scheme: https\n    follow_redirects: false\n    enable_http2: false\n"
      "    tls_config:\n      ca_file: ca.crt\n      cert_file: /c.crt\n      key_file: /c.key\n"
      "      server_name: example\n      insecure_skip_verify: true\n      min_version: TLS13\n"
      "    basic_auth:\n      username: u\n      password_file: pw\n"
      "    http_sd_configs:\n      - url: https://sd/\n        bearer_token_file: tok\n"
      "  - job_name: y\n    authorization:\n      credentials: abc\n"
      "  - job_name: z\n    bearer_token: legacy\n");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  const scrape::ScrapeConfig& x = cfg->scrape_configs[0];
  EXPECT_EQ(x.scheme, "https");
  EXPECT_FALSE(x.http_client.follow_redirects);
  EXPECT_FALSE(x.http_client.enable_http2);
  EXPECT_EQ(x.http_client.tls_config, (scrape::TLSConfig{"ca.crt", "/c.crt", "/c.key", "example", true, "TLS13"}));
  ASSERT_TRUE(x.http_client.basic_auth.has_value());
  EXPECT_EQ(*x.http_client.basic_auth, (scrape::BasicAuth{"u", "", "pw"}));
  ASSERT_TRUE(x.http_sd_configs[0].http_client.authorization.has_value());
  EXPECT_EQ(*x.http_sd_configs[0].http_client.authorization, (scrape::Authorization{"Bearer", "", "tok"}));
  EXPECT_EQ(*cfg->scrape_configs[1].http_client.authorization, (scrape::Authorization{"Bearer", "abc", ""}));
  EXPECT_EQ(*cfg->scrape_configs[2].http_client.authorization, (scrape::Authorization{"Bearer", "legacy", ""}));
  EXPECT_TRUE(cfg->scrape_configs[1].http_client.follow_redirects);  // default
  const std::string yaml = ConfigToYaml(*cfg);
  EXPECT_NE(yaml.find("credentials: <secret>"), std::string::npos) << yaml;
  EXPECT_EQ(yaml.find("abc"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("password_file: pw"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("min_version: TLS13"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("follow_redirects: false"), std::string::npos) << yaml;

  const std::string head = "scrape_configs:\n  - job_name: x\n";
  EXPECT_EQ(ParseError(head + "    bearer_token: a\n    bearer_token_file: b\n"),
            "at most one of bearer_token & bearer_token_file must be configured");
  EXPECT_EQ(ParseError(head + "    basic_auth: {username: u}\n    bearer_token: a\n"),
            "at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured");
  EXPECT_EQ(ParseError(head + "    basic_auth: {username: u}\n    authorization: {credentials: a}\n"),
            "at most one of basic_auth, oauth2 & authorization must be configured");
  EXPECT_EQ(ParseError(head + "    authorization: {type: Basic, credentials: a}\n"),
            "authorization type cannot be set to \"basic\", use \"basic_auth\" instead");
  EXPECT_EQ(ParseError(head + "    authorization: {credentials: a, credentials_file: b}\n"),
            "at most one of authorization credentials & credentials_file must be configured");
  EXPECT_EQ(ParseError(head + "    basic_auth: {username: u, password: p, password_file: f}\n"),
            "at most one of basic_auth password, password_file & password_ref must be configured");
  EXPECT_EQ(ParseError(head + "    tls_config: {min_version: TLS9}\n"), "unknown TLS version: TLS9");
  EXPECT_EQ(ParseError(head + "    tls_config: {max_version: TLS13}\n"), "unsupported: max_version (line 3)");
}

TEST(ServerConfigSdTest, ScrapeConfigFiles) {
  char tmpl[] = "/tmp/promethium_cfg_files_XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  ASSERT_TRUE(Env::Default()->CreateDirs(dir + "/jobs").ok());
  const std::string path = dir + "/prometheus.yml";
  ASSERT_TRUE(WriteFileAtomically(Env::Default(), path,
                                  "global:\n  scrape_interval: 7s\nscrape_config_files: ['jobs/*.yml']\n"
                                  "scrape_configs:\n  - job_name: main\n")
                  .ok());
  ASSERT_TRUE(WriteFileAtomically(Env::Default(), dir + "/jobs/a.yml",
                                  "scrape_configs:\n  - job_name: a\n    file_sd_configs:\n      - files: [t.json]\n")
                  .ok());
  ASSERT_TRUE(WriteFileAtomically(Env::Default(), dir + "/jobs/b.yml", "scrape_configs:\n  - job_name: b\n").ok());
  auto cfg = LoadConfigFile(path);
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  ASSERT_EQ(cfg->scrape_configs.size(), 3u);
  EXPECT_EQ(cfg->scrape_configs[1].job_name, "a");
  EXPECT_EQ(cfg->scrape_configs[1].scrape_interval_ms, 7'000);  // the main file's global applies
  EXPECT_EQ(cfg->scrape_configs[1].file_sd_configs[0].files[0], dir + "/jobs/t.json");
  EXPECT_EQ(cfg->scrape_configs[2].job_name, "b");

  ASSERT_TRUE(WriteFileAtomically(Env::Default(), dir + "/jobs/b.yml", "scrape_configs:\n  - job_name: main\n").ok());
  auto dup = LoadConfigFile(path);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.status().message(), "parsing YAML file " + path + ": \"" + dir +
                                        "/jobs/b.yml\": found multiple scrape configs with job name \"main\", "
                                        "first found in main config file");
  ASSERT_TRUE(
      WriteFileAtomically(Env::Default(), dir + "/jobs/b.yml", "global: {}\nscrape_configs:\n  - job_name: c\n").ok());
  auto bad = LoadConfigFile(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("field global not found in type config.ScrapeConfigs"), std::string::npos)
      << bad.status().message();
  EXPECT_TRUE(Env::Default()->RemoveDirRecursively(tmpl).ok());
}

TEST(ServerConfigSdTest, RelativeFileSdPathsFollowTheConfigFile) {
  char tmpl[] = "/tmp/promethium_cfg_sd_XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string path = std::string(tmpl) + "/prometheus.yml";
  ASSERT_TRUE(WriteFileAtomically(Env::Default(), path,
                                  "scrape_configs:\n  - job_name: x\n    file_sd_configs:\n"
                                  "      - files: [t/*.json, /abs/a.json]\n"
                                  "    tls_config: {ca_file: ca.crt, cert_file: /abs/c.crt}\n"
                                  "    authorization: {credentials_file: secrets/token}\n")
                  .ok());
  auto cfg = LoadConfigFile(path);
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->scrape_configs[0].file_sd_configs[0].files,
            (std::vector<std::string>{std::string(tmpl) + "/t/*.json", "/abs/a.json"}));
  const scrape::HttpClientConfig& client = cfg->scrape_configs[0].http_client;
  EXPECT_EQ(client.tls_config.ca_file, std::string(tmpl) + "/ca.crt");
  EXPECT_EQ(client.tls_config.cert_file, "/abs/c.crt");
  EXPECT_EQ(client.authorization->credentials_file, std::string(tmpl) + "/secrets/token");
  EXPECT_TRUE(Env::Default()->RemoveDirRecursively(tmpl).ok());
}

}  // namespace
}  // namespace promethium::server

// --- scrape_protocols / fallback_scrape_protocol ---

namespace promethium::server {
namespace {

using scrape::ScrapeProtocol;

TEST(ServerConfigProtocolsTest, DefaultsAndGlobalInheritance) {
  Config cfg = MustParse("scrape_configs:\n  - job_name: a\n");
  ASSERT_EQ(cfg.scrape_configs.size(), 1u);
  EXPECT_EQ(cfg.scrape_configs[0].scrape_protocols, scrape::DefaultScrapeProtocols());
  EXPECT_FALSE(cfg.scrape_configs[0].fallback_scrape_protocol.has_value());

  cfg = MustParse(R"(
global:
  scrape_protocols: [PrometheusText0.0.4, OpenMetricsText1.0.0]
scrape_configs:
  - job_name: a
  - job_name: b
    scrape_protocols: [OpenMetricsText0.0.1]
    fallback_scrape_protocol: PrometheusText1.0.0
)");
  ASSERT_EQ(cfg.scrape_configs.size(), 2u);
  const std::vector<ScrapeProtocol> global = {ScrapeProtocol::kPrometheusText0_0_4,
                                              ScrapeProtocol::kOpenMetricsText1_0_0};
  EXPECT_EQ(cfg.global.scrape_protocols, global);
  EXPECT_EQ(cfg.scrape_configs[0].scrape_protocols, global);
  EXPECT_EQ(cfg.scrape_configs[1].scrape_protocols, std::vector<ScrapeProtocol>{ScrapeProtocol::kOpenMetricsText0_0_1});
  EXPECT_EQ(cfg.scrape_configs[1].fallback_scrape_protocol, ScrapeProtocol::kPrometheusText1_0_0);

  Config again = MustParse(ConfigToYaml(cfg));
  EXPECT_EQ(again.global, cfg.global);
  EXPECT_EQ(again.scrape_configs, cfg.scrape_configs);
}

TEST(ServerConfigProtocolsTest, ValidationMessages) {
  const std::string supported =
      "[OpenMetricsText0.0.1 OpenMetricsText1.0.0 PrometheusProto PrometheusText0.0.4 PrometheusText1.0.0]";
  EXPECT_EQ(ParseError("scrape_configs:\n  - job_name: a\n    scrape_protocols: []\n"),
            "scrape_protocols cannot be empty for scrape config with job name \"a\"");
  EXPECT_EQ(ParseError("scrape_configs:\n  - scrape_protocols: [Foo]\n    job_name: a\n"),
            "scrape_protocols: unknown scrape protocol Foo, supported: " + supported +
                " for scrape config with job name \"a\"");
  EXPECT_EQ(ParseError("scrape_configs:\n  - job_name: a\n    scrape_protocols: [PrometheusText0.0.4, "
                       "OpenMetricsText1.0.0, prometheustext0.0.4]\n"),
            "duplicated protocol in scrape_protocols, got [PrometheusText0.0.4 OpenMetricsText1.0.0 "
            "prometheustext0.0.4] for scrape config with job name \"a\"");
  EXPECT_EQ(ParseError("global:\n  scrape_protocols: []\n"), "scrape_protocols cannot be empty for global config");
  EXPECT_EQ(ParseError("global:\n  scrape_protocols: [x]\n"),
            "scrape_protocols: unknown scrape protocol x, supported: " + supported + " for global config");
  EXPECT_EQ(ParseError("scrape_configs:\n  - job_name: a\n    fallback_scrape_protocol: text\n"),
            "invalid fallback_scrape_protocol for scrape config with job name \"a\": unknown scrape protocol text, "
            "supported: " +
                supported);
}

TEST(ServerConfigProtocolsTest, PrometheusProtoIsAccepted) {
  Config cfg = MustParse(
      "global:\n  scrape_protocols: [OpenMetricsText1.0.0, PrometheusProto]\nscrape_configs:\n  - job_name: a\n"
      "  - job_name: b\n    scrape_protocols: [PrometheusProto]\n    fallback_scrape_protocol: PrometheusProto\n");
  EXPECT_EQ(cfg.scrape_configs[0].scrape_protocols,
            (std::vector<ScrapeProtocol>{ScrapeProtocol::kOpenMetricsText1_0_0, ScrapeProtocol::kPrometheusProto}));
  EXPECT_EQ(cfg.scrape_configs[1].scrape_protocols, std::vector<ScrapeProtocol>{ScrapeProtocol::kPrometheusProto});
  EXPECT_EQ(cfg.scrape_configs[1].fallback_scrape_protocol, ScrapeProtocol::kPrometheusProto);
}

}  // namespace
}  // namespace promethium::server
