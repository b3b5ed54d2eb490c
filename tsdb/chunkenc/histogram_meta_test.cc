// Layout section and span arithmetic of the histogram chunk encodings. The
// scenarios and their expected inserts, spans and buckets are those of
// Prometheus's chunkenc/histogram_meta_test.go.
#include "tsdb/chunkenc/histogram_meta.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "tsdb/chunkenc/varbit.h"

namespace promethium::tsdb {
namespace {

using Spans = std::vector<HistogramSpan>;
using Inserts = std::vector<BucketInsert>;

std::vector<int64_t> Indexes(const Spans& spans) {
  std::vector<int64_t> out;
  BucketIndexIterator it(spans);
  int64_t i;
  while (it.Next(&i)) out.push_back(i);
  return out;
}

TEST(BucketIndexIteratorTest, PrometheusScenarios) {
  EXPECT_EQ((std::vector<int64_t>{0}), Indexes({{0, 1}}));
  EXPECT_EQ((std::vector<int64_t>{0, 1, 3}), Indexes({{0, 2}, {1, 1}}));
  EXPECT_EQ((std::vector<int64_t>{100, 101, 102, 103, 112, 113, 114, 115, 116, 117, 118, 119}),
            Indexes({{100, 4}, {8, 7}, {0, 1}}));
  EXPECT_EQ((std::vector<int64_t>{0, 1, 4, 8, 9, 13, 15}), Indexes({{0, 2}, {2, 1}, {3, 2}, {3, 1}, {1, 1}}));
  EXPECT_EQ((std::vector<int64_t>{0, 1, 2, 4, 6, 7, 8, 9, 13, 14, 15}), Indexes({{0, 3}, {1, 1}, {1, 4}, {3, 3}}));
}

struct BothWaysCase {
  const char* name;
  Spans a, b;
  Inserts forward, backward;
  std::vector<int64_t> in, out;
  Spans merged;
};

std::vector<double> Absolute(const std::vector<int64_t>& deltas) {
  std::vector<double> out;
  double v = 0;
  for (int64_t d : deltas) out.push_back(v += static_cast<double>(d));
  return out;
}

TEST(ExpandSpansBothWaysTest, PrometheusScenarios) {
  const BothWaysCase cases[] = {
      {"single prepend at the beginning",
       {{-10, 3}},
       {{-11, 4}},
       {{0, 1, 0}},
       {},
       {6, -3, 0},
       {0, 6, -3, 0},
       {{-11, 4}}},
      {"single append at the end", {{-10, 3}}, {{-10, 4}}, {{3, 1, 0}}, {}, {6, -3, 0}, {6, -3, 0, -3}, {{-10, 4}}},
      {"double prepend and double append",
       {{-10, 3}},
       {{-12, 7}},
       {{0, 2, 0}, {3, 2, 0}},
       {},
       {6, -3, 0},
       {0, 0, 6, -3, 0, -3, 0},
       {{-12, 7}}},
      {"single removal of bucket in the middle",
       {{-10, 4}},
       {{-10, 2}, {1, 1}},
       {},
       {{2, 1, 0}},
       {1, 2, -1, 2},
       {1, 2, -1, 2},
       {{-10, 4}}},
      {"as described in doc comment",
       {{0, 2}, {2, 1}, {3, 2}, {3, 1}, {1, 1}},
       {{0, 3}, {1, 1}, {1, 4}, {3, 3}},
       {{2, 1, 0}, {3, 2, 0}, {6, 1, 0}},
       {},
       {6, -3, 0, -1, 2, 1, -4},
       {6, -3, -3, 3, -3, 0, 2, 2, 1, -5, 1},
       {{0, 3}, {1, 1}, {1, 4}, {3, 3}}},
      {"both forward and backward inserts, complex case",
       {{0, 2}, {2, 1}, {3, 2}, {3, 1}, {1, 1}},
       {{1, 2}, {1, 1}, {1, 2}, {1, 1}, {4, 1}},
       {{2, 1, 0}, {3, 2, 0}, {6, 1, 0}},
       {{0, 1, 0}, {5, 1, 0}, {6, 1, 0}, {7, 1, 0}},
       {1, 2, -1, 2, 0, 3, 1},
       {1, 2, -3, 2, -2, 0, 4, 0, 3, -7, 8},
       {{0, 3}, {1, 1}, {1, 4}, {3, 3}}},
      {"inserts with gaps",
       {{-19, 2}, {1, 2}},
       {{-19, 1}, {4, 1}, {3, 1}},
       {{4, 2, 0}},
       {{1, 3, 0}},
       {1, 2, -1, 1},
       {1, 2, -1, 1, -3, 0},
       {{-19, 2}, {1, 3}, {3, 1}}},
  };
  for (const BothWaysCase& c : cases) {
    SCOPED_TRACE(c.name);
    BothWaysExpansion e = ExpandSpansBothWays(c.a, c.b);
    EXPECT_EQ(c.forward, e.forward);
    EXPECT_EQ(c.backward, e.backward);
    EXPECT_EQ(c.merged, e.merged);
    EXPECT_EQ(c.out, InsertBuckets(c.in, e.forward, true));
    EXPECT_EQ(Absolute(c.out), InsertBuckets(Absolute(c.in), e.forward));
  }
}

struct ExpandCase {
  const char* name;
  Spans a;
  std::vector<int64_t> a_buckets;
  Spans b;
  std::vector<int64_t> b_buckets;
  bool reset;
  Inserts forward, backward;
  Spans merged;
  std::vector<int64_t> want_a, want_b;
};

TEST(ExpandSpansAndBucketsTest, PrometheusScenarios) {
  const ExpandCase cases[] = {
      {"empty", {}, {}, {}, {}, false, {}, {}, {}, {}, {}},
      {"single bucket reset to none", {{1, 1}}, {1}, {}, {}, true, {}, {}, {}, {}, {}},
      {"single bucket reset to lower", {{1, 1}}, {2}, {{1, 1}}, {1}, true, {}, {}, {}, {}, {}},
      {"single bucket increase", {{1, 1}}, {1}, {{1, 1}}, {2}, false, {}, {}, {{1, 1}}, {1}, {2}},
      {"distinct new buckets and increase",
       {{1, 1}},
       {1},
       {{-2, 2}, {1, 2}, {3, 1}},
       {2, 0, 0, 0, 0},
       false,
       {{0, 2, -2}, {1, 1, 2}, {1, 1, 6}},
       {},
       {{-2, 2}, {1, 2}, {3, 1}},
       {0, 0, 1, -1, 0},
       {2, 0, 0, 0, 0}},
      {"distinct new buckets but reset",
       {{1, 1}},
       {2},
       {{-2, 2}, {1, 2}, {3, 1}},
       {1, 0, 0, 0, 0},
       true,
       {},
       {},
       {},
       {},
       {}},
      {"distinct new buckets but missing",
       {{1, 1}},
       {2},
       {{-2, 2}, {2, 1}, {3, 1}},
       {1, 0, 0, 0},
       true,
       {},
       {},
       {},
       {},
       {}},
      {"distinct new buckets and missing an empty bucket",
       {{1, 1}},
       {0},
       {{3, 1}},
       {1},
       false,
       {{1, 1, 3}},
       {{0, 1, 1}},
       {{1, 1}, {1, 1}},
       {0, 0},
       {0, 1}},
      {"distinct new buckets and missing multiple empty buckets",
       {{1, 3}, {1, 2}, {2, 1}, {2, 2}},
       {0, 0, 0, 0, 0, 0, 0, 0},
       {{8, 1}},
       {1},
       false,
       {{5, 1, 8}},
       {{0, 3, 1}, {0, 2, 5}, {1, 1, 9}, {1, 2, 12}},
       {{1, 3}, {1, 2}, {1, 2}, {2, 2}},
       {0, 0, 0, 0, 0, 0, 0, 0, 0},
       {0, 0, 0, 0, 0, 1, -1, 0, 0}},
      {"overlap new buckets and missing multiple empty buckets with 0 length/offset spans",
       {{1, 3}, {1, 2}, {1, 2}, {1, 0}, {1, 2}},
       {0, 0, 0, 0, 0, 1, -1, 0, 0},
       {{1, 0}, {7, 1}},
       {2},
       false,
       {},
       {{0, 3, 1}, {0, 2, 5}, {1, 1, 9}, {1, 2, 12}},
       {{1, 3}, {1, 2}, {1, 2}, {2, 2}},
       {0, 0, 0, 0, 0, 1, -1, 0, 0},
       {0, 0, 0, 0, 0, 2, -2, 0, 0}},
      {"new empty buckets between filled buckets",
       {{-51, 8}, {11, 1}, {14, 1}},
       {1, 0, 1, -1, 1, 1, 0, -1, -1, 0},
       {{-51, 9}, {9, 2}, {14, 1}},
       {1, 1, 0, 1, -1, 1, 0, -1, -1, 0, 0, 0},
       false,
       {{8, 1, -43}, {8, 1, -33}},
       {},
       {{-51, 9}, {9, 2}, {14, 1}},
       {1, 0, 1, -1, 1, 1, 0, -1, -2, 0, 1, 0},
       {1, 1, 0, 1, -1, 1, 0, -1, -1, 0, 0, 0}},
      {"real example 1",
       {{-16, 1}, {2, 1}, {7, 1}},
       {0, 2, -2},
       {{-15, 4}, {5, 2}, {1, 1}},
       {0, 1, 2, -3, 0, 0, 0},
       false,
       {{1, 2, -15}, {2, 1, -12}, {2, 1, -6}, {3, 1, -3}},
       {{0, 1, -16}},
       {{-16, 5}, {5, 2}, {1, 1}},
       {0, 0, 0, 2, -2, 0, 0, 0},
       {0, 0, 1, 2, -3, 0, 0, 0}},
  };
  for (const ExpandCase& c : cases) {
    SCOPED_TRACE(c.name);
    SpanExpansion ints = ExpandIntSpansAndBuckets(c.a, c.b, c.a_buckets, c.b_buckets);
    SpanExpansion floats = ExpandFloatSpansAndBuckets(c.a, c.b, Absolute(c.a_buckets), Absolute(c.b_buckets));
    EXPECT_EQ(!c.reset, ints.ok);
    EXPECT_EQ(!c.reset, floats.ok);
    if (c.reset) continue;
    for (const SpanExpansion* e : {&ints, &floats}) {
      EXPECT_EQ(c.forward, e->forward);
      EXPECT_EQ(c.backward, e->backward);
      EXPECT_EQ(c.merged, AdjustSpansForInserts(c.b, e->backward));
    }
    EXPECT_EQ(c.want_a, InsertBuckets(c.a_buckets, ints.forward, true));
    EXPECT_EQ(c.want_b, InsertBuckets(c.b_buckets, ints.backward, true));
    EXPECT_EQ(Absolute(c.want_a), InsertBuckets(Absolute(c.a_buckets), floats.forward));
    EXPECT_EQ(Absolute(c.want_b), InsertBuckets(Absolute(c.b_buckets), floats.backward));
  }
}

TEST(HistogramChunkLayoutTest, PrometheusLayoutsRoundTrip) {
  const HistogramChunkLayout layouts[] = {
      {3, 0, {{-4, 3}, {2, 42}}, {}, {}},
      {-2, 2.938735877055719e-39, {}, {{2, 5}, {1, 34}}, {}},  // client_golang's default threshold
      {6, 1024, {}, {}, {}},                                   // largest one-byte threshold
      {6, 1025, {{2, 5}, {1, 34}, {0, 0}}, {{-345, 4545}, {53645665, 345}, {945995, 85848}}, {}},
      {6, 2048, {}, {}, {}},
      {0, std::ldexp(0.5, -242), {{-4, 3}}, {{2, 5}, {1, 34}}, {}},  // smallest one-byte threshold
      {0, std::ldexp(0.5, -243), {{-4, 3}}, {{2, 5}, {1, 34}}, {}},
      {kCustomBucketsSchema,
       0,
       {{-4, 3}, {2, 42}},
       {},
       {-5, -2.5, 0, 0.1, 0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 255, 500, 1000, 50000, 1e7}},
      {kCustomBucketsSchema,
       0,
       {{-4, 3}, {2, 42}},
       {},
       {0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048, 4.096, 8.192}},
      {kCustomBucketsSchema, 0, {{-4, 3}, {2, 42}}, {}, {1.001, 1.023, 2.01, 4.007, 4.095, 8.001, 8.19, 16.24}},
  };
  BitWriter w;
  for (const HistogramChunkLayout& l : layouts) {
    WriteHistogramChunkLayout(l.schema, l.zero_threshold, l.positive_spans, l.negative_spans, l.custom_values, &w);
  }
  BitReader r(w.bytes());
  for (const HistogramChunkLayout& want : layouts) {
    HistogramChunkLayout got;
    ASSERT_TRUE(ReadHistogramChunkLayout(&r, &got).ok());
    EXPECT_EQ(want.schema, got.schema);
    EXPECT_EQ(want.zero_threshold, got.zero_threshold);
    EXPECT_EQ(want.positive_spans, got.positive_spans);
    EXPECT_EQ(want.negative_spans, got.negative_spans);
    EXPECT_EQ(want.custom_values, got.custom_values);
  }
}

// The encodings Prometheus documents in putZeroThreshold/putCustomBound.
TEST(HistogramChunkLayoutTest, ZeroThresholdEncodings) {
  auto encode = [](double v) {
    BitWriter w;
    PutZeroThreshold(v, &w);
    return w.bytes();
  };
  EXPECT_EQ(std::string(1, '\0'), encode(0));
  EXPECT_EQ(std::string(1, static_cast<char>(116)), encode(std::ldexp(1, -128)));  // the default: byte 116
  EXPECT_EQ(std::string(1, static_cast<char>(254)), encode(1024));                 // 0.5*2^11 -> 11+243
  EXPECT_EQ(std::string(1, static_cast<char>(1)), encode(std::ldexp(0.5, -242)));
  EXPECT_EQ(9u, encode(1025).size());
  EXPECT_EQ(static_cast<char>(255), encode(1025)[0]);
  EXPECT_EQ(9u, encode(2048).size());
}

TEST(HistogramChunkLayoutTest, CustomBoundEncodings) {
  auto bits = [](double v) {
    BitWriter w;
    PutCustomBound(v, &w);
    return (w.size() * 8) - static_cast<size_t>(w.free_bits());
  };
  EXPECT_EQ(5u, bits(0));           // varbit uint 1: 10 001
  EXPECT_EQ(13u, bits(0.5));        // 501 fits 9 bits: 1110 + 9
  EXPECT_EQ(17u, bits(0.512));      // 513 needs 12 bits: 11110 + 12
  EXPECT_EQ(32u, bits(33554.43));   // 33554431 needs 25 bits: 1111110 + 25
  EXPECT_EQ(65u, bits(33554.431));  // beyond: 0 bit + 64
  EXPECT_EQ(65u, bits(-1));
  EXPECT_EQ(65u, bits(0.0005));
}

TEST(HistogramChunkLayoutTest, CounterResetHintsByPosition) {
  EXPECT_EQ(CounterResetHint::kGauge, HintForSample(CounterResetHeader::kGauge, 1));
  EXPECT_EQ(CounterResetHint::kUnknown, HintForSample(CounterResetHeader::kCounterReset, 1));
  EXPECT_EQ(CounterResetHint::kUnknown, HintForSample(CounterResetHeader::kNotCounterReset, 1));
  EXPECT_EQ(CounterResetHint::kNotCounterReset, HintForSample(CounterResetHeader::kCounterReset, 2));
}

}  // namespace
}  // namespace promethium::tsdb
