// Tests for Group: rule order within an iteration, staleness markers, query
// offset, ALERTS in storage, errors and self-metrics, alignment and missed
// iterations.
#include "rules/manager/group.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "promql/engine/engine.h"
#include "rules/manager/recording_rule.h"
#include "rules/manager/test_storage.h"
#include "tsdb/api/sample.h"

namespace promethium::rules {
namespace {

class GroupTest : public ::testing::Test {
 protected:
  GroupTest() : engine_(promql::EngineOptions{}) {
    deps_.query = EngineQueryFunc(&engine_, &st_);
    deps_.appendable = &st_;
    deps_.queryable = &st_;
    deps_.metrics = &registry_;
  }
  std::unique_ptr<Group> Make(std::vector<std::unique_ptr<Rule>> rules, int64_t interval_ms = 60000,
                              int64_t offset_ms = -1, int64_t limit = 0) {
    GroupOptions o;
    o.name = "g";
    o.file = "f.yml";
    o.interval_ms = interval_ms;
    o.query_offset_ms = offset_ms;
    o.limit = limit;
    o.rules = std::move(rules);
    return std::make_unique<Group>(std::move(o), &deps_);
  }

  testing::FakeStorage st_;
  promql::Engine engine_;
  MetricsRegistry registry_;
  RulesOptions deps_;
};

std::vector<std::unique_ptr<Rule>> Rules(std::unique_ptr<Rule> a, std::unique_ptr<Rule> b = nullptr) {
  std::vector<std::unique_ptr<Rule>> v;
  v.push_back(std::move(a));
  if (b) v.push_back(std::move(b));
  return v;
}

TEST_F(GroupTest, LaterRuleSeesEarlierRuleOutputInSameRound) {
  st_.Add(Labels{{"__name__", "up"}, {"job", "a"}}, 0, 3);
  auto g = Make(Rules(std::make_unique<RecordingRule>("doubled", "up * 2", Labels()),
                      std::make_unique<RecordingRule>("plus_one", "doubled + 1", Labels())));
  g->EvalOnce(10000);
  auto s = st_.Samples(Labels{{"__name__", "plus_one"}, {"job", "a"}});
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].t, 10000);
  EXPECT_EQ(s[0].v, 7);
  EXPECT_EQ(g->rules()[1]->status().health, RuleHealth::kGood);
  EXPECT_EQ(g->last_eval_timestamp_ms(), 10000);
}

TEST_F(GroupTest, QueryOffsetGroupAndDefault) {
  st_.Add(Labels{{"__name__", "m"}}, 0, 1);
  st_.Add(Labels{{"__name__", "m"}}, 50000, 2);
  auto g = Make(Rules(std::make_unique<RecordingRule>("r", "m", Labels())), 60000, 20000);
  g->EvalOnce(60000);
  auto s = st_.Samples(Labels{{"__name__", "r"}});
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].t, 40000);
  EXPECT_EQ(s[0].v, 1);  // the query ran at 40s

  auto d = Make(Rules(std::make_unique<RecordingRule>("r2", "m", Labels())));
  d->SetDefaultQueryOffset(5000);
  EXPECT_EQ(d->query_offset_ms(), 5000);
  d->EvalOnce(60000);
  s = st_.Samples(Labels{{"__name__", "r2"}});
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].t, 55000);
  EXPECT_EQ(s[0].v, 2);
}

TEST_F(GroupTest, StaleMarkerWhenSeriesDisappears) {
  Labels a{{"__name__", "up"}, {"i", "a"}}, b{{"__name__", "up"}, {"i", "b"}};
  st_.Add(a, 0, 1);
  st_.Add(b, 0, 1);
  st_.Add(a, 60000, 1);
  st_.Add(b, 60000, 0);
  auto g = Make(Rules(std::make_unique<RecordingRule>("r", "up == 1", Labels())));
  g->EvalOnce(0);
  g->EvalOnce(60000);
  auto sb = st_.Samples(Labels{{"__name__", "r"}, {"i", "b"}});
  ASSERT_EQ(sb.size(), 2u);
  EXPECT_EQ(sb[0].v, 1);
  EXPECT_EQ(sb[1].t, 60000);
  EXPECT_TRUE(IsStaleNaN(sb[1].v));
  auto sa = st_.Samples(Labels{{"__name__", "r"}, {"i", "a"}});
  ASSERT_EQ(sa.size(), 2u);
  EXPECT_FALSE(IsStaleNaN(sa[1].v));
  g->EvalOnce(360001);  // past the lookback: r{i=a} disappears too
  EXPECT_TRUE(IsStaleNaN(st_.Samples(Labels{{"__name__", "r"}, {"i", "a"}}).back().v));

  g->WriteStaleMarkersForAll(420000);  // nothing left to mark
  EXPECT_EQ(st_.Samples(Labels{{"__name__", "r"}, {"i", "a"}}).size(), 3u);
}

TEST_F(GroupTest, StaleMarkersForAllWhenRemoved) {
  st_.Add(Labels{{"__name__", "m"}}, 0, 1);
  auto g = Make(Rules(std::make_unique<RecordingRule>("r", "m", Labels())), 60000, 10000);
  g->EvalOnce(30000);
  g->WriteStaleMarkersForAll(45000);
  auto s = st_.Samples(Labels{{"__name__", "r"}});
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[1].t, 35000);  // minus the query offset
  EXPECT_TRUE(IsStaleNaN(s[1].v));
}

TEST_F(GroupTest, AlertSeriesInStorageAndNotify) {
  st_.Add(Labels{{"__name__", "up"}, {"job", "j"}}, 0, 0);
  std::vector<std::pair<std::string, size_t>> sent;
  deps_.notify = [&](std::string_view expr, const std::vector<Alert>& alerts) {
    sent.emplace_back(std::string(expr), alerts.size());
  };
  AlertingRuleOptions o;
  o.name = "Down";
  o.expr = "up == 0";
  o.for_ms = 60000;
  o.labels = Labels{{"severity", "page"}};
  auto g = Make(Rules(std::make_unique<AlertingRule>(o)));
  g->EvalOnce(0);
  g->EvalOnce(60000);
  Labels pending{
      {"__name__", "ALERTS"}, {"alertname", "Down"}, {"alertstate", "pending"}, {"job", "j"}, {"severity", "page"}};
  Labels firing{
      {"__name__", "ALERTS"}, {"alertname", "Down"}, {"alertstate", "firing"}, {"job", "j"}, {"severity", "page"}};
  auto sp = st_.Samples(pending);
  ASSERT_EQ(sp.size(), 2u);
  EXPECT_EQ(sp[0].v, 1);
  EXPECT_TRUE(IsStaleNaN(sp[1].v));  // pending series went stale when it fired
  EXPECT_EQ(sp[1].t, 60000);
  auto sf = st_.Samples(firing);
  ASSERT_EQ(sf.size(), 1u);
  EXPECT_EQ(sf[0].t, 60000);
  auto fs =
      st_.Samples(Labels{{"__name__", "ALERTS_FOR_STATE"}, {"alertname", "Down"}, {"job", "j"}, {"severity", "page"}});
  ASSERT_EQ(fs.size(), 2u);
  EXPECT_EQ(fs[1].v, 0);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0], (std::pair<std::string, size_t>{"up == 0", 0}));
  EXPECT_EQ(sent[1], (std::pair<std::string, size_t>{"up == 0", 1}));
}

TEST_F(GroupTest, ErrorsHealthAndMetrics) {
  st_.Add(Labels{{"__name__", "m"}, {"i", "1"}}, 0, 1);
  st_.Add(Labels{{"__name__", "m"}, {"i", "2"}}, 0, 1);
  auto g = Make(Rules(std::make_unique<RecordingRule>("r", "m", Labels()),
                      std::make_unique<RecordingRule>("bad", "sum(", Labels())),
                60000, -1, 1);
  EXPECT_EQ(g->rules()[0]->status().health, RuleHealth::kUnknown);
  g->EvalOnce(0);
  auto s0 = g->rules()[0]->status();
  EXPECT_EQ(s0.health, RuleHealth::kBad);
  EXPECT_EQ(s0.last_error, "exceeded limit of 1 with 2 series");
  EXPECT_EQ(RuleHealthName(s0.health), "err");
  EXPECT_EQ(g->rules()[1]->status().health, RuleHealth::kBad);
  EXPECT_TRUE(st_.Samples(Labels{{"__name__", "r"}, {"i", "1"}}).empty());
  EXPECT_EQ(g->metrics().evaluations->Value(), 2);
  EXPECT_EQ(g->metrics().failures->Value(), 2);
  EXPECT_EQ(g->metrics().iterations->Value(), 1);
  EXPECT_EQ(g->metrics().rules->Value(), 2);
  EXPECT_EQ(g->metrics().interval_seconds->Value(), 60);
  std::string text = registry_.RenderText();
  EXPECT_NE(text.find("prometheus_rule_evaluation_failures_total{rule_group=\"f.yml;g\"} 2"), std::string::npos);
  EXPECT_NE(text.find("prometheus_rule_group_iterations_missed_total{rule_group=\"f.yml;g\"} 0"), std::string::npos);
}

TEST_F(GroupTest, EvalTimestampAlignment) {
  auto g = Make({}, 60000);
  const int64_t start = 1'700'000'123'456;
  int64_t ts = g->EvalTimestamp(start);
  EXPECT_LE(ts, start);
  EXPECT_GT(ts, start - 60000);
  EXPECT_EQ(g->EvalTimestamp(start + 60000), ts + 60000);
  EXPECT_EQ(g->EvalTimestamp(ts + 1), ts);  // slots are ns-precise, ts is truncated to ms
  // Prometheus's slot: XXH64("file\xfff.yml\xffname\xffg\xff") = 0x14f5db3eda05bcd6,
  // mod 60 s = 53.044933846 s past the minute (e2e_rules_vs_prometheus checks
  // this against Prometheus 2.42 itself).
  EXPECT_EQ(GroupSlotHash("f.yml", "g"), 0x14f5db3eda05bcd6u);
  EXPECT_EQ(ts, 1'700'000'093'044);
}

TEST(MissedIterationsTest, Formula) {
  EXPECT_EQ(MissedIterations(1000, 900, 100), 0);
  EXPECT_EQ(MissedIterations(1099, 900, 100), 0);
  EXPECT_EQ(MissedIterations(1250, 900, 100), 2);
}

TEST_F(GroupTest, SlowGroupCountsMissedIterations) {
  std::atomic<int> calls{0};
  deps_.query = [&](std::string_view, int64_t) -> Result<promql::Vector> {
    ++calls;
    std::this_thread::sleep_for(std::chrono::milliseconds(130));
    return promql::Vector{};
  };
  auto g = Make(Rules(std::make_unique<RecordingRule>("r", "x", Labels())), 50);
  g->Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(900));
  g->Stop();
  const double missed = g->metrics().iterations_missed->Value();
  const double iterations = g->metrics().iterations->Value();
  EXPECT_GE(calls.load(), 3);
  EXPECT_GE(missed, 2);
  // Every scheduled slot is either evaluated or counted missed (the last
  // one may have been interrupted by Stop before its rule ran).
  EXPECT_GE(iterations - missed - calls.load(), 0);
  EXPECT_LE(iterations - missed - calls.load(), 1);
  EXPECT_LE(calls.load(), 900 / 130 + 1);  // no piling up
}

}  // namespace
}  // namespace promethium::rules
