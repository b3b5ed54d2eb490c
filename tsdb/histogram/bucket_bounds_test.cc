// Bucket bounds and bucket iterators. Expected values are Prometheus's
// (model/histogram/generic_test.go, histogram_test.go,
// float_histogram_test.go), not outputs of this implementation.
#include "tsdb/histogram/bucket_bounds.h"

#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <limits>

#include "tsdb/histogram/bucket_iterator.h"

namespace promethium {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(BucketBoundsTest, ExponentialBoundsMatchPrometheus) {
  struct Case {
    int32_t idx, schema;
    double want;
  } cases[] = {
      {-1, -1, 0.25},
      {0, -1, 1},
      {1, -1, 4},
      {512, -1, DBL_MAX},
      {513, -1, kInf},
      {-1, 0, 0.5},
      {0, 0, 1},
      {1, 0, 2},
      {1024, 0, DBL_MAX},
      {1025, 0, kInf},
      {-1, 2, 0.8408964152537144},
      {0, 2, 1},
      {1, 2, 1.189207115002721},
      {4096, 2, DBL_MAX},
      {4097, 2, kInf},
      {64, -4, DBL_MAX},
      {65, -4, kInf},
      {1, -4, 65536},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ExponentialBucketBound(c.idx, c.schema), c.want) << "idx " << c.idx << " schema " << c.schema;
  }
}

TEST(BucketBoundsTest, UnsupportedSchemasHaveNoBounds) {
  EXPECT_TRUE(std::isnan(ExponentialBucketBound(1, 9)));
  EXPECT_TRUE(std::isnan(ExponentialBucketBound(1, -5)));
}

TEST(BucketBoundsTest, TableHasPrometheusValuesNotCorrectlyRoundedOnes) {
  // Prometheus's sqrt(2) bound is one ulp below the correctly rounded value;
  // PromQL output (e.g. "(1,1.414213562373095]") depends on that.
  EXPECT_EQ(ExponentialBucketBound(1, 1), 1.414213562373095);
  EXPECT_NE(ExponentialBucketBound(1, 1), std::sqrt(2.0));
  EXPECT_EQ(ExponentialBucketBound(-1, 1), 0.7071067811865475);
  EXPECT_EQ(ExponentialBucketBound(-1, 8), 0.9972960560854698);
  EXPECT_EQ(ExponentialBucketBound(-3, 1), 0.35355339059327373);
}

TEST(BucketBoundsTest, EveryTableEntryIsWithinFourUlpOfTheExactBound) {
  // Guards the transcription: each bound of schemas 0..8 in [0.5, 1) is
  // 2^(k/2^s)/2 up to Prometheus's rounding (at most 4 ulp of 2^-53 off),
  // and bounds strictly increase.
  for (int32_t s = 0; s <= 8; ++s) {
    double prev = 0;
    for (int32_t k = 0; k < (1 << s); ++k) {
      const double got = ExponentialBucketBound(k - (1 << s), s);  // in [0.5, 1)
      const double exact = std::exp2(static_cast<double>(k) / (1 << s)) / 2;
      EXPECT_LE(std::fabs(got - exact), 4 * std::ldexp(1.0, -53)) << "schema " << s << " k " << k;
      EXPECT_GT(got, prev);
      prev = got;
    }
  }
}

TEST(BucketBoundsTest, CustomBounds) {
  const std::vector<double> cv = {1, 2, 5};
  EXPECT_EQ(BucketBound(-1, kCustomBucketsSchema, cv), -kInf);
  EXPECT_EQ(BucketBound(0, kCustomBucketsSchema, cv), 1);
  EXPECT_EQ(BucketBound(2, kCustomBucketsSchema, cv), 5);
  EXPECT_EQ(BucketBound(3, kCustomBucketsSchema, cv), kInf);
  EXPECT_TRUE(CustomBucketBoundsMatch(cv, {1, 2, 5}));
  EXPECT_FALSE(CustomBucketBoundsMatch(cv, {1, 2}));
  EXPECT_FALSE(CustomBucketBoundsMatch(cv, {1, 2, 6}));
}

TEST(BucketBoundsTest, SchemaHelpers) {
  EXPECT_TRUE(IsKnownSchema(-9));
  EXPECT_TRUE(IsKnownSchema(52));
  EXPECT_FALSE(IsKnownSchema(53));
  EXPECT_FALSE(IsValidSchema(9));
  EXPECT_TRUE(IsValidSchema(kCustomBucketsSchema));
  EXPECT_EQ(InvalidSchemaMessage(10),
            "histogram has an invalid schema, which must be between -4 and 8 for exponential buckets, or -53 for "
            "custom buckets, got schema 10");
  EXPECT_EQ(TargetBucketIndex(3, 2, 0), 1);    // (2^0.5, 2^0.75] lies in (1, 2]
  EXPECT_EQ(TargetBucketIndex(5, 2, 0), 2);    // (2^1, 2^1.25] lies in (2, 4]
  EXPECT_EQ(TargetBucketIndex(-4, 2, 0), -1);  // (2^-1.25, 2^-1] lies in (1/4, 1/2]
}

TEST(BucketBoundsTest, FractionBelow) {
  auto bucket = [](double lower, double upper) {
    Bucket<double> b;
    b.lower = lower;
    b.upper = upper;
    b.count = 100;
    return b;
  };
  EXPECT_NEAR(BucketFractionBelow(bucket(0, 10), 5, true), 0.5, 1e-12);
  EXPECT_NEAR(BucketFractionBelow(bucket(2, 6), 3, true), 0.25, 1e-12);
  EXPECT_NEAR(BucketFractionBelow(bucket(-10, -5), -6, true), 0.8, 1e-12);
  EXPECT_NEAR(BucketFractionBelow(bucket(2, 8), 4, false), 0.5, 1e-12);
  EXPECT_NEAR(BucketFractionBelow(bucket(1, 16), 2, false), 0.25, 1e-12);
  EXPECT_NEAR(BucketFractionBelow(bucket(-8, -2), -4, false), 0.5, 1e-12);
  EXPECT_NEAR(BucketFractionBelow(bucket(-4, -2), -3, false), 0.41503749927884383, 1e-12);
}

TEST(BucketBoundsTest, GoFloatFormatting) {
  EXPECT_EQ(FormatGoFloatG(2349209.324), "2.349209324e+06");
  EXPECT_EQ(FormatGoFloatG(123456), "123456");
  EXPECT_EQ(FormatGoFloatG(0.0001), "0.0001");
  EXPECT_EQ(FormatGoFloatG(0.00001), "1e-05");
  EXPECT_EQ(FormatGoFloatG(-kInf), "-Inf");
  EXPECT_EQ(FormatGoFloatV(123400), "123400");
  EXPECT_EQ(FormatGoFloatV(1e21), "1e+21");
  EXPECT_EQ(FormatGoFloatV(1e20), "100000000000000000000");
}

Bucket<uint64_t> Cumulative(double upper, uint64_t count, int32_t index) {
  Bucket<uint64_t> b;
  b.lower = -kInf;
  b.upper = upper;
  b.lower_inclusive = b.upper_inclusive = true;
  b.count = count;
  b.index = index;
  return b;
}

void ExpectSameBucket(const Bucket<uint64_t>& got, const Bucket<uint64_t>& want) {
  EXPECT_EQ(got.lower, want.lower);
  EXPECT_EQ(got.upper, want.upper);
  EXPECT_EQ(got.lower_inclusive, want.lower_inclusive);
  EXPECT_EQ(got.upper_inclusive, want.upper_inclusive);
  EXPECT_EQ(got.count, want.count);
  EXPECT_EQ(got.index, want.index);
}

TEST(BucketIteratorTest, CumulativeFillsGaps) {
  Histogram h;
  h.positive_spans = {{0, 2}, {1, 2}};
  h.positive_buckets = {1, 1, -1, 0};
  const std::vector<Bucket<uint64_t>> want = {Cumulative(1, 1, 0), Cumulative(2, 3, 1), Cumulative(4, 3, 2),
                                              Cumulative(8, 4, 3), Cumulative(16, 5, 4)};
  size_t n = 0;
  for (CumulativeBucketIterator it(h); it.Next(); ++n) {
    ASSERT_LT(n, want.size());
    ExpectSameBucket(it.At(), want[n]);
  }
  EXPECT_EQ(n, want.size());
}

TEST(BucketIteratorTest, CumulativeWithZeroBucketAndNegativeOffset) {
  Histogram h;
  h.schema = 0;
  h.zero_count = 2;
  h.zero_threshold = 0.001;
  h.positive_spans = {{-1, 1}, {1, 1}};  // buckets -1 and 1
  h.positive_buckets = {3, -2};          // 3, 1
  std::vector<std::pair<double, uint64_t>> got;
  for (CumulativeBucketIterator it(h); it.Next();) got.emplace_back(it.At().upper, it.At().count);
  const std::vector<std::pair<double, uint64_t>> want = {{0.001, 2}, {0.5, 5}, {1, 5}, {2, 6}};
  EXPECT_EQ(got, want);
}

TEST(BucketIteratorTest, RegularIteratorDecodesDeltasAndSkipsZeroLengthSpans) {
  Histogram h;
  h.schema = 0;
  h.positive_spans = {{0, 4}, {0, 0}, {0, 3}};
  h.positive_buckets = {1, 2, -2, 1, -1, 0, 0};
  std::vector<std::pair<int32_t, uint64_t>> got;
  for (auto it = PositiveBuckets(h); it.Next();) got.emplace_back(it.At().index, it.At().count);
  const std::vector<std::pair<int32_t, uint64_t>> want = {{0, 1}, {1, 3}, {2, 1}, {3, 2}, {4, 1}, {5, 1}, {6, 1}};
  EXPECT_EQ(got, want);
}

FloatHistogram IteratorHistogram() {
  // TestAllFloatBucketIterator's first histogram.
  FloatHistogram h;
  h.count = 405;
  h.zero_count = 102;
  h.zero_threshold = 0.001;
  h.sum = 1008.4;
  h.schema = 1;
  h.positive_spans = {{0, 4}, {1, 0}, {3, 3}, {3, 0}, {2, 0}, {5, 3}};
  h.positive_buckets = {100, 344, 123, 55, 3, 63, 2, 54, 235, 33};
  h.negative_spans = {{0, 3}, {1, 0}, {3, 0}, {3, 4}, {2, 0}, {5, 3}};
  h.negative_buckets = {10, 34, 1230, 54, 67, 63, 2, 554, 235, 33};
  return h;
}

TEST(BucketIteratorTest, AllAscendingIsNegativeReversedThenZeroThenPositive) {
  const FloatHistogram h = IteratorHistogram();
  std::vector<Bucket<double>> want;
  std::vector<Bucket<double>> negative;
  for (auto it = NegativeBuckets(h); it.Next();) negative.push_back(it.At());
  want.assign(negative.rbegin(), negative.rend());
  want.push_back(ZeroBucket(h));
  for (auto it = PositiveBuckets(h); it.Next();) want.push_back(it.At());
  std::vector<Bucket<double>> got;
  for (auto it = AllBuckets(h); it.Next();) got.push_back(it.At());
  ASSERT_EQ(got.size(), want.size());
  ASSERT_EQ(got.size(), 21u);
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].lower, want[i].lower) << i;
    EXPECT_EQ(got[i].upper, want[i].upper) << i;
    EXPECT_EQ(got[i].count, want[i].count) << i;
    if (i > 0) EXPECT_LE(got[i - 1].upper, got[i].lower) << i;
  }
  // The negative spans end at index 0+3 +1+0 +3+0 +3+4 +2+0 +5+3 - 1 = 23, so
  // the lowest bucket, first in ascending order, is [-2^11.5, -2^11).
  EXPECT_EQ(got[0].index, 23);
  EXPECT_EQ(got[0].upper, -2048);
  EXPECT_TRUE(got[0].lower_inclusive);
  EXPECT_FALSE(got[0].upper_inclusive);
  EXPECT_EQ(got[0].count, 33);
  EXPECT_EQ(got[10].upper, 0.001);  // the zero bucket
  EXPECT_EQ(got[10].count, 102);
  EXPECT_EQ(got[11].lower, 0.7071067811865475);  // positive bucket 0 of schema 1
}

TEST(BucketIteratorTest, AllReverseIsTheAscendingSequenceBackwards) {
  const FloatHistogram h = IteratorHistogram();
  std::vector<Bucket<double>> asc, desc;
  for (auto it = AllBuckets(h); it.Next();) asc.push_back(it.At());
  for (auto it = AllBucketsReverse(h); it.Next();) desc.push_back(it.At());
  ASSERT_EQ(asc.size(), desc.size());
  for (size_t i = 0; i < asc.size(); ++i) {
    EXPECT_EQ(asc[i].lower, desc[desc.size() - 1 - i].lower);
    EXPECT_EQ(asc[i].count, desc[desc.size() - 1 - i].count);
    EXPECT_EQ(asc[i].index, desc[desc.size() - 1 - i].index);
  }
}

TEST(BucketIteratorTest, AllClampsBucketsOverlappingTheZeroBucket) {
  FloatHistogram h;
  h.schema = 0;
  h.zero_threshold = 0.75;
  h.zero_count = 1;
  h.positive_spans = {{0, 1}};  // (0.5, 1]
  h.positive_buckets = {2};
  h.negative_spans = {{0, 1}};  // [-1, -0.5)
  h.negative_buckets = {3};
  std::vector<std::pair<double, double>> got;
  for (auto it = AllBuckets(h); it.Next();) got.emplace_back(it.At().lower, it.At().upper);
  const std::vector<std::pair<double, double>> want = {{-1, -0.75}, {-0.75, 0.75}, {0.75, 1}};
  EXPECT_EQ(got, want);
}

TEST(BucketIteratorTest, CustomBucketsBounds) {
  FloatHistogram h;
  h.schema = kCustomBucketsSchema;
  h.custom_values = {1, 2, 5};
  h.positive_spans = {{0, 2}, {1, 1}};
  h.positive_buckets = {1, 2, 3};
  std::vector<Bucket<double>> got;
  for (auto it = PositiveBuckets(h); it.Next();) got.push_back(it.At());
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].lower, -kInf);
  EXPECT_TRUE(got[0].lower_inclusive);
  EXPECT_EQ(got[1].lower, 1);
  EXPECT_FALSE(got[1].lower_inclusive);
  EXPECT_EQ(got[2].lower, 5);
  EXPECT_EQ(got[2].upper, kInf);
  EXPECT_TRUE(got[2].upper_inclusive);
  std::vector<int32_t> reverse;
  for (auto it = PositiveBucketsReverse(h); it.Next();) reverse.push_back(it.At().index);
  EXPECT_EQ(reverse, (std::vector<int32_t>{3, 1, 0}));
}

}  // namespace
}  // namespace promethium
