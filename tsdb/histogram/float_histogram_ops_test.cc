// FloatHistogram Add, Sub and KahanAdd against Prometheus's own test tables
// (testdata/FloatHistogram{Add,Sub}.inc, translated mechanically from
// model/histogram/float_histogram_test.go), run the way Prometheus runs them.
#include <gtest/gtest.h>

#include <optional>

#include "tsdb/histogram/float_histogram.h"
#include "tsdb/histogram/histogram_test_util.h"

namespace promethium {
namespace {

using namespace histogram_test;  // NOLINT: constants the tables use

struct AddCase {
  std::string name;
  std::optional<FloatHistogram> in1, in2, expected;
  std::string expErrMsg;
  bool expCounterResetCollision = false;
  bool expNHCBBoundsReconciled = false;
};

std::vector<AddCase> AddCases() {
  using Case = AddCase;
  return {
#include "tsdb/histogram/testdata/FloatHistogramAdd.inc"
  };
}

std::vector<AddCase> SubCases() {
  using Case = AddCase;
  return {
#include "tsdb/histogram/testdata/FloatHistogramSub.inc"
  };
}

void CheckOutcome(const AddCase& c, const Status& s, const HistogramOpResult& r) {
  if (!c.expErrMsg.empty()) {
    EXPECT_EQ(s.message(), c.expErrMsg);
  } else {
    EXPECT_TRUE(s.ok()) << s.message();
  }
  EXPECT_EQ(r.counter_reset_collision, c.expCounterResetCollision);
  EXPECT_EQ(r.nhcb_bounds_reconciled, c.expNHCBBoundsReconciled);
}

void ExpectSum(FloatHistogram got, const std::optional<FloatHistogram>& expected) {
  if (!expected) return;
  FloatHistogram want = *expected;
  got.Compact(0);
  want.Compact(0);
  EXPECT_TRUE(Identical(got, want));
}

void RunAdd(const AddCase& c, const FloatHistogram& a, const FloatHistogram& b) {
  ASSERT_TRUE(a.Validate().ok()) << a.Validate().message();
  ASSERT_TRUE(b.Validate().ok()) << b.Validate().message();
  FloatHistogram sum = a;
  HistogramOpResult r;
  Status s = sum.Add(b, &r);
  CheckOutcome(c, s, r);
  if (s.ok()) ExpectSum(sum, c.expected);

  FloatHistogram kahan = a;
  FloatHistogram comp = kahan.NewCompensation();
  s = kahan.KahanAdd(b, &comp, &r);
  CheckOutcome(c, s, r);
  if (!s.ok()) return;
  // The compensation histogram follows the sum's layout.
  EXPECT_EQ(comp.schema, kahan.schema);
  EXPECT_EQ(comp.positive_spans, kahan.positive_spans);
  EXPECT_EQ(comp.negative_spans, kahan.negative_spans);
  EXPECT_EQ(comp.positive_buckets.size(), kahan.positive_buckets.size());
  EXPECT_EQ(comp.negative_buckets.size(), kahan.negative_buckets.size());
  ASSERT_TRUE(kahan.Add(comp).ok());
  ExpectSum(kahan, c.expected);
}

TEST(FloatHistogramOpsTest, AddMatchesPrometheusCases) {
  const std::vector<AddCase> cases = AddCases();
  ASSERT_EQ(cases.size(), 24u);
  for (const AddCase& c : cases) {
    SCOPED_TRACE(c.name);
    RunAdd(c, *c.in1, *c.in2);
    RunAdd(c, *c.in2, *c.in1);
  }
}

void RunSub(const AddCase& c, const FloatHistogram& a, const FloatHistogram& b,
            const std::optional<FloatHistogram>& expected) {
  FloatHistogram diff = a;
  HistogramOpResult r;
  Status s = diff.Sub(b, &r);
  if (!c.expErrMsg.empty()) {
    EXPECT_EQ(s.message(), c.expErrMsg);
    return;
  }
  ASSERT_TRUE(s.ok()) << s.message();
  if (!expected) return;
  ExpectSum(diff, expected);
  EXPECT_EQ(r.counter_reset_collision, c.expCounterResetCollision);
  EXPECT_EQ(r.nhcb_bounds_reconciled, c.expNHCBBoundsReconciled);
}

TEST(FloatHistogramOpsTest, SubMatchesPrometheusCases) {
  const std::vector<AddCase> cases = SubCases();
  ASSERT_EQ(cases.size(), 6u);
  for (const AddCase& c : cases) {
    SCOPED_TRACE(c.name);
    RunSub(c, *c.in1, *c.in2, c.expected);
    std::optional<FloatHistogram> negative;
    if (c.expected) {
      negative = *c.expected;
      negative->Mul(-1);
      negative->counter_reset_hint = c.expected->counter_reset_hint;
    }
    RunSub(c, *c.in2, *c.in1, negative);
  }
}

TEST(FloatHistogramOpsTest, KahanAddRecoversPrecisionLostByPlainAdd) {
  // 1 + 1e100 - 1e100 is 0 with plain addition; the compensation keeps the 1.
  FloatHistogram acc;
  acc.count = 1;
  acc.sum = 1;
  FloatHistogram big;
  big.count = 1e100;
  big.sum = 1e100;
  FloatHistogram minus_big;
  minus_big.count = -1e100;
  minus_big.sum = -1e100;
  FloatHistogram comp = acc.NewCompensation();
  ASSERT_TRUE(acc.KahanAdd(big, &comp, nullptr).ok());
  ASSERT_TRUE(acc.KahanAdd(minus_big, &comp, nullptr).ok());
  EXPECT_EQ(acc.sum, 0);
  ASSERT_TRUE(acc.Add(comp).ok());
  EXPECT_EQ(acc.sum, 1);
  EXPECT_EQ(acc.count, 1);
}

TEST(FloatHistogramOpsTest, ZeroBucketWideningMergesCoveredBuckets) {
  // Schema 0, zero threshold 0.001 vs 1: the wider zero bucket [-1, 1] takes
  // the buckets (0.5, 1] and [-1, -0.5) of the first histogram.
  FloatHistogram a;
  a.zero_threshold = 0.001;
  a.zero_count = 1;
  a.count = 8;
  a.positive_spans = {{0, 2}};  // (0.5,1]:2 (1,2]:3
  a.positive_buckets = {2, 3};
  a.negative_spans = {{0, 1}};  // [-1,-0.5):2
  a.negative_buckets = {2};
  FloatHistogram b;
  b.zero_threshold = 1;
  b.zero_count = 4;
  b.count = 4;
  ASSERT_TRUE(a.Add(b).ok());
  EXPECT_EQ(a.zero_threshold, 1);
  EXPECT_EQ(a.zero_count, 1 + 2 + 2 + 4);
  EXPECT_EQ(a.ToString(), "{count:12, sum:0, [-1,1]:9, (1,2]:3}");
}

TEST(FloatHistogramOpsTest, ZeroCountForLargerThresholdMovesToBucketBound) {
  FloatHistogram h;
  h.zero_threshold = 0.001;
  h.zero_count = 1;
  h.positive_spans = {{0, 2}};  // (0.5,1]:2 (1,2]:3
  h.positive_buckets = {2, 3};
  double threshold = 0;
  // 1.5 cuts the populated bucket (1,2]: the threshold moves up to 2.
  EXPECT_EQ(h.ZeroCountForLargerThreshold(1.5, &threshold), 6);
  EXPECT_EQ(threshold, 2);
  EXPECT_EQ(h.ZeroCountForLargerThreshold(1, &threshold), 3);
  EXPECT_EQ(threshold, 1);
}

TEST(FloatHistogramOpsTest, MixedSchemasAreIncompatible) {
  FloatHistogram exp;
  FloatHistogram custom;
  custom.schema = kCustomBucketsSchema;
  custom.custom_values = {1};
  Status s = exp.Add(custom);
  EXPECT_EQ(s.message(),
            "cannot apply this operation on histograms with a mix of exponential and custom bucket schemas");
  FloatHistogram comp = exp.NewCompensation();
  EXPECT_FALSE(exp.KahanAdd(custom, &comp, nullptr).ok());
  EXPECT_FALSE(exp.Sub(custom).ok());
}

}  // namespace
}  // namespace promethium

namespace promethium {
namespace {

using namespace histogram_test;  // NOLINT: constants the table uses

TEST(FloatHistogramOpsTest, KahanAddWithGivenCompensationMatchesPrometheusCases) {
  struct Case {
    std::string name;
    std::optional<FloatHistogram> in1, comp, in2, expectedSum;
    std::string expErrMsg;
    bool expCounterResetCollision = false;
    bool expNHCBBoundsReconciled = false;
  };
  const std::vector<Case> cases = {
#include "tsdb/histogram/testdata/KahanAddWithComp.inc"
  };
  ASSERT_EQ(cases.size(), 6u);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    FloatHistogram sum = *c.in1;
    FloatHistogram comp = c.comp ? *c.comp : sum.NewCompensation();
    HistogramOpResult r;
    Status s = sum.KahanAdd(*c.in2, &comp, &r);
    if (!c.expErrMsg.empty()) {
      EXPECT_EQ(s.message(), c.expErrMsg);
      continue;
    }
    ASSERT_TRUE(s.ok()) << s.message();
    EXPECT_EQ(r.counter_reset_collision, c.expCounterResetCollision);
    EXPECT_EQ(r.nhcb_bounds_reconciled, c.expNHCBBoundsReconciled);
    EXPECT_EQ(comp.positive_spans, sum.positive_spans);
    EXPECT_EQ(comp.negative_spans, sum.negative_spans);
    ASSERT_TRUE(sum.Add(comp).ok());
    if (!c.expectedSum) continue;  // the case checks only the flags
    sum.Compact(0);
    FloatHistogram want = *c.expectedSum;
    want.Compact(0);
    EXPECT_TRUE(Identical(sum, want));
  }
}

}  // namespace
}  // namespace promethium
