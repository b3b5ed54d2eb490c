#include "scrape/target.h"

#include <gtest/gtest.h>

namespace promethium::scrape {
namespace {

ScrapeConfig BaseConfig() {
  ScrapeConfig cfg;
  cfg.job_name = "node";
  cfg.scrape_interval_ms = 15'000;
  cfg.scrape_timeout_ms = 10'000;
  cfg.static_configs.push_back({{"localhost:9100"}, Labels{{"env", "prod"}}, "static_configs/0"});
  return cfg;
}

TEST(TargetTest, StaticTargetLabels) {
  ScrapeConfig cfg = BaseConfig();
  auto targets = BuildTargets(cfg);
  ASSERT_TRUE(targets.ok()) << targets.status().ToString();
  ASSERT_EQ(targets->size(), 1u);
  const Target& t = (*targets)[0];
  EXPECT_EQ(t.discovered_labels, (Labels{{"__address__", "localhost:9100"},
                                         {"__metrics_path__", "/metrics"},
                                         {"__scheme__", "http"},
                                         {"__scrape_interval__", "15s"},
                                         {"__scrape_timeout__", "10s"},
                                         {"env", "prod"},
                                         {"job", "node"}}));
  EXPECT_EQ(t.labels, (Labels{{"env", "prod"}, {"instance", "localhost:9100"}, {"job", "node"}}));
  EXPECT_EQ(t.Url(), "http://localhost:9100/metrics");
  EXPECT_EQ(t.interval_ms, 15'000);
  EXPECT_EQ(t.timeout_ms, 10'000);
}

TEST(TargetTest, GroupLabelsOverrideConfigLabels) {
  ScrapeConfig cfg = BaseConfig();
  cfg.static_configs[0].labels = Labels{{"job", "custom"},
                                        {"instance", "pretty-name"},
                                        {"__metrics_path__", "/other"},
                                        {"__scrape_interval__", "5s"},
                                        {"__scrape_timeout__", "2s"}};
  auto t = BuildTargets(cfg);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ((*t)[0].labels, (Labels{{"instance", "pretty-name"}, {"job", "custom"}}));
  EXPECT_EQ((*t)[0].Url(), "http://localhost:9100/other");
  EXPECT_EQ((*t)[0].interval_ms, 5'000);
  EXPECT_EQ((*t)[0].timeout_ms, 2'000);
}

TEST(TargetTest, ParamsBecomeLabelsAndQuery) {
  ScrapeConfig cfg = BaseConfig();
  cfg.params["module"] = {"http_2xx", "second"};
  cfg.params["target"] = {"a b&c"};
  cfg.static_configs[0].labels = Labels{{"__param_module", "icmp"}};
  auto t = BuildTargets(cfg);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ((*t)[0].discovered_labels.Get("__param_module"), "icmp");
  EXPECT_EQ((*t)[0].discovered_labels.Get("__param_target"), "a b&c");
  EXPECT_FALSE((*t)[0].labels.Has("__param_module"));
  EXPECT_EQ((*t)[0].Url(), "http://localhost:9100/metrics?module=icmp&module=second&target=a+b%26c");
}

TEST(TargetTest, MultipleGroupsAndTargets) {
  ScrapeConfig cfg = BaseConfig();
  cfg.static_configs.push_back({{"a:1", "b:2"}, Labels{}, "static_configs/1"});
  auto t = BuildTargets(cfg);
  ASSERT_TRUE(t.ok());
  ASSERT_EQ(t->size(), 3u);
  EXPECT_EQ((*t)[2].labels, (Labels{{"instance", "b:2"}, {"job", "node"}}));
}

TEST(TargetTest, InvalidTargets) {
  ScrapeConfig cfg = BaseConfig();
  cfg.static_configs[0].targets = {"http://host:80/path"};
  auto t = BuildTargets(cfg);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("is not a valid hostname"), std::string::npos) << t.status().message();

  cfg = BaseConfig();
  cfg.static_configs[0].labels = Labels{{"__scrape_timeout__", "20s"}};
  t = BuildTargets(cfg);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("scrape timeout cannot be greater than scrape interval (\"20s\" > \"15s\")"),
            std::string::npos)
      << t.status().message();

  cfg = BaseConfig();
  cfg.static_configs[0].labels = Labels{{"__scrape_interval__", "bogus"}};
  t = BuildTargets(cfg);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("error parsing scrape interval"), std::string::npos);

  cfg = BaseConfig();
  cfg.scheme = "https";
  EXPECT_TRUE(BuildTargets(cfg).ok());
  cfg.scheme = "ftp";
  t = BuildTargets(cfg);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), Status::Code::kUnsupported);
}

TEST(TargetTest, OffsetIsStablePhaseWithinInterval) {
  auto t = BuildTargets(BaseConfig());
  ASSERT_TRUE(t.ok());
  const Target& target = (*t)[0];
  const int64_t now = 1'700'000'000'123;
  int64_t off = target.OffsetMs(now);
  EXPECT_GE(off, 0);
  EXPECT_LE(off, target.interval_ms);
  // The scrape lands at the same phase of the interval whenever we ask.
  int64_t phase = (now + off) % target.interval_ms;
  for (int64_t later : {now + 1, now + 4321, now + 15'000 * 7 + 99}) {
    EXPECT_EQ((later + target.OffsetMs(later)) % target.interval_ms, phase);
  }
}

TEST(MergeTargetLabelsTest, ConflictsBecomeExported) {
  Labels target{{"instance", "h:1"}, {"job", "node"}};
  Labels exposed{{"__name__", "m"}, {"job", "inner"}, {"exported_job", "taken"}, {"x", "y"}};
  EXPECT_EQ(MergeTargetLabels(exposed, target, false), (Labels{{"__name__", "m"},
                                                               {"exported_exported_job", "inner"},
                                                               {"exported_job", "taken"},
                                                               {"instance", "h:1"},
                                                               {"job", "node"},
                                                               {"x", "y"}}));
}

TEST(MergeTargetLabelsTest, HonorLabelsKeepsExposition) {
  Labels target{{"instance", "h:1"}, {"job", "node"}};
  Labels exposed{{"__name__", "m"}, {"job", "inner"}};
  EXPECT_EQ(MergeTargetLabels(exposed, target, true),
            (Labels{{"__name__", "m"}, {"instance", "h:1"}, {"job", "inner"}}));
}

TEST(QueryEscapeTest, MatchesGo) { EXPECT_EQ(QueryEscape("a b/c?d=é~_.-"), "a+b%2Fc%3Fd%3D%C3%A9~_.-"); }

// --- relabel_configs ---

RelabelConfig RelabelRule(RelabelAction action, std::vector<std::string> sources, std::string regex,
                          std::string target_label = "", std::string replacement = "$1") {
  RelabelConfig c;
  c.action = action;
  c.source_labels = std::move(sources);
  if (!regex.empty()) c.regex = RelabelRegex::Make(regex).value();
  c.target_label = std::move(target_label);
  c.replacement = std::move(replacement);
  EXPECT_TRUE(c.Validate().ok()) << c.Validate().ToString();
  return c;
}

ScrapeConfig TwoTargetConfig() {
  ScrapeConfig cfg = BaseConfig();
  cfg.static_configs.push_back({{"otherhost:9100"}, Labels{{"env", "dev"}}, "static_configs/1"});
  return cfg;
}

TEST(TargetRelabelTest, KeepSelectsTargetsAndRemembersDropped) {
  ScrapeConfig cfg = TwoTargetConfig();
  cfg.relabel_configs.push_back(RelabelRule(RelabelAction::kKeep, {"env"}, "prod"));
  auto set = BuildTargetSet(cfg);
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  ASSERT_EQ(set->active.size(), 1u);
  EXPECT_EQ(set->active[0].address, "localhost:9100");
  ASSERT_EQ(set->dropped.size(), 1u);
  EXPECT_EQ(set->dropped[0].Get("__address__"), "otherhost:9100");
  EXPECT_EQ(set->dropped[0].Get("env"), "dev");  // discovered labels, before relabeling
  EXPECT_EQ(BuildTargets(cfg)->size(), 1u);
}

TEST(TargetRelabelTest, DropRemovesMatchingTargets) {
  ScrapeConfig cfg = TwoTargetConfig();
  cfg.relabel_configs.push_back(RelabelRule(RelabelAction::kDrop, {"__address__"}, "localhost:.*"));
  auto set = BuildTargetSet(cfg);
  ASSERT_TRUE(set.ok());
  ASSERT_EQ(set->active.size(), 1u);
  EXPECT_EQ(set->active[0].address, "otherhost:9100");
  EXPECT_EQ(set->dropped.size(), 1u);
}

TEST(TargetRelabelTest, RewritesAddressAndInstance) {
  ScrapeConfig cfg = BaseConfig();
  cfg.relabel_configs.push_back(
      RelabelRule(RelabelAction::kReplace, {"__address__"}, "(.*):9100", "__address__", "$1:9200"));
  auto t = BuildTargets(cfg);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ((*t)[0].Url(), "http://localhost:9200/metrics");
  EXPECT_EQ((*t)[0].labels.Get("instance"), "localhost:9200");
  EXPECT_EQ((*t)[0].discovered_labels.Get("__address__"), "localhost:9100");
}

// The blackbox-exporter pattern: the address becomes a URL parameter and the
// exporter's address replaces it.
TEST(TargetRelabelTest, ParamLabelsBecomeUrlParameters) {
  ScrapeConfig cfg = BaseConfig();
  cfg.params["module"] = {"http_2xx"};
  cfg.relabel_configs.push_back(RelabelRule(RelabelAction::kReplace, {"__address__"}, "", "__param_target"));
  cfg.relabel_configs.push_back(RelabelRule(RelabelAction::kReplace, {"__param_target"}, "", "instance"));
  cfg.relabel_configs.push_back(RelabelRule(RelabelAction::kReplace, {}, "", "__address__", "127.0.0.1:9115"));
  auto t = BuildTargets(cfg);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ((*t)[0].Url(), "http://127.0.0.1:9115/metrics?module=http_2xx&target=localhost%3A9100");
  EXPECT_EQ((*t)[0].labels, (Labels{{"env", "prod"}, {"instance", "localhost:9100"}, {"job", "node"}}));
}

TEST(TargetRelabelTest, LabelMapOfMetaLabelsThenMetaRemoved) {
  ScrapeConfig cfg = BaseConfig();
  cfg.static_configs[0].labels = Labels{{"__meta_az", "eu-1"}, {"__meta_rack", "r7"}, {"env", "prod"}};
  cfg.relabel_configs.push_back(RelabelRule(RelabelAction::kLabelMap, {}, "__meta_(.+)"));
  cfg.relabel_configs.push_back(RelabelRule(RelabelAction::kReplace, {"env"}, "", "__tmp_env"));
  auto t = BuildTargets(cfg);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ((*t)[0].labels,
            (Labels{{"az", "eu-1"}, {"env", "prod"}, {"instance", "localhost:9100"}, {"job", "node"}, {"rack", "r7"}}));
  EXPECT_TRUE((*t)[0].discovered_labels.Has("__meta_az"));
}

TEST(TargetRelabelTest, RelabeledSettingsAreValidated) {
  ScrapeConfig cfg = BaseConfig();
  cfg.relabel_configs.push_back(RelabelRule(RelabelAction::kLabelDrop, {}, "__address__"));
  auto t = BuildTargets(cfg);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(), "job \"node\" target \"localhost:9100\": no address");

  cfg.relabel_configs = {RelabelRule(RelabelAction::kReplace, {}, "", "__scrape_timeout__", "20s")};
  t = BuildTargets(cfg);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("scrape timeout cannot be greater than scrape interval"), std::string::npos);

  cfg.relabel_configs = {RelabelRule(RelabelAction::kReplace, {}, "", "__metrics_path__", "/probe"),
                         RelabelRule(RelabelAction::kReplace, {}, "", "__scrape_interval__", "30s")};
  t = BuildTargets(cfg);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ((*t)[0].Url(), "http://localhost:9100/probe");
  EXPECT_EQ((*t)[0].interval_ms, 30'000);
}

TEST(TargetRelabelTest, MetricRelabelConfigsSharedByTheJobsTargets) {
  ScrapeConfig cfg = TwoTargetConfig();
  EXPECT_EQ((*BuildTargets(cfg))[0].metric_relabel_configs, nullptr);
  cfg.metric_relabel_configs.push_back(RelabelRule(RelabelAction::kDrop, {"__name__"}, "x"));
  auto t = BuildTargets(cfg);
  ASSERT_TRUE(t.ok());
  ASSERT_NE((*t)[0].metric_relabel_configs, nullptr);
  EXPECT_EQ((*t)[0].metric_relabel_configs, (*t)[1].metric_relabel_configs);
  EXPECT_EQ(*(*t)[0].metric_relabel_configs, cfg.metric_relabel_configs);
}

}  // namespace
}  // namespace promethium::scrape
