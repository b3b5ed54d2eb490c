// Engine tests over a small in-memory Queryable.
#include "promql/engine/engine.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "promql/engine/engine_test_storage.h"

namespace promethium::promql {
namespace {

constexpr int64_t kMin = 60'000;

class EngineTest : public ::testing::Test {
 protected:
  QueryResult Instant(std::string_view q, int64_t t) { return engine_.InstantQuery(storage_, q, t); }
  // The single value of an instant-vector result with the given labels.
  double VectorValue(const QueryResult& r, const Labels& l) {
    EXPECT_TRUE(r.ok()) << r.error;
    const auto* v = std::get_if<Vector>(&r.value);
    EXPECT_NE(v, nullptr);
    if (v == nullptr) return NAN;
    for (const auto& e : *v) {
      if (e.metric == l) return e.v;
    }
    ADD_FAILURE() << "no element " << l.ToString();
    return NAN;
  }
  size_t VectorSize(const QueryResult& r) {
    EXPECT_TRUE(r.ok()) << r.error;
    const auto* v = std::get_if<Vector>(&r.value);
    return v ? v->size() : 0;
  }
  double ScalarValue(const QueryResult& r) {
    EXPECT_TRUE(r.ok()) << r.error;
    const auto* s = std::get_if<Scalar>(&r.value);
    EXPECT_NE(s, nullptr);
    return s ? s->v : NAN;
  }

  TestStorage storage_;
  Engine engine_{EngineOptions{}};
};

TEST_F(EngineTest, ScalarArithmeticAndStrings) {
  EXPECT_EQ(ScalarValue(Instant("1 + 2 * 3", 0)), 7);
  EXPECT_EQ(ScalarValue(Instant("2 ^ 3 ^ 2", 0)), 512);
  EXPECT_TRUE(std::isnan(ScalarValue(Instant("0 / 0", 0))));
  EXPECT_EQ(ScalarValue(Instant("1 < bool 2", 0)), 1);
  EXPECT_EQ(ScalarValue(Instant("-(3)", 0)), -3);
  auto s = Instant("\"foo\"", 5000);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(std::get<String>(s.value).v, "foo");
  auto r = engine_.RangeQuery(storage_, "\"foo\"", 0, 10000, 1000);
  EXPECT_EQ(r.error_type, QueryErrorType::kBadData);
  EXPECT_EQ(r.error, "invalid expression type \"string\" for range query, must be Scalar or instant Vector");
}

TEST_F(EngineTest, ParseErrorIsBadData) {
  auto r = Instant("sum(", 0);
  EXPECT_EQ(r.error_type, QueryErrorType::kBadData);
  EXPECT_NE(r.error.find("parse error"), std::string::npos) << r.error;
}

TEST_F(EngineTest, ParsedFunctionsWithoutAnImplementationFailLoudly) {
  EngineOptions opts;
  opts.parse.enable_experimental_functions = true;
  Engine engine{opts};
  auto r = engine.InstantQuery(storage_, "start_timestamp(foo)", 0);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.error, "unsupported: function start_timestamp") << r.error;
  // Every other kind of call still dispatches to its implementation.
  EXPECT_EQ(ScalarValue(engine.InstantQuery(storage_, "max_of(2, 3)", 0)), 3);
  EXPECT_EQ(ScalarValue(engine.InstantQuery(storage_, "time()", 7000)), 7);
  EXPECT_EQ(ScalarValue(engine.InstantQuery(storage_, "step()", 7000)), 0);
  EXPECT_EQ(VectorSize(engine.InstantQuery(storage_, "year(vector(0))", 0)), 1u);
}

TEST_F(EngineTest, LookbackWindowIsLeftOpen) {
  storage_.Add({{"__name__", "x"}}, 0, 1);
  Labels x{{"__name__", "x"}};
  EXPECT_EQ(VectorValue(Instant("x", 5 * kMin - 1), x), 1);
  EXPECT_EQ(VectorSize(Instant("x", 5 * kMin)), 0u);  // exactly t - 5m is out
  EXPECT_EQ(VectorSize(Instant("x", -1)), 0u);
}

TEST_F(EngineTest, StaleMarkerEndsSeries) {
  Labels x{{"__name__", "x"}};
  storage_.Add(x, 0, 1);
  storage_.Add(x, kMin, StaleNaN());
  storage_.Add(x, 3 * kMin, 2);
  EXPECT_EQ(VectorValue(Instant("x", 30'000), x), 1);
  EXPECT_EQ(VectorSize(Instant("x", 2 * kMin)), 0u);
  EXPECT_EQ(VectorValue(Instant("x", 4 * kMin), x), 2);
  // Range windows skip stale markers.
  EXPECT_EQ(VectorValue(Instant("count_over_time(x[10m])", 4 * kMin), Labels{}), 2);
}

TEST_F(EngineTest, OffsetAndAtModifiers) {
  Labels x{{"__name__", "x"}};
  storage_.AddSeq(x, kMin, 0, 1, 11);  // value = minute
  EXPECT_EQ(VectorValue(Instant("x offset 3m", 10 * kMin), x), 7);
  EXPECT_EQ(VectorValue(Instant("x offset -2m", 5 * kMin), x), 7);
  EXPECT_EQ(VectorValue(Instant("x @ 120", 10 * kMin), x), 2);
  EXPECT_EQ(VectorValue(Instant("x @ 300 offset 1m", 10 * kMin), x), 4);
  auto r = engine_.RangeQuery(storage_, "x @ end()", 0, 4 * kMin, kMin);
  ASSERT_TRUE(r.ok()) << r.error;
  const auto& m = std::get<Matrix>(r.value);
  ASSERT_EQ(m.size(), 1u);
  ASSERT_EQ(m[0].points.size(), 5u);
  for (const auto& p : m[0].points) EXPECT_EQ(p.v, 4);
}

TEST_F(EngineTest, RateExtrapolatesLikePrometheus) {
  Labels c{{"__name__", "c_total"}};
  storage_.AddSeq(c, kMin, 0, 10, 11);  // +10 per minute
  // Window (5m, 10m]: 5 samples 60..100 over 240s, extrapolated by 60s to
  // the start: increase 50, rate 50/300.
  EXPECT_DOUBLE_EQ(VectorValue(Instant("increase(c_total[5m])", 10 * kMin), Labels{}), 50);
  EXPECT_DOUBLE_EQ(VectorValue(Instant("rate(c_total[5m])", 10 * kMin), Labels{}), 50.0 / 300);
  EXPECT_DOUBLE_EQ(VectorValue(Instant("irate(c_total[5m])", 10 * kMin), Labels{}), 10.0 / 60);
  EXPECT_DOUBLE_EQ(VectorValue(Instant("delta(c_total[5m])", 10 * kMin), Labels{}), 50);
}

TEST_F(EngineTest, RateHandlesCounterResets) {
  Labels c{{"__name__", "c_total"}};
  double vals[] = {0, 10, 20, 5, 15};
  for (int i = 0; i < 5; ++i) storage_.Add(c, i * kMin, vals[i]);
  // Raw increase with the reset compensated: 20 + 15 = 35 over 240s; the
  // window (-1m, 4m] starts 60s before the first sample, zero point at 0.
  EXPECT_DOUBLE_EQ(VectorValue(Instant("increase(c_total[5m])", 4 * kMin), Labels{}), 35);
  EXPECT_EQ(VectorValue(Instant("resets(c_total[5m])", 4 * kMin), Labels{}), 1);
  EXPECT_EQ(VectorValue(Instant("changes(c_total[5m])", 4 * kMin), Labels{}), 4);
}

TEST_F(EngineTest, NonCounterNameGetsInfo) {
  storage_.AddSeq({{"__name__", "gauge"}}, kMin, 0, 1, 5);
  auto r = Instant("rate(gauge[5m])", 4 * kMin);
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_EQ(r.infos.size(), 1u);
  EXPECT_EQ(r.infos[0],
            "PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: \"gauge\" "
            "(1:6)");
}

TEST_F(EngineTest, AggregationsByAndWithout) {
  for (int i = 0; i < 4; ++i) {
    storage_.Add({{"__name__", "m"}, {"job", i < 2 ? "a" : "b"}, {"inst", std::to_string(i)}}, 0, i + 1);
  }
  EXPECT_EQ(VectorValue(Instant("sum by (job) (m)", 0), Labels{{"job", "a"}}), 3);
  EXPECT_EQ(VectorValue(Instant("sum without (inst) (m)", 0), Labels{{"job", "b"}}), 7);
  EXPECT_EQ(VectorValue(Instant("avg(m)", 0), Labels{}), 2.5);
  EXPECT_EQ(VectorValue(Instant("count(m)", 0), Labels{}), 4);
  EXPECT_EQ(VectorValue(Instant("max by (job) (m)", 0), Labels{{"job", "a"}}), 2);
  EXPECT_EQ(VectorValue(Instant("min(m)", 0), Labels{}), 1);
  EXPECT_EQ(VectorValue(Instant("group by (job) (m)", 0), Labels{{"job", "b"}}), 1);
  EXPECT_DOUBLE_EQ(VectorValue(Instant("stdvar(m)", 0), Labels{}), 1.25);
  EXPECT_DOUBLE_EQ(VectorValue(Instant("quantile(0.5, m)", 0), Labels{}), 2.5);
  auto top = Instant("topk(1, m)", 0);
  EXPECT_EQ(VectorValue(top, Labels{{"__name__", "m"}, {"inst", "3"}, {"job", "b"}}), 4);
  EXPECT_EQ(VectorSize(top), 1u);
  EXPECT_EQ(VectorValue(Instant("count_values(\"v\", m)", 0), Labels{{"v", "3"}}), 1);
  // Label names follow Prometheus 3's UTF-8 rule; invalid UTF-8 is quoted as Go does.
  EXPECT_EQ(VectorValue(Instant("count_values(\"v.w\", m)", 0), Labels{{"v.w", "3"}}), 1);
  EXPECT_EQ(Instant("count_values(\"a\\xc5z\", m)", 0).error, "invalid label name \"a\\xc5z\"");
}

TEST_F(EngineTest, VectorMatching) {
  storage_.Add({{"__name__", "a"}, {"job", "x"}, {"i", "1"}}, 0, 10);
  storage_.Add({{"__name__", "a"}, {"job", "y"}, {"i", "1"}}, 0, 20);
  storage_.Add({{"__name__", "b"}, {"job", "x"}, {"i", "1"}}, 0, 2);
  storage_.Add({{"__name__", "b"}, {"job", "y"}, {"i", "2"}}, 0, 4);
  EXPECT_EQ(VectorValue(Instant("a / b", 0), Labels{{"i", "1"}, {"job", "x"}}), 5);
  EXPECT_EQ(VectorSize(Instant("a / b", 0)), 1u);
  EXPECT_EQ(VectorValue(Instant("a / on(job) b", 0), Labels{{"job", "y"}}), 5);
  EXPECT_EQ(VectorValue(Instant("a - ignoring(i) b", 0), Labels{{"job", "y"}}), 16);
  EXPECT_EQ(VectorValue(Instant("a * on(i) group_left b", 0), Labels{{"i", "1"}, {"job", "y"}}), 40);
  EXPECT_EQ(VectorValue(Instant("b * on(i) group_right a", 0), Labels{{"i", "1"}, {"job", "x"}}), 20);
  EXPECT_EQ(Instant("b * on(i) group_right(job) a", 0).error,
            "multiple matches for labels: grouping labels must ensure unique matches");
  auto one = Instant("a / on(i) b", 0);
  EXPECT_EQ(one.error, "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)");
  auto dup = Instant("b / on(i) a", 0);
  EXPECT_EQ(dup.error_type, QueryErrorType::kExecution);
  EXPECT_EQ(dup.error,
            "found duplicate series for the match group {i=\"1\"} on the right hand-side of the operation: "
            "[{__name__=\"a\", i=\"1\", job=\"x\"}, {__name__=\"a\", i=\"1\", job=\"y\"}];many-to-many matching not "
            "allowed: matching labels must be unique on one side")
      << "got: " << dup.error;
}

TEST_F(EngineTest, ComparisonAndSetOperators) {
  storage_.Add({{"__name__", "a"}, {"k", "1"}}, 0, 1);
  storage_.Add({{"__name__", "a"}, {"k", "2"}}, 0, 5);
  storage_.Add({{"__name__", "b"}, {"k", "2"}}, 0, 0);
  EXPECT_EQ(VectorSize(Instant("a > 2", 0)), 1u);
  EXPECT_EQ(VectorValue(Instant("a > 2", 0), Labels{{"__name__", "a"}, {"k", "2"}}), 5);
  EXPECT_EQ(VectorValue(Instant("a > bool 2", 0), Labels{{"k", "1"}}), 0);
  EXPECT_EQ(VectorValue(Instant("2 < a", 0), Labels{{"__name__", "a"}, {"k", "2"}}), 5);
  EXPECT_EQ(VectorSize(Instant("a and b", 0)), 1u);
  EXPECT_EQ(VectorSize(Instant("a unless b", 0)), 1u);
  EXPECT_EQ(VectorSize(Instant("a or b", 0)), 2u);
  EXPECT_EQ(VectorSize(Instant("b or a", 0)), 2u);
  // Histogram trim operators give nothing on floats, with an info.
  auto trim = Instant("a </ 2", 0);
  EXPECT_EQ(VectorSize(trim), 0u);
  ASSERT_EQ(trim.infos.size(), 1u);
  EXPECT_EQ(trim.infos[0],
            "PromQL info: incompatible sample types encountered for binary operator \"</\": float </ float (1:1)");
}

TEST_F(EngineTest, SameLabelsetAfterNameDropIsAnError) {
  storage_.AddSeq({{"__name__", "a_total"}}, kMin, 0, 1, 5);
  storage_.AddSeq({{"__name__", "b_total"}}, kMin, 0, 1, 5);
  auto r = Instant("rate({__name__=~\".+_total\"}[5m])", 4 * kMin);
  EXPECT_EQ(r.error_type, QueryErrorType::kExecution);
  EXPECT_EQ(r.error, "vector cannot contain metrics with the same labelset");
}

TEST_F(EngineTest, DelayedNameRemoval) {
  EngineOptions o;
  o.enable_delayed_name_removal = true;
  Engine delayed(o);
  storage_.AddSeq({{"__name__", "a_total"}, {"env", "1"}}, kMin, 0, 1, 11);
  storage_.AddSeq({{"__name__", "b_total"}, {"env", "1"}}, kMin, 0, 2, 11);
  // Names survive until the end, so the two rates do not collide...
  auto sum = delayed.InstantQuery(storage_, "sum by (env) (rate({env=\"1\"}[5m]))", 10 * kMin);
  EXPECT_DOUBLE_EQ(VectorValue(sum, Labels{{"env", "1"}}), 3.0 / 60);
  // ...a label_replace onto __name__ keeps it...
  auto kept = delayed.InstantQuery(
      storage_, "label_replace(rate(a_total[5m]), \"__name__\", \"r_$1\", \"__name__\", \"(.+)\")", 10 * kMin);
  EXPECT_DOUBLE_EQ(VectorValue(kept, Labels{{"__name__", "r_a_total"}, {"env", "1"}}), 1.0 / 60);
  // ...and the final cleanup still rejects duplicates.
  auto dup = delayed.InstantQuery(storage_, "rate({env=\"1\"}[5m])", 10 * kMin);
  EXPECT_EQ(dup.error, "vector cannot contain metrics with the same labelset");
  // The same query in Prometheus's default mode fails inside rate().
  EXPECT_EQ(Instant("sum by (env) (rate({env=\"1\"}[5m]))", 10 * kMin).error,
            "vector cannot contain metrics with the same labelset");
}

TEST_F(EngineTest, AbsentOverTimeAndSubqueryModifiers) {
  Labels x{{"__name__", "x"}, {"job", "j"}};
  for (int i = 0; i <= 10; ++i) {
    if (i < 3 || i > 6) storage_.Add(x, i * kMin, i);
  }
  auto r = engine_.RangeQuery(storage_, "absent_over_time(x{job=\"j\"}[1m])", 0, 10 * kMin, kMin);
  ASSERT_TRUE(r.ok()) << r.error;
  const auto& m = std::get<Matrix>(r.value);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].metric, (Labels{{"job", "j"}}));
  ASSERT_EQ(m[0].points.size(), 4u);  // no sample in (t-1m, t] for t = 3m..6m
  EXPECT_EQ(m[0].points[0].t, 3 * kMin);
  EXPECT_EQ(VectorValue(Instant("max_over_time(x[3m:1m] offset 7m)", 10 * kMin), Labels{{"job", "j"}}), 2);
  EXPECT_EQ(VectorValue(Instant("min_over_time(x[2m:1m] @ 600)", 0), Labels{{"job", "j"}}), 9);
}

TEST_F(EngineTest, RangeQueryReadsEachSelectorOnce) {
  for (int s = 0; s < 3; ++s) storage_.AddSeq({{"__name__", "c_total"}, {"s", std::to_string(s)}}, 10'000, 0, 1, 400);
  auto r = engine_.RangeQuery(storage_, "sum(rate(c_total[1m]))", 2 * kMin, 60 * kMin, 15'000);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(storage_.selects.load(), 1);
  EXPECT_EQ(storage_.last_hints.range, kMin);
  EXPECT_EQ(storage_.last_hints.func, "rate");
  EXPECT_TRUE(storage_.last_hints.by);
  const auto& m = std::get<Matrix>(r.value);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].points.size(), 233u);
  for (const auto& p : m[0].points) EXPECT_NEAR(p.v, 0.3, 1e-9);
  EXPECT_GT(r.stats.total_queryable_samples, 0);
  EXPECT_GT(r.stats.peak_samples, 0);
}

TEST_F(EngineTest, RangeQueryResultIsSortedAndAligned) {
  storage_.AddSeq({{"__name__", "x"}, {"k", "b"}}, kMin, 0, 1, 5);
  storage_.AddSeq({{"__name__", "x"}, {"k", "a"}}, kMin, 0, 2, 5);
  auto r = engine_.RangeQuery(storage_, "x * 2", 0, 4 * kMin, 2 * kMin);
  ASSERT_TRUE(r.ok()) << r.error;
  const auto& m = std::get<Matrix>(r.value);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].metric, (Labels{{"k", "a"}}));
  ASSERT_EQ(m[0].points.size(), 3u);
  EXPECT_EQ(m[0].points[2].t, 4 * kMin);
  EXPECT_EQ(m[0].points[2].v, 16);
}

TEST_F(EngineTest, SubqueryAndFunctions) {
  Labels x{{"__name__", "x"}, {"le", "+Inf"}};
  storage_.AddSeq({{"__name__", "x"}}, kMin, 0, 1, 11);
  EXPECT_EQ(VectorValue(Instant("max_over_time(x[5m:1m])", 10 * kMin), Labels{}), 10);
  // Inner steps align to absolute multiples of 2m: 6m, 8m, 10m.
  EXPECT_EQ(VectorValue(Instant("count_over_time(x[5m:2m])", 10 * kMin), Labels{}), 3);
  EXPECT_EQ(VectorValue(Instant("count_over_time(x[5m:2m])", 9 * kMin), Labels{}), 2);
  EXPECT_EQ(VectorValue(Instant("abs(-x)", 10 * kMin), Labels{}), 10);
  EXPECT_EQ(VectorValue(Instant("clamp_max(x, 3)", 10 * kMin), Labels{}), 3);
  EXPECT_EQ(ScalarValue(Instant("scalar(x)", 10 * kMin)), 10);
  EXPECT_EQ(ScalarValue(Instant("time()", 10 * kMin)), 600);
  EXPECT_EQ(VectorValue(Instant("absent(nonexistent{job=\"j\"})", 0), Labels{{"job", "j"}}), 1);
  EXPECT_EQ(VectorValue(Instant("label_replace(x, \"dst\", \"v-$1\", \"__name__\", \"(.)\")", 10 * kMin),
                        Labels{{"__name__", "x"}, {"dst", "v-x"}}),
            10);
  EXPECT_DOUBLE_EQ(VectorValue(Instant("deriv(x[5m])", 10 * kMin), Labels{}), 1.0 / 60);
  EXPECT_DOUBLE_EQ(VectorValue(Instant("predict_linear(x[5m], 60)", 10 * kMin), Labels{}), 11);
}

TEST_F(EngineTest, HistogramQuantileOverClassicBuckets) {
  auto b = [](const char* le) { return Labels{{"__name__", "h_bucket"}, {"le", le}}; };
  storage_.Add(b("1"), 0, 10);
  storage_.Add(b("2"), 0, 20);
  storage_.Add(b("+Inf"), 0, 20);
  EXPECT_DOUBLE_EQ(VectorValue(Instant("histogram_quantile(0.75, h_bucket)", 0), Labels{}), 1.5);
  auto r = Instant("histogram_quantile(2, h_bucket)", 0);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(r.warnings[0], "PromQL warning: quantile value should be between 0 and 1, got 2 (1:20)");
}

// histogram_quantile caches per-series bucket facts across steps: buckets
// and whole histograms that come and go between steps must still be grouped
// per step, and a bad `le` warns at every step it appears.
TEST_F(EngineTest, HistogramQuantileRangeWithChangingBuckets) {
  auto b = [](const char* job, const char* le) { return Labels{{"__name__", "h_bucket"}, {"job", job}, {"le", le}}; };
  for (int64_t t : {0 * kMin, 1 * kMin, 2 * kMin}) {
    storage_.Add(b("x", "1"), t, 10);
    storage_.Add(b("x", "+Inf"), t, 20);
  }
  storage_.Add(b("x", "2"), 1 * kMin, 20);  // only at 1m: changes x's quantile there
  storage_.Add(b("y", "1"), 2 * kMin, 5);   // y appears at 2m only
  storage_.Add(b("y", "+Inf"), 2 * kMin, 10);
  storage_.Add(b("y", "bad"), 2 * kMin, 1);
  EngineOptions o;
  o.lookback_delta_ms = 30'000;  // no carry-over of the 1m-only bucket
  Engine engine(o);
  auto r = engine.RangeQuery(storage_, "histogram_quantile(0.75, h_bucket)", 0, 2 * kMin, kMin);
  ASSERT_TRUE(r.ok()) << r.error;
  const auto& m = std::get<Matrix>(r.value);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].metric, (Labels{{"job", "x"}}));
  ASSERT_EQ(m[0].points.size(), 3u);
  EXPECT_DOUBLE_EQ(m[0].points[0].v, 1);    // 1 + (+Inf bucket): the last finite bound
  EXPECT_DOUBLE_EQ(m[0].points[1].v, 1.5);  // rank 15 between le=1 (10) and le=2 (20)
  EXPECT_DOUBLE_EQ(m[0].points[2].v, 1);
  EXPECT_EQ(m[1].metric, (Labels{{"job", "y"}}));
  ASSERT_EQ(m[1].points.size(), 1u);
  EXPECT_EQ(m[1].points[0].t, 2 * kMin);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].find("bucket label \"le\" is missing or has a malformed value of \"bad\""), std::string::npos)
      << r.warnings[0];
}

// group_left: a result label set produced twice in one match group is an
// error even when that happens only at a later step of a range query.
TEST_F(EngineTest, GroupLeftDuplicateResultAtLaterStep) {
  storage_.Add({{"__name__", "a"}, {"i", "1"}, {"job", "x"}}, 0, 1);
  storage_.Add({{"__name__", "a"}, {"i", "1"}, {"job", "x"}}, kMin, 1);
  storage_.Add({{"__name__", "a"}, {"i", "1"}, {"job", "y"}}, kMin, 2);
  storage_.Add({{"__name__", "b"}, {"i", "1"}, {"job", "z"}}, 0, 10);
  storage_.Add({{"__name__", "b"}, {"i", "1"}, {"job", "z"}}, kMin, 10);
  EngineOptions o;
  o.lookback_delta_ms = 30'000;
  Engine engine(o);
  auto ok = engine.RangeQuery(storage_, "a * on(i) group_left b", 0, kMin, kMin);
  ASSERT_TRUE(ok.ok()) << ok.error;
  EXPECT_EQ(std::get<Matrix>(ok.value).size(), 2u);
  // group_left(job) copies job from b: both a series map to {i="1", job="z"}.
  auto r = engine.RangeQuery(storage_, "a * on(i) group_left(job) b", 0, kMin, kMin);
  EXPECT_EQ(r.error, "multiple matches for labels: grouping labels must ensure unique matches");
}

TEST_F(EngineTest, MaxSamplesLimit) {
  EngineOptions o;
  o.max_samples = 10;
  Engine small(o);
  storage_.AddSeq({{"__name__", "x"}}, kMin, 0, 1, 30);
  auto ok = small.InstantQuery(storage_, "x", 5 * kMin);
  EXPECT_TRUE(ok.ok()) << ok.error;
  auto r = small.RangeQuery(storage_, "x", 0, 29 * kMin, kMin);
  EXPECT_EQ(r.error_type, QueryErrorType::kExecution);
  EXPECT_EQ(r.error, "query processing would load too many samples into memory in query execution");
  // A huge step count fails on the limit before allocating anything.
  auto huge = engine_.RangeQuery(storage_, "1 + time()", 0, 1'000'000'000'000, 1);
  EXPECT_EQ(huge.error_type, QueryErrorType::kExecution);
  EXPECT_EQ(huge.error, "query processing would load too many samples into memory in query execution");
}

TEST_F(EngineTest, TimeoutAndCancellation) {
  storage_.AddSeq({{"__name__", "x"}}, 1000, 0, 1, 1000);
  QueryOptions qo;
  qo.timeout = std::chrono::milliseconds(1);
  // A query far too large to finish within 1ms: 10M steps.
  auto r = engine_.RangeQuery(storage_, "x + x", 0, 10'000'000'000, 1000, qo);
  EXPECT_EQ(r.error_type, QueryErrorType::kTimeout);
  EXPECT_EQ(r.error.rfind("query timed out in ", 0), 0u) << r.error;

  std::atomic<bool> canceled{true};
  QueryOptions co;
  co.canceled = &canceled;
  auto c = engine_.InstantQuery(storage_, "x", 0, co);
  EXPECT_EQ(c.error_type, QueryErrorType::kCanceled);
  EXPECT_EQ(c.error.rfind("query was canceled in ", 0), 0u) << c.error;
}

// Blocks in NewQuerier until released, to observe admission control.
class BlockingStorage final : public Queryable {
 public:
  Result<std::unique_ptr<Querier>> NewQuerier(int64_t mint, int64_t maxt) override {
    std::unique_lock<std::mutex> l(mu);
    entered++;
    cv.notify_all();
    cv.wait_for(l, std::chrono::seconds(10), [&] { return released; });
    return inner.NewQuerier(mint, maxt);
  }
  std::mutex mu;
  std::condition_variable cv;
  int entered = 0;
  bool released = false;
  TestStorage inner;
};

TEST(EngineConcurrencyTest, QueriesBeyondMaxConcurrencyWait) {
  EngineOptions o;
  o.max_concurrency = 1;
  Engine engine(o);
  BlockingStorage storage;
  std::thread first([&] { engine.InstantQuery(storage, "vector(1)", 0); });
  {
    std::unique_lock<std::mutex> l(storage.mu);
    ASSERT_TRUE(storage.cv.wait_for(l, std::chrono::seconds(10), [&] { return storage.entered == 1; }));
  }
  // The only slot is held: a query with a short timeout spends it in the
  // queue and never reaches the storage.
  QueryOptions short_timeout;
  short_timeout.timeout = std::chrono::milliseconds(200);
  QueryResult queued = engine.InstantQuery(storage, "vector(2)", 0, short_timeout);
  EXPECT_EQ(queued.error_type, QueryErrorType::kTimeout);
  EXPECT_EQ(queued.error, "query timed out in query queue");
  // A queued query without that timeout runs once the slot is released.
  QueryResult second;
  std::thread second_thread([&] { second = engine.InstantQuery(storage, "vector(3)", 0); });
  {
    std::lock_guard<std::mutex> l(storage.mu);
    EXPECT_EQ(storage.entered, 1);
    storage.released = true;
  }
  storage.cv.notify_all();
  first.join();
  second_thread.join();
  EXPECT_EQ(second.error_type, QueryErrorType::kNone) << second.error;
  EXPECT_EQ(storage.entered, 2);
}

}  // namespace
}  // namespace promethium::promql
