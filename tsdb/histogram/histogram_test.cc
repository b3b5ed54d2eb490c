// Histogram (integer) methods against Prometheus's test tables (testdata/*.inc,
// translated mechanically from model/histogram/histogram_test.go) and its
// String() examples.
#include "tsdb/histogram/histogram.h"

#include <gtest/gtest.h>

#include <optional>

#include "tsdb/histogram/float_histogram.h"
#include "tsdb/histogram/histogram_test_util.h"

namespace promethium {
namespace {

using namespace histogram_test;  // NOLINT: constants the tables use

TEST(HistogramTest, ValidateMatchesPrometheusCases) {
  struct Case {
    std::string name;
    std::optional<Histogram> h;
    std::string errMsg;
    bool skipFloat = false;
  };
  const std::vector<Case> cases = {
#include "tsdb/histogram/testdata/HistogramValidation.inc"
  };
  ASSERT_EQ(cases.size(), 28u);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Status s = c.h->Validate();
    if (c.errMsg.empty()) {
      EXPECT_TRUE(s.ok()) << s.message();
    } else {
      EXPECT_EQ(s.message(), c.errMsg);
    }
    if (c.skipFloat) continue;
    s = c.h->ToFloat().Validate();
    if (c.errMsg.empty()) {
      EXPECT_TRUE(s.ok()) << s.message();
    } else {
      EXPECT_EQ(s.message(), c.errMsg);
    }
  }
}

TEST(HistogramTest, CompactMatchesPrometheusCases) {
  struct Case {
    std::string name;
    std::optional<Histogram> in;
    int maxEmptyBuckets = 0;
    std::optional<Histogram> expected;
  };
  const std::vector<Case> cases = {
#include "tsdb/histogram/testdata/HistogramCompact.inc"
  };
  ASSERT_EQ(cases.size(), 24u);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Histogram h = *c.in;
    const bool was_valid = h.Validate().ok();
    h.Compact(c.maxEmptyBuckets);
    EXPECT_TRUE(Identical(h, *c.expected));
    if (was_valid) EXPECT_TRUE(h.Validate().ok()) << h.Validate().message();
  }
}

TEST(HistogramTest, ReduceResolutionMatchesPrometheusCases) {
  struct Case {
    std::string name;
    std::optional<Histogram> origin;
    int32_t targetSchema = 0;
    std::optional<Histogram> target;
    std::string errorMsg;
  };
  const std::vector<Case> cases = {
#include "tsdb/histogram/testdata/HistogramReduceResolution.inc"
  };
  ASSERT_EQ(cases.size(), 4u);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Histogram h = *c.origin;
    Status s = h.ReduceResolution(c.targetSchema);
    if (!c.errorMsg.empty()) {
      EXPECT_EQ(s.message(), c.errorMsg);
      continue;
    }
    ASSERT_TRUE(s.ok()) << s.message();
    EXPECT_TRUE(Identical(h, *c.target));
  }
}

TEST(HistogramTest, StringMatchesPrometheus) {
  Histogram empty;
  EXPECT_EQ(empty.ToString(), "{count:0, sum:0}");

  Histogram h;
  h.count = 9;
  h.sum = -3.1415;
  h.zero_count = 12;
  h.zero_threshold = 0.001;
  h.negative_spans = {{0, 5}, {1, 1}};
  h.negative_buckets = {1, 2, -2, 1, -1, 0};
  EXPECT_EQ(h.ToString(),
            "{count:9, sum:-3.1415, [-64,-32):1, [-16,-8):1, [-8,-4):2, [-4,-2):1, [-2,-1):3, [-1,-0.5):1, "
            "[-0.001,0.001]:12}");

  Histogram both;
  both.count = 19;
  both.sum = 2.7;
  both.positive_spans = {{0, 4}, {0, 0}, {0, 3}};
  both.positive_buckets = {1, 2, -2, 1, -1, 0, 0};
  both.negative_spans = {{0, 5}, {1, 0}, {0, 1}};
  both.negative_buckets = {1, 2, -2, 1, -1, 0};
  EXPECT_EQ(both.ToString(),
            "{count:19, sum:2.7, [-64,-32):1, [-16,-8):1, [-8,-4):2, [-4,-2):1, [-2,-1):3, [-1,-0.5):1, (0.5,1]:1, "
            "(1,2]:3, (2,4]:1, (4,8]:2, (8,16]:1, (16,32]:1, (32,64]:1}");

  Histogram custom;
  custom.schema = kCustomBucketsSchema;
  custom.count = 19;
  custom.sum = 2.7;
  custom.positive_spans = {{0, 4}, {0, 0}, {0, 3}};
  custom.positive_buckets = {1, 2, -2, 1, -1, 0, 0};
  custom.custom_values = {1, 2, 5, 10, 15, 20, 25, 50};
  EXPECT_EQ(custom.ToString(),
            "{count:19, sum:2.7, [-Inf,1]:1, (1,2]:3, (2,5]:1, (5,10]:2, (10,15]:1, (15,20]:1, (20,25]:1}");
}

TEST(HistogramTest, EqualsComparesDeltasAndLayout) {
  Histogram a;
  a.count = 3;
  a.positive_spans = {{0, 2}};
  a.positive_buckets = {1, 1};
  Histogram b = a;
  EXPECT_TRUE(a.Equals(b));
  b.positive_spans = {{0, 1}, {0, 1}};  // touching spans are a different layout
  EXPECT_FALSE(a.Equals(b));
  b = a;
  b.positive_spans = {{0, 2}, {5, 0}};  // a trailing empty span is not
  EXPECT_TRUE(a.Equals(b));
  b.count = 4;
  EXPECT_FALSE(a.Equals(b));
}

TEST(HistogramTest, ToFloatKeepsLayoutWithAbsoluteCounts) {
  Histogram h;
  h.schema = 3;
  h.count = 6;
  h.positive_spans = {{-5, 2}, {2, 1}};
  h.positive_buckets = {1, 2, -1};
  FloatHistogram fh = h.ToFloat();
  EXPECT_EQ(fh.positive_buckets, (std::vector<double>{1, 3, 2}));
  EXPECT_EQ(fh.positive_spans, h.positive_spans);
  EXPECT_EQ(fh.schema, 3);
}

}  // namespace
}  // namespace promethium
