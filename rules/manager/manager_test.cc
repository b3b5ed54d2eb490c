// Tests for Manager: loading files, bad files keeping the old rules, reload
// keeping alert state and writing staleness markers, `for` restore.
#include "rules/manager/manager.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "promql/engine/engine.h"
#include "rules/manager/test_storage.h"
#include "tsdb/api/sample.h"
#include "tsdb/base/metrics.h"

namespace promethium::rules {
namespace {

class ManagerTest : public ::testing::Test {
 protected:
  ManagerTest() : engine_(promql::EngineOptions{}) {
    dir_ = std::filesystem::temp_directory_path() / ("rules_manager_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    opts_.rules.query = EngineQueryFunc(&engine_, &st_);
    opts_.rules.appendable = &st_;
    opts_.rules.queryable = &st_;
    opts_.rules.now_ms = [this] { return now_ms_; };
  }
  ~ManagerTest() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    std::string p = (dir_ / name).string();
    std::ofstream(p) << text;
    return p;
  }
  std::shared_ptr<Group> Only(Manager& m) {
    auto gs = m.RuleGroups();
    EXPECT_EQ(gs.size(), 1u);
    return gs.empty() ? nullptr : gs[0];
  }

  std::filesystem::path dir_;
  testing::FakeStorage st_;
  promql::Engine engine_;
  ManagerOptions opts_;
  int64_t now_ms_ = 0;
};

constexpr char kRules[] = R"(groups:
  - name: g
    labels: {team: a, env: prod}
    rules:
      - record: r1
        expr: up
        labels: {env: dev}
      - alert: Down
        expr: up == 0
        for: 2m
        labels: {severity: page}
        annotations: {summary: "{{ $labels.job }} down"}
)";

TEST_F(ManagerTest, LoadsGroupsAndMergesLabels) {
  Manager m(opts_);
  std::string f = Write("a.yml", kRules);
  std::string f2 =
      Write("b.yml", "groups:\n  - name: z\n    interval: 10s\n    rules:\n      - record: x\n        expr: '1'\n");
  ASSERT_TRUE(m.Update(60000, {f2, f}, Labels(), "", 0).ok());
  auto gs = m.RuleGroups();
  ASSERT_EQ(gs.size(), 2u);
  EXPECT_EQ(gs[0]->file(), f);  // sorted by file
  EXPECT_EQ(gs[0]->interval_ms(), 60000);
  EXPECT_EQ(gs[1]->interval_ms(), 10000);
  EXPECT_EQ(gs[0]->rules()[0]->labels(), (Labels{{"env", "dev"}, {"team", "a"}}));
  EXPECT_EQ(gs[0]->rules()[1]->labels(), (Labels{{"env", "prod"}, {"severity", "page"}, {"team", "a"}}));
}

TEST_F(ManagerTest, BadFileKeepsRunningRules) {
  Manager m(opts_);
  std::string f = Write("a.yml", kRules);
  ASSERT_TRUE(m.Update(60000, {f}, Labels(), "", 0).ok());
  auto before = Only(m);
  std::string bad = Write("bad.yml",
                          "groups:\n  - name: g\n    rules:\n      - alert: X\n        expr: up\n        "
                          "annotations: {a: '{{ .Foo '}\n");
  Status st = m.Update(60000, {f, bad}, Labels(), "", 0);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("bad.yml"), std::string::npos) << st.message();
  EXPECT_EQ(Only(m), before);
  // An unchanged reload keeps the very same group.
  ASSERT_TRUE(m.Update(60000, {f}, Labels(), "", 0).ok());
  EXPECT_EQ(Only(m), before);
}

TEST_F(ManagerTest, ReloadKeepsAlertStateOfUnchangedRulesAndMarksRemovedRuleStale) {
  st_.Add(Labels{{"__name__", "up"}, {"job", "j"}}, 0, 0);
  Manager m(opts_);
  std::string f = Write("a.yml", kRules);
  ASSERT_TRUE(m.Update(60000, {f}, Labels(), "", 0).ok());
  auto g1 = Only(m);
  for (const auto& r : g1->rules()) {
    if (r->is_alerting()) static_cast<AlertingRule&>(*r).SetRestored(true);
  }
  g1->EvalOnce(0);
  ASSERT_EQ(m.ActiveAlerts().size(), 1u);
  EXPECT_EQ(m.ActiveAlerts()[0].annotations.Get("summary"), "j down");

  // Drop r1, add r3: the group changes, Down keeps its activeAt.
  std::string changed = kRules;
  changed.replace(changed.find("      - record: r1\n        expr: up\n        labels: {env: dev}\n"),
                  std::string("      - record: r1\n        expr: up\n        labels: {env: dev}\n").size(),
                  "      - record: r3\n        expr: up * 3\n");
  Write("a.yml", changed);
  ASSERT_TRUE(m.Update(60000, {f}, Labels(), "", 0).ok());
  auto g2 = Only(m);
  ASSERT_NE(g2, g1);
  auto alerts = m.ActiveAlerts();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].active_at_ms, 0);
  g2->EvalOnce(120000);
  alerts = m.ActiveAlerts();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].state, AlertState::kFiring);  // 2m after the original activeAt

  auto r1 = st_.Samples(Labels{{"__name__", "r1"}, {"env", "dev"}, {"job", "j"}, {"team", "a"}});
  ASSERT_EQ(r1.size(), 2u);
  EXPECT_EQ(r1[1].t, 120000);
  EXPECT_TRUE(IsStaleNaN(r1[1].v));
}

TEST_F(ManagerTest, RemovedGroupSeriesGoStale) {
  st_.Add(Labels{{"__name__", "up"}, {"job", "j"}}, 0, 1);
  Manager m(opts_);
  std::string f = Write("a.yml", kRules);
  std::string f2 = Write("b.yml", "groups:\n  - name: z\n    rules:\n      - record: x\n        expr: up\n");
  ASSERT_TRUE(m.Update(60000, {f, f2}, Labels(), "", 0).ok());
  for (auto& g : m.RuleGroups()) g->EvalOnce(0);
  now_ms_ = 30000;
  ASSERT_TRUE(m.Update(60000, {f}, Labels(), "", 0).ok());
  auto x = st_.Samples(Labels{{"__name__", "x"}, {"job", "j"}});
  ASSERT_EQ(x.size(), 2u);
  EXPECT_EQ(x[1].t, 30000);
  EXPECT_TRUE(IsStaleNaN(x[1].v));
  EXPECT_EQ(st_.Samples(Labels{{"__name__", "r1"}, {"env", "dev"}, {"job", "j"}, {"team", "a"}}).size(), 1u);
}

TEST_F(ManagerTest, RemovedGroupMetricsStopBeingExportedReplacedGroupKeepsThem) {
  st_.Add(Labels{{"__name__", "up"}, {"job", "j"}}, 0, 1);
  MetricsRegistry reg;  // outlives the manager
  opts_.rules.metrics = &reg;
  Manager m(opts_);
  std::string f = Write("a.yml", kRules);
  std::string f2 = Write("b.yml", "groups:\n  - name: z\n    rules:\n      - record: x\n        expr: up\n");
  ASSERT_TRUE(m.Update(60000, {f, f2}, Labels(), "", 0).ok());
  for (auto& g : m.RuleGroups()) g->EvalOnce(0);
  const std::string g_evals = "prometheus_rule_evaluations_total{rule_group=\"" + f + ";g\"} ";
  const std::string z_label = "rule_group=\"" + f2 + ";z\"";
  std::string text = reg.RenderText();
  EXPECT_NE(text.find(g_evals + "2\n"), std::string::npos);
  EXPECT_NE(text.find(z_label), std::string::npos);
  EXPECT_NE(text.find("# TYPE prometheus_rule_group_duration_seconds summary\n"), std::string::npos);
  EXPECT_NE(text.find("prometheus_rule_evaluation_duration_seconds_count 3\n"), std::string::npos);

  // g changes (replaced, its series carry on), z is removed (its series go).
  Write("a.yml", std::string(kRules) + "      - record: r4\n        expr: up * 4\n");
  ASSERT_TRUE(m.Update(60000, {f}, Labels(), "", 0).ok());
  Only(m)->EvalOnce(60000);
  text = reg.RenderText();
  EXPECT_NE(text.find(g_evals + "5\n"), std::string::npos) << text;
  EXPECT_NE(text.find("prometheus_rule_group_rules{rule_group=\"" + f + ";g\"} 3\n"), std::string::npos);
  EXPECT_EQ(text.find(z_label), std::string::npos) << text;
}

TEST_F(ManagerTest, FirstLoadRestoresForState) {
  // Before the "restart": Down was pending since 1000s, last written at 1200s.
  Labels fs{{"__name__", "ALERTS_FOR_STATE"},
            {"alertname", "Down"},
            {"env", "prod"},
            {"job", "j"},
            {"severity", "page"},
            {"team", "a"}};
  for (int64_t t = 1000; t <= 1200; t += 50) st_.Add(fs, t * 1000, 1000);
  st_.Add(Labels{{"__name__", "up"}, {"job", "j"}}, 1400000, 0);
  std::string rules = kRules;
  rules.replace(rules.find("for: 2m"), 7, "for: 30m");
  Manager m(opts_);
  ASSERT_TRUE(m.Update(60000, {Write("a.yml", rules)}, Labels(), "", 0).ok());
  auto g = Only(m);
  g->EvalOnce(1500000);
  EXPECT_TRUE(st_.Samples(Labels{{"__name__", "ALERTS"},
                                 {"alertname", "Down"},
                                 {"alertstate", "pending"},
                                 {"env", "prod"},
                                 {"job", "j"},
                                 {"severity", "page"},
                                 {"team", "a"}})
                  .empty());  // not restored yet: no ALERTS
  g->RestoreForState(1500000);
  auto alerts = m.ActiveAlerts();
  ASSERT_EQ(alerts.size(), 1u);
  // Pending 200s of 1800s when it went down at 1200s: shifted by the 300s outage.
  EXPECT_EQ(alerts[0].active_at_ms, 1300000);
  g->EvalOnce(1560000);
  auto s = st_.Samples(fs);
  EXPECT_EQ(s.back().t, 1560000);
  EXPECT_EQ(s.back().v, 1300);

  // A later Update loads new groups already restored.
  Write("b.yml", "groups:\n  - name: z\n    rules:\n      - alert: Y\n        expr: up == 0\n");
  ASSERT_TRUE(m.Update(60000, {(dir_ / "a.yml").string(), (dir_ / "b.yml").string()}, Labels(), "", 0).ok());
  for (const auto& gr : m.RuleGroups()) {
    if (gr->name() == "z") {
      EXPECT_TRUE(static_cast<AlertingRule&>(*gr->rules()[0]).restored());
    }
  }
}

TEST_F(ManagerTest, StartStopRunsGroups) {
  opts_.rules.now_ms = nullptr;
  std::atomic<int> calls{0};
  opts_.rules.query = [&](std::string_view, int64_t) -> Result<promql::Vector> {
    ++calls;
    return promql::Vector{};
  };
  Manager m(opts_);
  ASSERT_TRUE(m.Update(60000,
                       {Write("c.yml",
                              "groups:\n  - name: fast\n    interval: 20ms\n    rules:\n      - record: "
                              "x\n        expr: '1'\n")},
                       Labels(), "", 0)
                  .ok());
  m.Start();
  ASSERT_EQ(m.RuleGroups().size(), 1u);
  EXPECT_TRUE(m.RuleGroups()[0]->running());
  for (int i = 0; i < 500 && calls.load() < 3; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_GE(calls.load(), 3);  // the group evaluates every 20ms
  m.Stop();
  // Stop returned only after the group's thread ended: nothing evaluates
  // any more (checked now, not by waiting to see nothing happen).
  EXPECT_FALSE(m.RuleGroups()[0]->running());
  EXPECT_TRUE(m.Update(60000, {}, Labels(), "", 0).ok());  // no-op after Stop
  EXPECT_EQ(m.RuleGroups().size(), 1u);
}

}  // namespace
}  // namespace promethium::rules
