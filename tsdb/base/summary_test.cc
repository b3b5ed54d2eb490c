// Summary and its rendering by MetricsRegistry, and the release of
// registry series (see summary.h, metrics.h).
#include "tsdb/base/summary.h"

#include <gtest/gtest.h>

#include <cmath>

#include "tsdb/base/metrics.h"

namespace promethium {
namespace {

TEST(SummaryTest, ExactQuantilesOverTheWindow) {
  int64_t now = 0;
  SummaryOptions o;
  o.now_ms = [&] { return now; };
  Summary s(o);
  std::vector<double> q;
  double sum = 0;
  uint64_t count = 0;
  s.Snapshot(&q, &sum, &count);
  ASSERT_EQ(q.size(), 3u);
  EXPECT_TRUE(std::isnan(q[0]) && std::isnan(q[1]) && std::isnan(q[2]));
  EXPECT_EQ(count, 0u);
  for (int i = 100; i >= 1; --i) s.Observe(i);  // 1..100, out of order
  s.Snapshot(&q, &sum, &count);
  EXPECT_EQ(q[0], 50);
  EXPECT_EQ(q[1], 90);
  EXPECT_EQ(q[2], 99);
  EXPECT_EQ(sum, 5050);
  EXPECT_EQ(count, 100u);
}

TEST(SummaryTest, OldObservationsLeaveTheWindowButStayInSumAndCount) {
  int64_t now = 0;
  SummaryOptions o;
  o.now_ms = [&] { return now; };
  o.max_age_ms = 1000;
  Summary s(o);
  s.Observe(100);
  now = 600;
  s.Observe(1);
  std::vector<double> q;
  double sum = 0;
  uint64_t count = 0;
  s.Snapshot(&q, &sum, &count);
  EXPECT_EQ(q[2], 100);
  now = 1000;  // the first observation is max_age old: gone
  s.Snapshot(&q, &sum, &count);
  EXPECT_EQ(q[0], 1);
  EXPECT_EQ(q[2], 1);
  EXPECT_EQ(sum, 101);
  EXPECT_EQ(count, 2u);
  now = 1600;
  s.Snapshot(&q, &sum, &count);
  EXPECT_TRUE(std::isnan(q[1]));
  EXPECT_EQ(count, 2u);
}

TEST(SummaryTest, KeepsAtMostMaxSamples) {
  SummaryOptions o;
  o.now_ms = [] { return int64_t{0}; };
  o.max_samples = 10;
  o.quantiles = {0, 1};
  Summary s(o);
  for (int i = 1; i <= 25; ++i) s.Observe(i);
  std::vector<double> q;
  double sum = 0;
  uint64_t count = 0;
  s.Snapshot(&q, &sum, &count);
  EXPECT_EQ(q[0], 16);  // the newest 10: 16..25
  EXPECT_EQ(q[1], 25);
  EXPECT_EQ(count, 25u);
}

TEST(SummaryTest, RenderedAsPrometheusSummary) {
  MetricsRegistry reg;
  Summary* s = reg.GetSummary("d_seconds", "Durations.", {{"g", "x"}});
  s->Observe(0.25);
  EXPECT_EQ(reg.RenderText(),
            "# HELP d_seconds Durations.\n# TYPE d_seconds summary\n"
            "d_seconds{g=\"x\",quantile=\"0.5\"} 0.25\nd_seconds{g=\"x\",quantile=\"0.9\"} 0.25\n"
            "d_seconds{g=\"x\",quantile=\"0.99\"} 0.25\n"
            "d_seconds_sum{g=\"x\"} 0.25\nd_seconds_count{g=\"x\"} 1\n");
}

TEST(MetricsRegistryReleaseTest, SeriesGoWhenTheirLastHolderReleasesThem) {
  MetricsRegistry reg;
  const MetricLabels a = {{"rule_group", "a"}};
  Counter* c1 = reg.GetCounter("x_total", "X.", a);
  Counter* c2 = reg.GetCounter("x_total", "X.", a);  // a second holder (a reloaded group)
  EXPECT_EQ(c1, c2);
  c1->Inc();
  reg.Release("x_total", a);
  EXPECT_NE(reg.RenderText().find("x_total{rule_group=\"a\"} 1"), std::string::npos);
  reg.Release("x_total", a);
  EXPECT_EQ(reg.RenderText(), "");  // no series left: the family is not rendered
  reg.Release("x_total", a);        // unknown: ignored
  EXPECT_EQ(reg.GetCounter("x_total", "X.", a)->Value(), 0);
}

}  // namespace
}  // namespace promethium
