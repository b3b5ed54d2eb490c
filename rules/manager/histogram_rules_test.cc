// Tests for rules over native histograms, through the real engine and the
// group's appender: recording rules append histogram results as histograms,
// a vanished histogram series gets a float StaleNaN, and alerting rules over
// histograms behave as Prometheus's (alert value 0 = the sample's F, ALERTS
// stays a float series, $value is refused loudly).
#include <gtest/gtest.h>

#include "promql/engine/engine.h"
#include "rules/manager/alerting_rule.h"
#include "rules/manager/group.h"
#include "rules/manager/recording_rule.h"
#include "rules/manager/test_storage.h"
#include "tsdb/api/sample.h"

namespace promethium::rules {
namespace {

// count 5 = zero 1 + buckets 2 (0.5, 1] and 2 (1, 2].
Histogram SmallHistogram(double sum) {
  Histogram h;
  h.schema = 0;
  h.zero_threshold = 0.001;
  h.zero_count = 1;
  h.count = 5;
  h.sum = sum;
  h.positive_spans = {{0, 2}};
  h.positive_buckets = {2, 0};
  return h;
}

class HistogramRulesTest : public ::testing::Test {
 protected:
  HistogramRulesTest() : engine_(promql::EngineOptions{}) {
    deps_.query = EngineQueryFunc(&engine_, &st_);
    deps_.appendable = &st_;
    deps_.queryable = &st_;
    deps_.metrics = &registry_;
  }
  std::unique_ptr<Group> Make(std::unique_ptr<Rule> rule) {
    GroupOptions o;
    o.name = "g";
    o.file = "f.yml";
    o.interval_ms = 60000;
    o.rules.push_back(std::move(rule));
    return std::make_unique<Group>(std::move(o), &deps_);
  }

  testing::FakeStorage st_;
  promql::Engine engine_;
  MetricsRegistry registry_;
  RulesOptions deps_;
};

TEST_F(HistogramRulesTest, RecordingRuleAppendsHistogramNotFloat) {
  const Histogram in = SmallHistogram(10);
  st_.AddHistogram(Labels{{"__name__", "h"}, {"job", "a"}}, 0, in);
  st_.Add(Labels{{"__name__", "f"}, {"job", "a"}}, 0, 4);
  auto g = Make(std::make_unique<RecordingRule>("rec", "h or f", Labels()));
  g->EvalOnce(30000);
  EXPECT_EQ(g->rules()[0]->status().health, RuleHealth::kGood) << g->rules()[0]->status().last_error;

  // `or` drops f{job=a}: same labels as h{job=a} without __name__.
  const Labels rec{{"__name__", "rec"}, {"job", "a"}};
  EXPECT_TRUE(st_.Samples(rec).empty());  // before: a float 0 was recorded here
  auto hs = st_.Histograms(rec);
  ASSERT_EQ(hs.size(), 1u);
  EXPECT_EQ(hs[0].t, 30000);
  ASSERT_NE(hs[0].fh, nullptr);  // PromQL results are float histograms
  EXPECT_EQ(hs[0].h, nullptr);
  EXPECT_EQ(hs[0].fh->count, 5);
  EXPECT_EQ(hs[0].fh->sum, 10);
  EXPECT_EQ(hs[0].fh->zero_count, 1);
  EXPECT_EQ(hs[0].fh->positive_buckets, (std::vector<double>{2, 2}));
  EXPECT_EQ(hs[0].fh->positive_spans, in.positive_spans);
}

TEST_F(HistogramRulesTest, FloatAndHistogramResultsInOneVector) {
  st_.AddHistogram(Labels{{"__name__", "m"}, {"kind", "h"}}, 0, SmallHistogram(3));
  st_.Add(Labels{{"__name__", "m"}, {"kind", "f"}}, 0, 7);
  auto g = Make(std::make_unique<RecordingRule>("rec", "m", Labels()));
  g->EvalOnce(0);
  auto f = st_.Samples(Labels{{"__name__", "rec"}, {"kind", "f"}});
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].v, 7);
  auto h = st_.Histograms(Labels{{"__name__", "rec"}, {"kind", "h"}});
  ASSERT_EQ(h.size(), 1u);
  ASSERT_NE(h[0].fh, nullptr);
  EXPECT_EQ(h[0].fh->sum, 3);
  EXPECT_TRUE(st_.Samples(Labels{{"__name__", "rec"}, {"kind", "h"}}).empty());
}

TEST_F(HistogramRulesTest, VanishedHistogramSeriesGetsFloatStaleNaN) {
  const Labels a{{"__name__", "h"}, {"i", "a"}}, b{{"__name__", "h"}, {"i", "b"}};
  st_.AddHistogram(a, 0, SmallHistogram(1));
  st_.AddHistogram(b, 0, SmallHistogram(2));
  st_.AddHistogram(a, 390000, SmallHistogram(3));
  auto g = Make(std::make_unique<RecordingRule>("rec", "h", Labels()));
  g->EvalOnce(0);
  g->EvalOnce(400000);  // h{i=b} is past the 5m lookback

  const Labels rb{{"__name__", "rec"}, {"i", "b"}};
  auto hb = st_.Histograms(rb);
  ASSERT_EQ(hb.size(), 1u);
  EXPECT_EQ(hb[0].t, 0);
  auto fb = st_.Samples(rb);
  ASSERT_EQ(fb.size(), 1u);
  EXPECT_EQ(fb[0].t, 400000);
  EXPECT_TRUE(IsStaleNaN(fb[0].v));

  const Labels ra{{"__name__", "rec"}, {"i", "a"}};
  EXPECT_EQ(st_.Histograms(ra).size(), 2u);
  EXPECT_TRUE(st_.Samples(ra).empty());

  g->WriteStaleMarkersForAll(460000);
  auto fa = st_.Samples(ra);
  ASSERT_EQ(fa.size(), 1u);
  EXPECT_TRUE(IsStaleNaN(fa[0].v));
}

TEST_F(HistogramRulesTest, AlertOverHistogramHasValueZeroAndFloatAlertsSeries) {
  st_.AddHistogram(Labels{{"__name__", "h"}, {"job", "j"}}, 0, SmallHistogram(10));
  AlertingRuleOptions o;
  o.name = "HistAlert";
  o.expr = "h";
  o.annotations = {{"job", "job is {{ $labels.job }}"},
                   {"query", "{{ with query \"h\" }}{{ . | first | value }}{{ end }}"},
                   {"summary", "value {{ $value }}"}};
  auto rule = std::make_unique<AlertingRule>(o);
  AlertingRule* ar = rule.get();
  auto g = Make(std::move(rule));
  g->EvalOnce(0);
  EXPECT_EQ(ar->status().health, RuleHealth::kGood) << ar->status().last_error;

  auto alerts = ar->ActiveAlerts();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].state, AlertState::kFiring);
  EXPECT_EQ(alerts[0].value, 0);
  EXPECT_EQ(alerts[0].labels, (Labels{{"alertname", "HistAlert"}, {"job", "j"}}));
  EXPECT_EQ(alerts[0].annotations.Get("job"), "job is j");
  EXPECT_NE(alerts[0].annotations.Get("query").find("unsupported: native histogram samples in template query results"),
            std::string_view::npos)
      << alerts[0].annotations.Get("query");
  EXPECT_EQ(alerts[0].annotations.Get("summary"),
            "<error expanding template: error executing template __alert_HistAlert: unsupported: $value of a native "
            "histogram sample in alert templates>");

  const Labels alerts_series{
      {"__name__", "ALERTS"}, {"alertname", "HistAlert"}, {"alertstate", "firing"}, {"job", "j"}};
  auto s = st_.Samples(alerts_series);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].v, 1);
  EXPECT_TRUE(st_.Histograms(alerts_series).empty());
  auto fs = st_.Samples(Labels{{"__name__", "ALERTS_FOR_STATE"}, {"alertname", "HistAlert"}, {"job", "j"}});
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].v, 0);  // activeAt in seconds
}

}  // namespace
}  // namespace promethium::rules
