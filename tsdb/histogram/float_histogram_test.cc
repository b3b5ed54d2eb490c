// FloatHistogram's single-histogram methods against Prometheus's test tables
// (testdata/*.inc, translated mechanically from
// model/histogram/float_histogram_test.go) and its String() examples.
#include "tsdb/histogram/float_histogram.h"

#include <gtest/gtest.h>

#include <optional>

#include "tsdb/histogram/histogram_test_util.h"

namespace promethium {
namespace {

using namespace histogram_test;  // NOLINT: constants the tables use

struct CompactCase {
  std::string name;
  std::optional<FloatHistogram> in;
  int maxEmptyBuckets = 0;
  std::optional<FloatHistogram> expected;
};

TEST(FloatHistogramTest, CompactMatchesPrometheusCases) {
  using Case = CompactCase;
  const std::vector<Case> cases = {
#include "tsdb/histogram/testdata/FloatHistogramCompact.inc"
  };
  ASSERT_EQ(cases.size(), 24u);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    FloatHistogram h = *c.in;
    const bool was_valid = h.Validate().ok();
    h.Compact(c.maxEmptyBuckets);
    EXPECT_TRUE(Identical(h, *c.expected));
    if (was_valid) EXPECT_TRUE(h.Validate().ok()) << h.Validate().message();
  }
}

struct ResetCase {
  std::string name;
  std::optional<FloatHistogram> previous, current;
  bool resetExpected = false;
};

TEST(FloatHistogramTest, DetectResetMatchesPrometheusCases) {
  using Case = ResetCase;
  const std::vector<Case> cases = {
#include "tsdb/histogram/testdata/FloatHistogramDetectReset.inc"
  };
  ASSERT_EQ(cases.size(), 42u);
  for (const Case& c : cases) {
    EXPECT_EQ(c.current->DetectReset(*c.previous), c.resetExpected) << c.name;
  }
}

struct ReduceCase {
  std::string name;
  std::optional<FloatHistogram> origin;
  int32_t targetSchema = 0;
  std::optional<FloatHistogram> target;
  std::string errorMsg;
};

TEST(FloatHistogramTest, ReduceResolutionMatchesPrometheusCases) {
  using Case = ReduceCase;
  const std::vector<Case> cases = {
#include "tsdb/histogram/testdata/FloatHistogramReduceResolution.inc"
  };
  ASSERT_EQ(cases.size(), 4u);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    FloatHistogram h = *c.origin;
    Status s = h.ReduceResolutionChecked(c.targetSchema);
    if (!c.errorMsg.empty()) {
      EXPECT_EQ(s.message(), c.errorMsg);
      continue;
    }
    ASSERT_TRUE(s.ok()) << s.message();
    EXPECT_TRUE(Identical(h, *c.target));
  }
}

TEST(FloatHistogramTest, MulMatchesPrometheusCases) {
  struct Case {
    std::string name;
    std::optional<FloatHistogram> in;
    double scale = 0;
    std::optional<FloatHistogram> expected;
  };
  const std::vector<Case> cases = {
#include "tsdb/histogram/testdata/FloatHistogramMul.inc"
  };
  ASSERT_EQ(cases.size(), 9u);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    FloatHistogram h = *c.in;
    h.Mul(c.scale);
    EXPECT_TRUE(Identical(h, *c.expected));
  }
}

TEST(FloatHistogramTest, DivMatchesPrometheusCases) {
  struct Case {
    std::string name;
    std::optional<FloatHistogram> fh;
    double s = 0;
    std::optional<FloatHistogram> expected;
  };
  const std::vector<Case> cases = {
#include "tsdb/histogram/testdata/FloatHistogramDiv.inc"
  };
  ASSERT_EQ(cases.size(), 8u);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    FloatHistogram h = *c.fh;
    h.Div(c.s);
    EXPECT_TRUE(Identical(h, *c.expected));
  }
}

TEST(FloatHistogramTest, CopyToSchemaMatchesPrometheusCases) {
  struct Case {
    std::string name;
    int32_t targetSchema = 0;
    std::optional<FloatHistogram> in, expected;
  };
  const std::vector<Case> cases = {
#include "tsdb/histogram/testdata/FloatHistogramCopyToSchema.inc"
  };
  ASSERT_EQ(cases.size(), 3u);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Result<FloatHistogram> got = c.in->CopyToSchema(c.targetSchema);
    ASSERT_TRUE(got.ok()) << got.status().message();
    EXPECT_TRUE(Identical(*got, *c.expected));
  }
  FloatHistogram custom;
  custom.schema = kCustomBucketsSchema;
  EXPECT_FALSE(custom.CopyToSchema(0).ok());
  FloatHistogram low;
  low.schema = 0;
  EXPECT_FALSE(low.CopyToSchema(1).ok());
}

TEST(FloatHistogramTest, ValidateRejectsNegativeCounts) {
  struct Case {
    std::string name;
    std::optional<FloatHistogram> fh;
  };
  const std::vector<Case> cases = {
#include "tsdb/histogram/testdata/FloatHistogramValidateNegative.inc"
  };
  ASSERT_EQ(cases.size(), 4u);
  for (const Case& c : cases) EXPECT_FALSE(c.fh->Validate().ok()) << c.name;
  FloatHistogram h;
  h.count = -1;
  EXPECT_EQ(h.Validate().message(), "observation count is  -1: histogram's observation count is negative");
  h.count = 1;
  h.zero_count = -2.5;
  EXPECT_EQ(h.Validate().message(),
            "zero bucket has observation count of -2.5: histogram has a bucket whose observation count is negative");
}

TEST(FloatHistogramTest, StringMatchesPrometheus) {
  FloatHistogram h;
  h.schema = 1;
  h.zero_threshold = 0.01;
  h.zero_count = 5.5;
  h.count = 3493.3;
  h.sum = 2349209.324;
  h.positive_spans = {{-2, 1}, {2, 3}};
  h.positive_buckets = {1, 3.3, 4.2, 0.1};
  h.negative_spans = {{3, 2}, {3, 2}};
  h.negative_buckets = {3.1, 3, 1.234e5, 1000};
  ASSERT_TRUE(h.Validate().ok());
  EXPECT_EQ(h.ToString(),
            "{count:3493.3, sum:2.349209324e+06, [-22.62741699796952,-16):1000, [-16,-11.31370849898476):123400, "
            "[-4,-2.82842712474619):3, [-2.82842712474619,-2):3.1, [-0.01,0.01]:5.5, (0.35355339059327373,0.5]:1, "
            "(1,1.414213562373095]:3.3, (1.414213562373095,2]:4.2, (2,2.82842712474619]:0.1}");

  FloatHistogram c;
  c.schema = kCustomBucketsSchema;
  c.count = 3493.3;
  c.sum = 2349209.324;
  c.positive_spans = {{0, 1}, {2, 4}};
  c.positive_buckets = {1, 3.3, 4.2, 0.1, 5};
  c.custom_values = {1, 2, 5, 10, 15, 20};
  ASSERT_TRUE(c.Validate().ok());
  EXPECT_EQ(c.ToString(),
            "{count:3493.3, sum:2.349209324e+06, [-Inf,1]:1, (5,10]:3.3, (10,15]:4.2, (15,20]:0.1, (20,+Inf]:5}");
}

TEST(FloatHistogramTest, EqualsComparesLayoutAndBits) {
  FloatHistogram a;
  a.count = 3;
  a.sum = kNaN;
  a.positive_spans = {{0, 1}, {0, 0}, {1, 1}};
  a.positive_buckets = {1, 2};
  FloatHistogram b = a;
  b.positive_spans = {{0, 1}, {1, 1}};  // same layout without the empty span
  EXPECT_TRUE(a.Equals(b));             // NaN sums with the same bits are equal
  b.positive_spans = {{0, 1}, {0, 1}};  // a different layout
  EXPECT_FALSE(a.Equals(b));
  b = a;
  b.positive_buckets = {1, 2.5};
  EXPECT_FALSE(a.Equals(b));
  b = a;
  b.zero_threshold = 0.1;
  EXPECT_FALSE(a.Equals(b));
  FloatHistogram c1, c2;
  c1.schema = c2.schema = kCustomBucketsSchema;
  c1.custom_values = {1, 2};
  c2.custom_values = {1, 3};
  EXPECT_FALSE(c1.Equals(c2));
}

TEST(FloatHistogramTest, HasOverflow) {
  FloatHistogram h;
  EXPECT_FALSE(h.HasOverflow());
  h.positive_spans = {{0, 1}};
  h.positive_buckets = {kInf};
  EXPECT_TRUE(h.HasOverflow());
  h.positive_buckets = {1};
  h.sum = -kInf;
  EXPECT_TRUE(h.HasOverflow());
}

}  // namespace
}  // namespace promethium

namespace promethium {
namespace {

TEST(FloatHistogramTest, TestExpressionIsTheTestScriptNotation) {
  FloatHistogram h;
  h.schema = 1;
  h.count = 3;
  h.sum = 5;
  h.positive_spans = {{-2, 1}, {2, 1}};
  h.positive_buckets = {1, 2};
  // Gaps become explicit empty buckets so that one span per side remains.
  EXPECT_EQ(h.TestExpression(), "{{schema:1 count:3 sum:5 offset:-2 buckets:[1 0 0 2]}}");
  FloatHistogram c;
  c.schema = kCustomBucketsSchema;
  c.counter_reset_hint = CounterResetHint::kGauge;
  c.count = 0.5;
  c.custom_values = {5, 10};
  c.positive_spans = {{1, 1}};
  c.positive_buckets = {0.5};
  EXPECT_EQ(c.TestExpression(),
            "{{schema:-53 count:0.5 custom_values:[5 10] counter_reset_hint:gauge offset:1 buckets:[0.5]}}");
  FloatHistogram z;
  z.zero_threshold = 0.001;
  z.zero_count = 2e6;
  z.negative_spans = {{0, 1}};
  z.negative_buckets = {1};
  EXPECT_EQ(z.TestExpression(), "{{z_bucket:2e+06 z_bucket_w:0.001 n_buckets:[1]}}");
  // Round trip through the test-script parser.
  EXPECT_TRUE(histogram_test::ParseNotation(h.TestExpression()).Equals([&] {
    FloatHistogram want = h;
    want.Compact(std::numeric_limits<int>::max());
    return want;
  }()));
}

}  // namespace
}  // namespace promethium
