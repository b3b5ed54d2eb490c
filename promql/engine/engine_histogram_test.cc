// Engine tests with native-histogram input: selectors, staleness, range
// functions, aggregations, binary operators, annotations and the sample
// accounting of histogram points. Expected values follow Prometheus's
// definitions (promql/engine.go, functions.go) worked out by hand in the
// comments; annotation texts are util/annotations' wording.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "promql/engine/engine.h"
#include "promql/engine/engine_test_storage.h"

namespace promethium::promql {
namespace {

constexpr int64_t kMin = 60'000;

// {count:c, sum:s, (0.5,1]:c/3, (1,2]:2c/3} in schema 0.
FloatHistogram Hist(double c, double s) {
  FloatHistogram h;
  h.schema = 0;
  h.zero_threshold = 0.001;
  h.count = c;
  h.sum = s;
  h.positive_spans = {{0, 2}};
  h.positive_buckets = {c / 3, 2 * c / 3};
  return h;
}

class EngineHistogramTest : public ::testing::Test {
 protected:
  QueryResult Instant(std::string_view q, int64_t t) { return engine_.InstantQuery(storage_, q, t); }
  // The element of an instant vector with labels l (nullptr when absent).
  static const VectorElement* Find(const QueryResult& r, const Labels& l) {
    const auto* v = std::get_if<Vector>(&r.value);
    if (v == nullptr) return nullptr;
    for (const auto& e : *v) {
      if (e.metric == l) return &e;
    }
    return nullptr;
  }
  static bool Contains(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  }
  // x: count 60*i, sum 120*i at minute i (a steadily growing counter).
  void LoadCounter(const Labels& l, int minutes) {
    for (int i = 0; i <= minutes; ++i) storage_.AddHistogram(l, i * kMin, Hist(60.0 * i, 120.0 * i));
  }

  TestStorage storage_;
  Engine engine_{EngineOptions{}};
  const Labels x_{{"__name__", "x"}};
};

TEST_F(EngineHistogramTest, SelectorReturnsHistogramsAndHonoursStaleness) {
  storage_.AddHistogram(x_, 0, Hist(3, 6));
  FloatHistogram stale = Hist(0, 0);
  stale.sum = StaleNaN();
  storage_.AddHistogram(x_, 2 * kMin, stale);
  auto r = Instant("x", kMin);
  ASSERT_TRUE(r.ok()) << r.error;
  const VectorElement* e = Find(r, x_);
  ASSERT_NE(e, nullptr);
  ASSERT_NE(e->h, nullptr);
  EXPECT_EQ(e->h->count, 3);
  EXPECT_EQ(e->h->sum, 6);
  // The stale marker at 2m ends the series within the lookback.
  r = Instant("x", 3 * kMin);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_TRUE(std::get<Vector>(r.value).empty());
}

TEST_F(EngineHistogramTest, RangeQueryCarriesHistogramPoints) {
  LoadCounter(x_, 3);
  auto r = engine_.RangeQuery(storage_, "x", 0, 3 * kMin, kMin);
  ASSERT_TRUE(r.ok()) << r.error;
  const auto& m = std::get<Matrix>(r.value);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_TRUE(m[0].points.empty());
  ASSERT_EQ(m[0].histograms.size(), 4u);
  EXPECT_EQ(m[0].histograms[2].t, 2 * kMin);
  EXPECT_EQ(m[0].histograms[2].h->count, 120);
}

TEST_F(EngineHistogramTest, HistogramCountSumAvg) {
  storage_.AddHistogram(x_, 0, Hist(4, 10));
  storage_.Add({{"__name__", "x"}, {"kind", "float"}}, 0, 7);  // ignored by histogram_*
  for (auto [q, want] : {std::pair{"histogram_count(x)", 4.0}, {"histogram_sum(x)", 10.0}, {"histogram_avg(x)", 2.5}}) {
    auto r = Instant(q, 0);
    ASSERT_TRUE(r.ok()) << q << ": " << r.error;
    const auto& v = std::get<Vector>(r.value);
    ASSERT_EQ(v.size(), 1u) << q;
    EXPECT_EQ(v[0].metric, Labels{}) << q;  // __name__ dropped
    EXPECT_DOUBLE_EQ(v[0].v, want) << q;
  }
}

TEST_F(EngineHistogramTest, RateOfHistogramCounterExtrapolatesLikeFloats) {
  LoadCounter(x_, 10);
  // Window (5m, 10m]: samples at 6..10m, count 360..600. Increase 240 over
  // 240s sampled; 60s to the window start (< 1.1 * 60s, so kept; the zero
  // point is 360s away), 0s to the end: 240 * (300/240) / 300s = 1/s.
  auto r = Instant("rate(x[5m])", 10 * kMin);
  ASSERT_TRUE(r.ok()) << r.error;
  const auto& v = std::get<Vector>(r.value);
  ASSERT_EQ(v.size(), 1u);
  ASSERT_NE(v[0].h, nullptr);
  EXPECT_DOUBLE_EQ(v[0].h->count, 1);
  EXPECT_DOUBLE_EQ(v[0].h->sum, 2);
  EXPECT_EQ(v[0].h->counter_reset_hint, CounterResetHint::kGauge);  // rates are gauges
  EXPECT_TRUE(r.infos.empty());                                     // no "might not be a counter" for histograms
}

TEST_F(EngineHistogramTest, MixedFloatsAndHistogramsInARateWindowWarn) {
  storage_.Add(x_, 0, 1);
  storage_.Add(x_, kMin, 2);
  storage_.AddHistogram(x_, 2 * kMin, Hist(3, 3));
  auto r = Instant("rate(x[5m])", 3 * kMin);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_TRUE(std::get<Vector>(r.value).empty());
  EXPECT_TRUE(
      Contains(r.warnings, "PromQL warning: encountered a mix of histograms and floats for metric name \"x\" (1:6)"));
}

TEST_F(EngineHistogramTest, SumOverTimeAndLastOverTime) {
  LoadCounter(x_, 3);
  auto r = Instant("sum_over_time(x[2m])", 3 * kMin);  // samples at 2m and 3m
  ASSERT_TRUE(r.ok()) << r.error;
  const VectorElement* e = Find(r, Labels{});
  ASSERT_NE(e, nullptr);
  ASSERT_NE(e->h, nullptr);
  EXPECT_DOUBLE_EQ(e->h->count, 120 + 180);
  r = Instant("last_over_time(x[2m])", 3 * kMin);
  ASSERT_TRUE(r.ok()) << r.error;
  e = Find(r, x_);  // last_over_time keeps the name
  ASSERT_NE(e, nullptr);
  ASSERT_NE(e->h, nullptr);
  EXPECT_DOUBLE_EQ(e->h->count, 180);
  r = Instant("count_over_time(x[2m])", 3 * kMin);
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_NE(Find(r, Labels{}), nullptr);
  EXPECT_EQ(Find(r, Labels{})->v, 2);
}

TEST_F(EngineHistogramTest, SumAndAvgAggregateHistograms) {
  storage_.AddHistogram({{"__name__", "x"}, {"i", "1"}}, 0, Hist(3, 6));
  storage_.AddHistogram({{"__name__", "x"}, {"i", "2"}}, 0, Hist(6, 9));
  auto r = Instant("sum(x)", 0);
  ASSERT_TRUE(r.ok()) << r.error;
  const auto& v = std::get<Vector>(r.value);
  ASSERT_EQ(v.size(), 1u);
  ASSERT_NE(v[0].h, nullptr);
  EXPECT_DOUBLE_EQ(v[0].h->count, 9);
  EXPECT_DOUBLE_EQ(v[0].h->sum, 15);
  ASSERT_EQ(v[0].h->positive_buckets.size(), 2u);
  EXPECT_DOUBLE_EQ(v[0].h->positive_buckets[1], 2 + 4);
  r = Instant("avg(x)", 0);
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_NE(std::get<Vector>(r.value).at(0).h, nullptr);
  EXPECT_DOUBLE_EQ(std::get<Vector>(r.value)[0].h->count, 4.5);
  r = Instant("count(x)", 0);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(std::get<Vector>(r.value).at(0).v, 2);
}

TEST_F(EngineHistogramTest, AggregationsIgnoringHistogramsSayIt) {
  storage_.AddHistogram(x_, 0, Hist(3, 6));
  auto r = Instant("max(x)", 0);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_TRUE(std::get<Vector>(r.value).empty());
  EXPECT_TRUE(Contains(r.infos, "PromQL info: ignored histogram in max aggregation (1:5)"));
  storage_.Add({{"__name__", "x"}, {"kind", "float"}}, 0, 1);
  r = Instant("sum(x)", 0);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_TRUE(std::get<Vector>(r.value).empty());
  EXPECT_TRUE(Contains(r.warnings, "PromQL warning: encountered a mix of histograms and floats for aggregation (1:5)"));
}

TEST_F(EngineHistogramTest, BinaryOperatorsOnHistograms) {
  storage_.AddHistogram(x_, 0, Hist(3, 6));
  auto r = Instant("x * 2", 0);
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_NE(std::get<Vector>(r.value).at(0).h, nullptr);
  EXPECT_DOUBLE_EQ(std::get<Vector>(r.value)[0].h->count, 6);
  r = Instant("x / 3", 0);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_DOUBLE_EQ(std::get<Vector>(r.value).at(0).h->sum, 2);
  r = Instant("x + x", 0);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_DOUBLE_EQ(std::get<Vector>(r.value).at(0).h->count, 6);
  r = Instant("x - x", 0);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(std::get<Vector>(r.value).at(0).h->counter_reset_hint, CounterResetHint::kGauge);
  r = Instant("x == x", 0);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(std::get<Vector>(r.value).size(), 1u);
  r = Instant("x > 1", 0);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_TRUE(std::get<Vector>(r.value).empty());
  EXPECT_TRUE(
      Contains(r.infos,
               "PromQL info: incompatible sample types encountered for binary operator \">\": histogram > float "
               "(1:1)"));
}

TEST_F(EngineHistogramTest, TrimOperatorsInterpolateInsideTheCutBucket) {
  // Prometheus's native_histograms.test, "cbh_for_join >/ on (label)
  // float_for_join" for label a: custom buckets (-Inf,5]:1 (5,+Inf]:100
  // trimmed above 1 keeps 1 * (1 - 1/5) of the first bucket.
  FloatHistogram cbh;
  cbh.schema = kCustomBucketsSchema;
  cbh.count = 101;
  cbh.sum = 33;
  cbh.custom_values = {5};
  cbh.positive_spans = {{0, 2}};
  cbh.positive_buckets = {1, 100};
  storage_.AddHistogram(x_, 0, cbh);
  auto r = Instant("x >/ 1", 0);
  ASSERT_TRUE(r.ok()) << r.error;
  const VectorElement* e = Find(r, x_);  // trims keep the name
  ASSERT_NE(e, nullptr);
  ASSERT_NE(e->h, nullptr);
  EXPECT_DOUBLE_EQ(e->h->count, 100.8);
  EXPECT_DOUBLE_EQ(e->h->sum, 502.4);
  ASSERT_EQ(e->h->positive_buckets.size(), 2u);
  EXPECT_DOUBLE_EQ(e->h->positive_buckets[0], 0.8);
  // Trimming a float is undefined: no result, an info.
  r = Instant("vector(1) >/ 1", 0);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_TRUE(std::get<Vector>(r.value).empty());
  EXPECT_FALSE(r.infos.empty());
}

TEST_F(EngineHistogramTest, SubqueriesForgetCounterResetHints) {
  // Prometheus's native_histograms.test: a reset only in a bucket must be
  // detected from the values when a subquery returns the samples (their
  // stored "not a reset" hints no longer describe consecutive points).
  FloatHistogram before;
  before.count = 1;
  before.sum = 10;
  before.positive_spans = {{0, 1}};
  before.positive_buckets = {1};
  FloatHistogram after = before;
  after.positive_spans = {{1, 1}};
  for (int i = 0; i <= 20; ++i) {
    FloatHistogram h = before;
    h.counter_reset_hint = i == 0 ? CounterResetHint::kUnknown : CounterResetHint::kNotCounterReset;
    storage_.AddHistogram(x_, i * kMin, h);
  }
  for (int i = 21; i <= 41; ++i) {
    FloatHistogram h = after;
    h.counter_reset_hint = CounterResetHint::kNotCounterReset;
    storage_.AddHistogram(x_, i * kMin, h);
  }
  // Expected value from the test file: histogram_count(increase(h[40m:9m])).
  auto r = Instant("histogram_count(increase(x[40m:9m]))", 41 * kMin);
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_EQ(std::get<Vector>(r.value).size(), 1u);
  EXPECT_NEAR(std::get<Vector>(r.value)[0].v, 1.4814814814814814, 1e-12);
}

TEST_F(EngineHistogramTest, HistogramPointsWeighMoreThanFloatPoints) {
  // 11 steps of one series: as floats 11 samples; as histograms each point
  // weighs its size (well above one sample), so a limit of 50 stops them.
  EngineOptions o;
  o.max_samples = 50;
  Engine engine{o};
  storage_.AddSeq({{"__name__", "f"}}, kMin, 0, 1, 11);
  LoadCounter(x_, 10);
  auto r = engine.RangeQuery(storage_, "f", 0, 10 * kMin, kMin);
  EXPECT_TRUE(r.ok()) << r.error;
  r = engine.RangeQuery(storage_, "x", 0, 10 * kMin, kMin);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.error, "query processing would load too many samples into memory in query execution");
}

}  // namespace
}  // namespace promethium::promql
