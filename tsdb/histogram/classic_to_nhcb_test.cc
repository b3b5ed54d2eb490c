// Tests of ClassicHistogramConverter. The first cases are those of
// Prometheus's util/convertnhcb/convertnhcb_test.go; the compaction cases
// follow its Compact(2) (integer) and Compact(0) (float) rules.
#include "tsdb/histogram/classic_to_nhcb.h"

#include <cmath>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

namespace promethium {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

const Histogram& Int(const Result<ConvertedNhcb>& r) {
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->integer.has_value());
  EXPECT_FALSE(r->floating.has_value());
  return *r->integer;
}

const FloatHistogram& Float(const Result<ConvertedNhcb>& r) {
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->floating.has_value());
  EXPECT_FALSE(r->integer.has_value());
  return *r->floating;
}

TEST(ClassicToNhcbTest, EmptyAndSumOnly) {
  ClassicHistogramConverter c;
  auto r = c.Convert();
  const Histogram& h = Int(r);
  EXPECT_EQ(h.schema, kCustomBucketsSchema);
  EXPECT_EQ(h.count, 0u);
  EXPECT_TRUE(h.positive_spans.empty());
  EXPECT_TRUE(h.positive_buckets.empty());
  EXPECT_TRUE(h.custom_values.empty());

  ASSERT_TRUE(c.SetSum(1000.25).ok());
  auto r2 = c.Convert();
  EXPECT_EQ(Int(r2).sum, 1000.25);
  EXPECT_TRUE(Int(r2).positive_spans.empty());
}

TEST(ClassicToNhcbTest, SingleBucketCountComesFromIt) {
  ClassicHistogramConverter c;
  ASSERT_TRUE(c.SetSum(1000.25).ok());
  ASSERT_TRUE(c.SetBucketCount(0.5, 1000).ok());
  auto r = c.Convert();
  const Histogram& h = Int(r);
  EXPECT_EQ(h.count, 1000u);
  EXPECT_EQ(h.sum, 1000.25);
  EXPECT_EQ(h.positive_spans, (std::vector<HistogramSpan>{{0, 1}}));
  EXPECT_EQ(h.positive_buckets, (std::vector<int64_t>{1000}));
  EXPECT_EQ(h.custom_values, (std::vector<double>{0.5}));

  ClassicHistogramConverter f;
  ASSERT_TRUE(f.SetSum(1000.25).ok());
  ASSERT_TRUE(f.SetBucketCount(0.5, 1337.42).ok());
  auto rf = f.Convert();
  const FloatHistogram& fh = Float(rf);
  EXPECT_EQ(fh.schema, kCustomBucketsSchema);
  EXPECT_EQ(fh.count, 1337.42);
  EXPECT_EQ(fh.positive_spans, (std::vector<HistogramSpan>{{0, 1}}));
  EXPECT_EQ(fh.positive_buckets, (std::vector<double>{1337.42}));
  EXPECT_EQ(fh.custom_values, (std::vector<double>{0.5}));
}

TEST(ClassicToNhcbTest, IntegerBucketsAreDeltaEncoded) {
  ClassicHistogramConverter c;
  ASSERT_TRUE(c.SetCount(1000).ok());
  ASSERT_TRUE(c.SetSum(1000.25).ok());
  ASSERT_TRUE(c.SetBucketCount(0.5, 50).ok());
  ASSERT_TRUE(c.SetBucketCount(1.0, 950).ok());
  ASSERT_TRUE(c.SetBucketCount(kInf, 1000).ok());
  auto r = c.Convert();
  const Histogram& h = Int(r);
  EXPECT_EQ(h.count, 1000u);
  EXPECT_EQ(h.positive_spans, (std::vector<HistogramSpan>{{0, 3}}));
  EXPECT_EQ(h.positive_buckets, (std::vector<int64_t>{50, 850, -850}));
  EXPECT_EQ(h.custom_values, (std::vector<double>{0.5, 1.0}));
}

TEST(ClassicToNhcbTest, FractionalCountGivesFloatHistogram) {
  ClassicHistogramConverter c;
  ASSERT_TRUE(c.SetCount(1000).ok());
  ASSERT_TRUE(c.SetSum(1000.25).ok());
  ASSERT_TRUE(c.SetBucketCount(0.5, 50).ok());
  ASSERT_TRUE(c.SetBucketCount(1.0, 950.5).ok());
  ASSERT_TRUE(c.SetBucketCount(kInf, 1000).ok());
  auto r = c.Convert();
  const FloatHistogram& fh = Float(r);
  EXPECT_EQ(fh.count, 1000);
  EXPECT_EQ(fh.sum, 1000.25);
  EXPECT_EQ(fh.positive_spans, (std::vector<HistogramSpan>{{0, 3}}));
  EXPECT_EQ(fh.positive_buckets, (std::vector<double>{50, 900.5, 49.5}));
  EXPECT_EQ(fh.custom_values, (std::vector<double>{0.5, 1.0}));
}

// Whole counts too large for an exact uint64 conversion (found by
// protobuf_parse_fuzzer: 1.6e40 was converted to uint64) give a float
// histogram with the counts as they are.
TEST(ClassicToNhcbTest, HugeWholeCountsGiveFloatHistogram) {
  ClassicHistogramConverter c;
  ASSERT_TRUE(c.SetCount(1.6e40).ok());
  ASSERT_TRUE(c.SetSum(1).ok());
  ASSERT_TRUE(c.SetBucketCount(1.0, 1e40).ok());
  ASSERT_TRUE(c.SetBucketCount(kInf, 1.6e40).ok());
  auto r = c.Convert();
  const FloatHistogram& fh = Float(r);
  EXPECT_EQ(fh.count, 1.6e40);
  EXPECT_EQ(fh.positive_buckets, (std::vector<double>{1e40, 1.6e40 - 1e40}));
}

TEST(ClassicToNhcbTest, MixedOrderIsSorted) {
  ClassicHistogramConverter c;
  ASSERT_TRUE(c.SetBucketCount(0.5, 50).ok());
  ASSERT_TRUE(c.SetBucketCount(kInf, 1000).ok());
  ASSERT_TRUE(c.SetBucketCount(1.0, 950).ok());
  ASSERT_TRUE(c.SetBucketCount(1.0, 7).ok());  // a duplicate bound: ignored
  ASSERT_TRUE(c.SetCount(1000).ok());
  ASSERT_TRUE(c.SetSum(1000.25).ok());
  auto r = c.Convert();
  const Histogram& h = Int(r);
  EXPECT_EQ(h.positive_buckets, (std::vector<int64_t>{50, 850, -850}));
  EXPECT_EQ(h.custom_values, (std::vector<double>{0.5, 1.0}));
}

TEST(ClassicToNhcbTest, InvalidInputIsStickyError) {
  ClassicHistogramConverter c;
  ASSERT_TRUE(c.SetCount(1000).ok());
  ASSERT_TRUE(c.SetBucketCount(0.5, 50).ok());
  ASSERT_TRUE(c.SetBucketCount(1.0, 950).ok());
  Status s = c.SetBucketCount(kInf, 900);
  EXPECT_EQ(s.message(), "count is not cumulative: 900 < 950");
  EXPECT_FALSE(c.SetSum(1).ok());  // sticky
  EXPECT_EQ(c.Convert().status().message(), "count is not cumulative: 900 < 950");
  c.Reset();
  EXPECT_TRUE(c.Convert().ok());

  // Inserted between two bounds, too large for the next one.
  ASSERT_TRUE(c.SetBucketCount(1, 5).ok());
  ASSERT_TRUE(c.SetBucketCount(3, 6).ok());
  EXPECT_EQ(c.SetBucketCount(2, 7).message(), "count is not cumulative: 7 > 6");

  ClassicHistogramConverter n;
  EXPECT_EQ(n.SetCount(-1000).message(), "count must be non-negative: count=-1000");
  ClassicHistogramConverter b;
  EXPECT_EQ(b.SetBucketCount(1, -2).message(), "bucket count must be non-negative: le=1, count=-2");
  ClassicHistogramConverter nan;
  ASSERT_TRUE(nan.SetBucketCount(1.0, 5).ok());
  EXPECT_EQ(nan.SetBucketCount(std::nan(""), 10).message(), "bucket boundary must not be NaN");
}

TEST(ClassicToNhcbTest, CountMustMatchInfBucket) {
  ClassicHistogramConverter c;
  ASSERT_TRUE(c.SetCount(5).ok());
  ASSERT_TRUE(c.SetBucketCount(kInf, 4).ok());
  EXPECT_EQ(c.Convert().status().message(), "count mismatch: count=5 != le=+Inf count=4");

  // Without a +Inf bucket, the implied one holds _count, which must not be
  // below the highest finite bucket.
  ClassicHistogramConverter d;
  ASSERT_TRUE(d.SetCount(3).ok());
  ASSERT_TRUE(d.SetBucketCount(1, 4).ok());
  EXPECT_EQ(d.Convert().status().message(), "count is not cumulative: 3 < 4");
}

TEST(ClassicToNhcbTest, IntegerCompactionKeepsUpToTwoEmptyBuckets) {
  // Per-bucket counts [0, 3, 0, 0, 1, 0, 0, 0, 2, 0]: the leading and
  // trailing empty buckets go, two empty ones stay inside the span, three
  // split it.
  ClassicHistogramConverter c;
  std::vector<double> cumulative = {0, 3, 3, 3, 4, 4, 4, 4, 6};
  for (size_t i = 0; i < cumulative.size(); ++i) ASSERT_TRUE(c.SetBucketCount(i + 1, cumulative[i]).ok());
  ASSERT_TRUE(c.SetCount(6).ok());
  auto r = c.Convert();
  const Histogram& h = Int(r);
  EXPECT_EQ(h.positive_spans, (std::vector<HistogramSpan>{{1, 4}, {3, 1}}));
  EXPECT_EQ(h.positive_buckets, (std::vector<int64_t>{3, -3, 0, 1, 1}));
  EXPECT_EQ(h.custom_values, (std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(h.count, 6u);
}

TEST(ClassicToNhcbTest, FloatCompactionDropsEveryEmptyBucket) {
  ClassicHistogramConverter c;
  ASSERT_TRUE(c.SetBucketCount(1, 0.5).ok());
  ASSERT_TRUE(c.SetBucketCount(2, 0.5).ok());
  ASSERT_TRUE(c.SetBucketCount(3, 2).ok());
  ASSERT_TRUE(c.SetBucketCount(kInf, 2).ok());
  auto r = c.Convert();
  const FloatHistogram& fh = Float(r);
  EXPECT_EQ(fh.positive_spans, (std::vector<HistogramSpan>{{0, 1}, {1, 1}}));
  EXPECT_EQ(fh.positive_buckets, (std::vector<double>{0.5, 1.5}));
  EXPECT_EQ(fh.custom_values, (std::vector<double>{1, 2, 3}));
  EXPECT_EQ(fh.count, 2);
}

}  // namespace
}  // namespace promethium
