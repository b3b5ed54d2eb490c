// FloatHistogram::TrimBuckets against the trim-operator evaluations of
// Prometheus's native_histograms.test (testdata/TrimBuckets.inc), compared
// as promqltest does: both sides compacted, floats with a small tolerance.
#include <gtest/gtest.h>

#include "tsdb/histogram/float_histogram.h"
#include "tsdb/histogram/histogram_test_util.h"

namespace promethium {
namespace {

using namespace histogram_test;  // NOLINT: constants the table uses

struct TrimCase {
  const char* input;
  bool upper_trim;
  double rhs;
  const char* expected;
};

const TrimCase kTrimCases[] = {
#include "tsdb/histogram/testdata/TrimBuckets.inc"
};

bool Close(double got, double want) {
  if (std::isnan(want)) return std::isnan(got);
  if (got == want) return true;
  return std::fabs(got - want) <= 1e-9 * std::max(std::fabs(want), 1.0);
}

::testing::AssertionResult SameApprox(const FloatHistogram& got, const FloatHistogram& want) {
  bool same = got.schema == want.schema && got.zero_threshold == want.zero_threshold &&
              Close(got.zero_count, want.zero_count) && Close(got.count, want.count) && Close(got.sum, want.sum) &&
              got.positive_spans == want.positive_spans && got.negative_spans == want.negative_spans &&
              got.positive_buckets.size() == want.positive_buckets.size() &&
              got.negative_buckets.size() == want.negative_buckets.size() &&
              SameFloats(got.custom_values, want.custom_values);
  for (size_t i = 0; same && i < got.positive_buckets.size(); ++i) {
    same = Close(got.positive_buckets[i], want.positive_buckets[i]);
  }
  for (size_t i = 0; same && i < got.negative_buckets.size(); ++i) {
    same = Close(got.negative_buckets[i], want.negative_buckets[i]);
  }
  if (same) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "got  " << Describe(got) << "\nwant " << Describe(want);
}

TEST(FloatHistogramTrimTest, MatchesPrometheusTrimOperators) {
  ASSERT_GT(std::size(kTrimCases), 80u);
  for (const TrimCase& c : kTrimCases) {
    SCOPED_TRACE(std::string(c.input) + (c.upper_trim ? " </ " : " >/ ") + std::to_string(c.rhs));
    FloatHistogram h = ParseNotation(c.input);
    h.TrimBuckets(c.rhs, c.upper_trim);
    h.Compact(0);
    FloatHistogram want = ParseNotation(c.expected);
    want.Compact(0);
    EXPECT_TRUE(SameApprox(h, want));
  }
}

TEST(FloatHistogramTrimTest, NothingTrimmedKeepsCountAndSum) {
  FloatHistogram h = ParseNotation("{{schema:0 sum:100 count:30 buckets:[5 5 10 10]}}");
  h.TrimBuckets(8, true);  // every bucket is at or below 8
  EXPECT_EQ(h.count, 30);
  EXPECT_EQ(h.sum, 100);  // not re-estimated from midpoints
  h.TrimBuckets(4, true);
  EXPECT_EQ(h.count, 20);
  EXPECT_EQ(h.positive_buckets, (std::vector<double>{5, 5, 10}));
}

}  // namespace
}  // namespace promethium
