// ScrapeManager with relabeling: dropped targets are kept for the targets
// API, and a change of metric_relabel_configs does not reuse scrape caches.
// Everything runs on 127.0.0.1 with bounded waits.
#include "scrape/scrape_manager.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <string>
#include <thread>

#include "scrape/discovery/test_http_server.h"
#include "scrape/fake_appendable.h"
#include "tsdb/api/sample.h"

namespace promethium::scrape {
namespace {

ScrapeConfig TwoTargets(const std::string& job) {
  ScrapeConfig cfg;
  cfg.job_name = job;
  cfg.scrape_interval_ms = 3'600'000;
  cfg.scrape_timeout_ms = 1'000;
  cfg.static_configs.push_back({{"127.0.0.1:1"}, Labels{{"env", "prod"}}, "static_configs/0"});
  cfg.static_configs.push_back({{"127.0.0.1:2"}, Labels{{"env", "dev"}}, "static_configs/1"});
  return cfg;
}

RelabelConfig KeepEnv(const std::string& env) {
  RelabelConfig c;
  c.action = RelabelAction::kKeep;
  c.source_labels = {"env"};
  c.regex = RelabelRegex::Make(env).value();
  return c;
}

TEST(ScrapeManagerRelabelTest, DroppedTargetsAreReported) {
  FakeAppendable db;
  ScrapeManager mgr(&db, nullptr);
  ScrapeConfig cfg = TwoTargets("a");
  cfg.relabel_configs.push_back(KeepEnv("prod"));
  ASSERT_TRUE(mgr.ApplyConfig({cfg, TwoTargets("b")}).ok());

  auto active = mgr.Targets();
  ASSERT_EQ(active.size(), 3u);
  EXPECT_EQ(active[0].scrape_pool, "a");
  EXPECT_EQ(active[0].labels.Get("instance"), "127.0.0.1:1");
  auto dropped = mgr.DroppedTargets();
  ASSERT_EQ(dropped.size(), 1u);
  EXPECT_EQ(dropped[0].scrape_pool, "a");
  EXPECT_EQ(dropped[0].discovered_labels.Get("__address__"), "127.0.0.1:2");
  EXPECT_EQ(dropped[0].discovered_labels.Get("env"), "dev");

  // Changing the rule swaps which target is active.
  cfg.relabel_configs = {KeepEnv("dev")};
  ASSERT_TRUE(mgr.ApplyConfig({cfg}).ok());
  active = mgr.Targets();
  ASSERT_EQ(active.size(), 1u);
  EXPECT_EQ(active[0].labels.Get("instance"), "127.0.0.1:2");
  dropped = mgr.DroppedTargets();
  ASSERT_EQ(dropped.size(), 1u);
  EXPECT_EQ(dropped[0].discovered_labels.Get("__address__"), "127.0.0.1:1");

  // Without rules nothing is dropped; a removed pool takes its drops along.
  ASSERT_TRUE(mgr.ApplyConfig({TwoTargets("a")}).ok());
  EXPECT_TRUE(mgr.DroppedTargets().empty());
  EXPECT_EQ(mgr.Targets().size(), 2u);
  mgr.Stop();
}

RelabelConfig DropMetric(const std::string& name) {
  RelabelConfig c;
  c.action = RelabelAction::kDrop;
  c.source_labels = {"__name__"};
  c.regex = RelabelRegex::Make(name).value();
  return c;
}

bool HasSample(const FakeAppendable& db, const std::string& name, bool stale) {
  for (const auto& r : db.ByName(name)) {
    if (IsStaleNaN(r.v) == stale) return true;
  }
  return false;
}

// The cache holds relabeled labels and remembered drops, so new metric
// relabeling rules must start from an empty cache: series the old rules kept
// end with stale markers, series they dropped appear.
TEST(ScrapeManagerRelabelTest, NewMetricRulesDoNotReuseTheCache) {
  using namespace std::chrono_literals;
  TestHttpServer server("a 1\nb 2\n", "text/plain");
  FakeAppendable db;
  ScrapeManager mgr(&db, nullptr);
  ScrapeConfig cfg;
  cfg.job_name = "j";
  cfg.scrape_interval_ms = 100;
  cfg.scrape_timeout_ms = 100;
  cfg.static_configs.push_back({{server.address()}, Labels{}, ""});
  cfg.metric_relabel_configs = {DropMetric("b")};
  ASSERT_TRUE(mgr.ApplyConfig({cfg}).ok());
  for (int i = 0; i < 100 && db.ByName("a").size() < 2; ++i) std::this_thread::sleep_for(50ms);
  ASSERT_GE(db.ByName("a").size(), 2u);
  EXPECT_TRUE(db.ByName("b").empty());

  cfg.metric_relabel_configs = {DropMetric("a")};
  ASSERT_TRUE(mgr.ApplyConfig({cfg}).ok());
  for (int i = 0; i < 100 && !HasSample(db, "b", false); ++i) std::this_thread::sleep_for(50ms);
  EXPECT_TRUE(HasSample(db, "b", false));
  EXPECT_TRUE(HasSample(db, "a", true));  // ended by the old loop
  mgr.Stop();
  const auto a = db.ByName("a");
  EXPECT_TRUE(IsStaleNaN(a.back().v));  // no fresh "a" after the stale marker
}

TEST(ScrapeManagerLimitsTest, KeepDroppedTargetsBoundsTheList) {
  FakeAppendable db;
  ScrapeManager mgr(&db, nullptr);
  ScrapeConfig cfg = TwoTargets("a");
  cfg.static_configs.push_back({{"127.0.0.1:3"}, Labels{{"env", "dev"}}, "static_configs/2"});
  cfg.relabel_configs.push_back(KeepEnv("none"));
  ASSERT_TRUE(mgr.ApplyConfig({cfg}).ok());
  EXPECT_EQ(mgr.DroppedTargets().size(), 3u);
  cfg.keep_dropped_targets = 2;
  ASSERT_TRUE(mgr.ApplyConfig({cfg}).ok());
  EXPECT_EQ(mgr.DroppedTargets().size(), 2u);
}

TEST(ScrapeManagerLimitsTest, TargetLimitFailsEveryTarget) {
  TestHttpServer server("m 1\n", "text/plain; version=0.0.4");
  FakeAppendable db;
  ScrapeManager mgr(&db, nullptr);
  ScrapeConfig cfg;
  cfg.job_name = "lim";
  cfg.scrape_interval_ms = 200;
  cfg.scrape_timeout_ms = 100;
  cfg.target_limit = 1;
  cfg.static_configs.push_back({{server.address()}, Labels{{"n", "1"}}, "static_configs/0"});
  cfg.static_configs.push_back({{server.address()}, Labels{{"n", "2"}}, "static_configs/1"});
  ASSERT_TRUE(mgr.ApplyConfig({cfg}).ok());
  auto wait_health = [&](const std::string& want) {
    std::vector<TargetStatus> t;
    for (int i = 0; i < 100; ++i) {
      t = mgr.Targets();
      bool all = t.size() == 2;
      for (const TargetStatus& s : t) all = all && s.health == want;
      if (all) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return t;
  };
  auto targets = wait_health("down");
  ASSERT_EQ(targets.size(), 2u);
  for (const TargetStatus& t : targets) {
    EXPECT_EQ(t.health, "down");
    EXPECT_EQ(t.last_error, "target_limit exceeded (number of targets: 2, limit: 1)");
  }
  EXPECT_EQ(server.requests(), 0);  // no target was contacted

  cfg.target_limit = 2;  // raising the limit heals the pool without restarting loops
  ASSERT_TRUE(mgr.ApplyConfig({cfg}).ok());
  targets = wait_health("up");
  for (const TargetStatus& t : targets) EXPECT_EQ(t.health, "up") << t.last_error;
  EXPECT_GT(server.requests(), 0);
}

TEST(ScrapeManagerMetadataTest, TargetsMetadataAfterScrape) {
  TestHttpServer server("# HELP m A metric.\n# TYPE m gauge\nm 1\n", "text/plain; version=0.0.4");
  FakeAppendable db;
  ScrapeManager mgr(&db, nullptr);
  ScrapeConfig cfg;
  cfg.job_name = "md";
  cfg.scrape_interval_ms = 200;
  cfg.scrape_timeout_ms = 100;
  cfg.static_configs.push_back({{server.address()}, Labels{}, "static_configs/0"});
  ASSERT_TRUE(mgr.ApplyConfig({cfg}).ok());
  std::vector<TargetMetadata> md;
  for (int i = 0; i < 100 && md.empty(); ++i) {
    md = mgr.TargetsMetadata();
    if (md.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(md.size(), 1u);
  EXPECT_EQ(md[0].scrape_pool, "md");
  EXPECT_EQ(md[0].target.Get("instance"), server.address());
  EXPECT_EQ(md[0].target.Get("job"), "md");
  EXPECT_EQ(md[0].metric, "m");
  EXPECT_EQ(md[0].type, "gauge");
  EXPECT_EQ(md[0].help, "A metric.");
  EXPECT_EQ(md[0].unit, "");
}

}  // namespace
}  // namespace promethium::scrape
