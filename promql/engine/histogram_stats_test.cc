// histogram_quantile/fraction/stddev/stdvar over single native histograms.
// The table (testdata/histogram_stats_cases.inc) is extracted from
// Prometheus's native_histograms.test: every evaluation of these functions
// on a series holding one constant histogram, with Prometheus's expected
// value. Further cases are derived by hand from Prometheus's algorithm.
#include "promql/engine/histogram_stats.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "tsdb/histogram/histogram_test_util.h"

namespace promethium::promql {
namespace {

using histogram_test::kInf;
using histogram_test::kNaN;
using histogram_test::ParseNotation;

struct Case {
  const char* function;
  double arg1, arg2;
  const char* histogram;
  double expected;
};

const Case kCases[] = {
#include "promql/engine/testdata/histogram_stats_cases.inc"
};

double Evaluate(const Case& c, const FloatHistogram& h) {
  const std::string fn = c.function;
  if (fn == "histogram_quantile") return HistogramQuantile(c.arg1, h).value;
  if (fn == "histogram_fraction") return HistogramFraction(c.arg1, c.arg2, h).value;
  if (fn == "histogram_stddev") return HistogramStdDev(h);
  return HistogramStdVar(h);
}

// promqltest compares floats with a relative tolerance of 1e-6.
void ExpectClose(double got, double want, const std::string& what) {
  if (std::isnan(want)) {
    EXPECT_TRUE(std::isnan(got)) << what << " got " << got;
  } else if (std::isinf(want) || want == 0) {
    EXPECT_EQ(got, want) << what;
  } else {
    EXPECT_NEAR(got, want, std::fabs(want) * 1e-9) << what;
  }
}

TEST(HistogramStatsTest, MatchesPrometheusNativeHistogramsTest) {
  ASSERT_GT(std::size(kCases), 140u);
  for (const Case& c : kCases) {
    const FloatHistogram h = ParseNotation(c.histogram);
    ASSERT_TRUE(h.Validate().ok()) << c.histogram << ": " << h.Validate().message();
    ExpectClose(Evaluate(c, h), c.expected,
                std::string(c.function) + "(" + std::to_string(c.arg1) + ", " + std::to_string(c.arg2) + ", " +
                    c.histogram + ")");
  }
}

TEST(HistogramStatsTest, QuantileEdgeCases) {
  const FloatHistogram h = ParseNotation("{{schema:0 sum:5 count:4 buckets:[1 2 1]}}");
  EXPECT_EQ(HistogramQuantile(-0.1, h).value, -kInf);
  EXPECT_EQ(HistogramQuantile(1.1, h).value, kInf);
  EXPECT_TRUE(std::isnan(HistogramQuantile(kNaN, h).value));
  EXPECT_TRUE(std::isnan(HistogramQuantile(0.5, ParseNotation("{{}}")).value));
}

TEST(HistogramStatsTest, CustomBucketQuantilesInterpolateLinearly) {
  // Buckets [-Inf,5]:1 (5,10]:2 (10,+Inf]:1, count 4.
  const FloatHistogram h = ParseNotation("{{schema:-53 sum:5 count:4 custom_values:[5 10] buckets:[1 2 1]}}");
  // Rank 1 ends the first bucket, which is taken to start at 0: 0 + 5*1.
  EXPECT_DOUBLE_EQ(HistogramQuantile(0.25, h).value, 5);
  // Rank 0.5 inside the first bucket: 0 + 5*0.5.
  EXPECT_DOUBLE_EQ(HistogramQuantile(0.125, h).value, 2.5);
  // q >= 0.5 counts from the top: rank 0.5 from above lands in the +Inf
  // bucket, whose lower bound is returned.
  EXPECT_DOUBLE_EQ(HistogramQuantile(0.9, h).value, 10);
  // Rank 1.5 from above: 0.5 into (5,10] from its top, i.e. 10 - 5*0.25.
  EXPECT_DOUBLE_EQ(HistogramQuantile(0.625, h).value, 8.75);
  // A first bucket with a non-positive upper bound returns that bound.
  const FloatHistogram neg = ParseNotation("{{schema:-53 sum:-5 count:2 custom_values:[-2 3] buckets:[2]}}");
  EXPECT_DOUBLE_EQ(HistogramQuantile(0.3, neg).value, -2);
}

TEST(HistogramStatsTest, CustomBucketFractionSkipsInfiniteBuckets) {
  const FloatHistogram h = ParseNotation("{{schema:-53 sum:5 count:4 custom_values:[5 10] buckets:[1 2 1]}}");
  // (-Inf, 7.5]: the whole first bucket (no interpolation towards -Inf)
  // plus half of (5,10].
  EXPECT_DOUBLE_EQ(HistogramFraction(-kInf, 7.5, h).value, 0.5);
  // (7.5, 20]: half of (5,10]; nothing of (10,+Inf] is interpolated.
  EXPECT_DOUBLE_EQ(HistogramFraction(7.5, 20, h).value, 0.25);
  EXPECT_DOUBLE_EQ(HistogramFraction(-kInf, kInf, h).value, 1);
  // (2, 5]: the first bucket [-Inf,5] straddles 0 and the histogram has no
  // negative buckets, so it is taken as [0,5]: (1 - 1*2/5) / 4.
  EXPECT_DOUBLE_EQ(HistogramFraction(2, 5, h).value, 0.15);
  // With a negative first bound the first bucket keeps its -Inf lower bound
  // and is counted whole below any value inside it: (1 - 1) / 2 = 0 for
  // (-3, -2] in [-Inf,-2]:1 (-2,3]:1.
  const FloatHistogram neg = ParseNotation("{{schema:-53 sum:0 count:2 custom_values:[-2 3] buckets:[1 1]}}");
  EXPECT_DOUBLE_EQ(HistogramFraction(-3, -2, neg).value, 0);
}

TEST(HistogramStatsTest, NaNObservationsAreReported) {
  // count 5 but only 4 bucketed observations: one NaN observation.
  const FloatHistogram h = ParseNotation("{{schema:0 sum:NaN count:5 buckets:[1 2 1]}}");
  const HistogramQuantileResult top = HistogramQuantile(0.99, h);
  EXPECT_TRUE(std::isnan(top.value));
  EXPECT_TRUE(top.nan_result);
  const HistogramQuantileResult mid = HistogramQuantile(0.5, h);
  EXPECT_FALSE(std::isnan(mid.value));
  EXPECT_TRUE(mid.nan_skew);
  const HistogramFractionResult f = HistogramFraction(-kInf, kInf, h);
  EXPECT_DOUBLE_EQ(f.value, 0.8);
  EXPECT_TRUE(f.nan_observations);
}

TEST(HistogramStatsTest, StdVarUsesBucketRepresentatives) {
  // Custom buckets use arithmetic means: (0,5] is not special, its lower
  // bound stays -Inf here, so only finite buckets give finite results.
  const FloatHistogram h =
      ParseNotation("{{schema:-53 sum:30 count:2 custom_values:[5 10 20] offset:1 buckets:[1 1]}}");
  // Points 7.5 and 15 around mean 15: (7.5-15)^2/2 = 28.125.
  EXPECT_DOUBLE_EQ(HistogramStdVar(h), 28.125);
  EXPECT_DOUBLE_EQ(HistogramStdDev(h), std::sqrt(28.125));
}

}  // namespace
}  // namespace promethium::promql
