// Float histogram chunks. Scenarios and expected outcomes follow
// Prometheus's chunkenc/float_histogram_test.go (which uses the integer
// tests' histograms converted to float counts, as done here with AsFloat).
#include "tsdb/chunkenc/float_histogram_chunk.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "tsdb/api/sample.h"
#include "tsdb/chunkenc/histogram_test_util.h"

namespace promethium::tsdb {
namespace {

using testing::AsFloat;
using testing::ExpectSameFloatHistogram;

std::vector<std::pair<int64_t, FloatHistogram>> DecodeAll(std::string_view bytes) {
  std::vector<std::pair<int64_t, FloatHistogram>> out;
  FloatHistogramIterator it(bytes);
  while (it.Next() == ValueType::kFloatHistogram) {
    FloatHistogram fh;
    const int64_t t = it.AtFloatHistogram(&fh);
    EXPECT_EQ(t, it.AtT());
    out.emplace_back(t, std::move(fh));
  }
  EXPECT_TRUE(it.Err().ok()) << it.Err().ToString();
  return out;
}

FloatHistogram Example() {
  Histogram h;
  h.count = 5;
  h.zero_count = 2;
  h.sum = 18.4;
  h.zero_threshold = 1e-125;
  h.schema = 1;
  h.positive_spans = {{0, 2}, {2, 1}, {3, 2}, {3, 1}, {1, 1}};
  h.positive_buckets = {6, -3, 0, -1, 2, 1, -4};
  return AsFloat(h);
}

struct Outcome {
  AppendKind kind;
  CounterResetHeader header;
};

// Appends h1 then h2 to a fresh chunk and reports what the second append did.
Outcome AppendPair(const FloatHistogram& h1, const FloatHistogram& h2,
                   std::vector<std::pair<int64_t, FloatHistogram>>* samples = nullptr) {
  FloatHistogramChunk chunk;
  FloatHistogramAppender app(&chunk);
  EXPECT_TRUE(app.Append(100, h1, false).ok());
  const std::string before(chunk.Bytes());
  auto r = app.Append(101, h2, false);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return {AppendKind::kAppended, CounterResetHeader::kUnknown};
  if (r->kind != AppendKind::kAppended) {
    EXPECT_EQ(before, chunk.Bytes());  // recoding and cutting leave the old chunk alone
  }
  const FloatHistogramChunk& now = r->chunk ? *r->chunk : chunk;
  EXPECT_EQ(&now, app.chunk());
  if (samples != nullptr) *samples = DecodeAll(now.Bytes());
  return {r->kind, now.counter_reset_header()};
}

void ExpectOutcome(Outcome want, Outcome got) {
  EXPECT_EQ(want.kind, got.kind);
  EXPECT_EQ(want.header, got.header);
}

TEST(FloatHistogramChunkTest, FirstHistogramHeaderFollowsExplicitHint) {
  const std::pair<CounterResetHint, CounterResetHeader> cases[] = {
      {CounterResetHint::kCounterReset, CounterResetHeader::kCounterReset},
      {CounterResetHint::kNotCounterReset, CounterResetHeader::kUnknown},
      {CounterResetHint::kUnknown, CounterResetHeader::kUnknown},
      {CounterResetHint::kGauge, CounterResetHeader::kGauge},
  };
  for (const auto& [hint, header] : cases) {
    FloatHistogram h;
    h.counter_reset_hint = hint;
    FloatHistogramChunk chunk;
    FloatHistogramAppender app(&chunk);
    ASSERT_TRUE(app.Append(0, h, false).ok());
    EXPECT_EQ(header, chunk.counter_reset_header());
  }
}

TEST(FloatHistogramChunkTest, RoundTripSeekAndResume) {
  FloatHistogramChunk chunk;
  FloatHistogramAppender app(&chunk);
  std::vector<std::pair<int64_t, FloatHistogram>> want;
  for (int i = 0; i < 5; ++i) {
    FloatHistogram h = AsFloat(testing::TestHistogram(i));
    h.sum += 0.1 * i;  // non-trivial XOR windows
    h.zero_threshold = 0.001;
    ASSERT_TRUE(app.Append(1000 + i * 15 + (i == 3 ? 7 : 0), h, false).ok());
    if (i > 0) h.counter_reset_hint = CounterResetHint::kNotCounterReset;
    want.emplace_back(1000 + i * 15 + (i == 3 ? 7 : 0), h);
    if (i == 2) {  // continue on a resumed appender
      auto resumed = FloatHistogramAppender::Resume(&chunk);
      ASSERT_TRUE(resumed.ok());
      app = std::move(*resumed);
    }
  }
  auto got = DecodeAll(chunk.Bytes());
  ASSERT_EQ(want.size(), got.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(want[i].first, got[i].first);
    ExpectSameFloatHistogram(want[i].second, got[i].second);
  }
  FloatHistogramIterator it(chunk.Bytes());
  EXPECT_EQ(ValueType::kFloatHistogram, it.Seek(want[3].first));
  EXPECT_EQ(want[3].first, it.AtT());
  EXPECT_EQ(ValueType::kNone, it.Seek(want[4].first + 1));
}

TEST(FloatHistogramChunkTest, ResumedAppenderWritesTheSameBytes) {
  FloatHistogramChunk straight, resumed_chunk;
  FloatHistogramAppender a(&straight), b(&resumed_chunk);
  for (int i = 0; i < 4; ++i) {
    const FloatHistogram h = AsFloat(testing::TestHistogram(i));
    ASSERT_TRUE(a.Append(i * 10, h, false).ok());
    ASSERT_TRUE(b.Append(i * 10, h, false).ok());
    auto r = FloatHistogramAppender::Resume(&resumed_chunk);
    ASSERT_TRUE(r.ok());
    b = std::move(*r);
  }
  EXPECT_EQ(straight.Bytes(), resumed_chunk.Bytes());
}

TEST(FloatHistogramChunkAppendableTest, PrometheusScenarios) {
  const FloatHistogram eh = Example();
  {
    FloatHistogram h2 = eh;
    h2.schema++;
    ExpectOutcome({AppendKind::kNewChunk, CounterResetHeader::kUnknown}, AppendPair(eh, h2));
    h2 = eh;
    h2.zero_threshold += 0.1;
    ExpectOutcome({AppendKind::kNewChunk, CounterResetHeader::kUnknown}, AppendPair(eh, h2));
  }
  {  // more buckets: recode; the first sample gains empty buckets
    Histogram ih2;
    ih2.positive_spans = {{0, 3}, {1, 1}, {1, 4}, {3, 3}};
    ih2.positive_buckets = {7, -2, -4, 2, -2, -1, 2, 3, 0, -5, 1};
    FloatHistogram h2 = eh;
    h2.positive_spans = ih2.positive_spans;
    h2.positive_buckets = testing::AbsoluteCounts(ih2.positive_buckets);
    h2.count += 9;
    h2.zero_count++;
    h2.sum = 30;
    std::vector<std::pair<int64_t, FloatHistogram>> samples;
    ExpectOutcome({AppendKind::kRecoded, CounterResetHeader::kUnknown}, AppendPair(eh, h2, &samples));
    ASSERT_EQ(2u, samples.size());
    EXPECT_EQ((std::vector<double>{6, 3, 0, 3, 0, 0, 2, 4, 5, 0, 1}), samples[0].second.positive_buckets);
    EXPECT_EQ(h2.positive_spans, samples[0].second.positive_spans);
  }
  {  // a bucket missing: reset
    FloatHistogram h2 = eh;
    h2.positive_spans = {{0, 2}, {5, 2}, {3, 1}, {1, 1}};
    h2.sum = 21;
    h2.positive_buckets = {6, 3, 2, 4, 5, 1};
    ExpectOutcome({AppendKind::kNewChunk, CounterResetHeader::kCounterReset}, AppendPair(eh, h2));
  }
  {  // missing buckets that were empty: h2 widened
    FloatHistogram h1 = eh;
    h1.positive_buckets = {6, 0, 1, 2, 0, 1, 2};
    FloatHistogram h2 = h1;
    h2.positive_spans = {{0, 1}, {3, 1}, {3, 1}, {4, 1}, {1, 1}};
    h2.positive_buckets = {7, 2, 3, 3, 4};
    std::vector<std::pair<int64_t, FloatHistogram>> samples;
    ExpectOutcome({AppendKind::kAppended, CounterResetHeader::kUnknown}, AppendPair(h1, h2, &samples));
    ASSERT_EQ(2u, samples.size());
    EXPECT_EQ((std::vector<double>{7, 0, 2, 3, 0, 3, 4}), samples[1].second.positive_buckets);
    EXPECT_EQ(h1.positive_spans, samples[1].second.positive_spans);
    // ... and with a new bucket as well: recode, with the adjusted spans
    h2.positive_spans = {{0, 1}, {3, 1}, {3, 1}, {4, 1}, {1, 2}};
    h2.positive_buckets = {7, 2, 3, 3, 4, 5};
    ExpectOutcome({AppendKind::kRecoded, CounterResetHeader::kUnknown}, AppendPair(h1, h2, &samples));
    ASSERT_EQ(2u, samples.size());
    EXPECT_EQ((std::vector<double>{7, 0, 2, 3, 0, 3, 4, 5}), samples[1].second.positive_buckets);
    EXPECT_EQ((std::vector<HistogramSpan>{{0, 2}, {2, 1}, {3, 2}, {3, 1}, {1, 2}}), samples[1].second.positive_spans);
  }
  {  // decrease, explicit hint, custom bounds change: resets
    FloatHistogram h2 = eh;
    h2.sum = 23;
    h2.positive_buckets = {6, 2, 3, 2, 4, 5, 1};
    ExpectOutcome({AppendKind::kNewChunk, CounterResetHeader::kCounterReset}, AppendPair(eh, h2));
    h2 = eh;
    h2.counter_reset_hint = CounterResetHint::kCounterReset;
    ExpectOutcome({AppendKind::kNewChunk, CounterResetHeader::kCounterReset}, AppendPair(eh, h2));
    FloatHistogram cb = AsFloat(testing::TestCustomBucketsHistogram(0));
    h2 = cb;
    h2.custom_values.push_back(5);
    ExpectOutcome({AppendKind::kNewChunk, CounterResetHeader::kCounterReset}, AppendPair(cb, h2));
    ExpectOutcome({AppendKind::kAppended, CounterResetHeader::kUnknown}, AppendPair(cb, cb));
  }
}

TEST(FloatHistogramChunkAppendableTest, HeaderOfChunkAfterPrevious) {
  const FloatHistogram eh = Example();
  FloatHistogram lower = eh;
  lower.count--;
  FloatHistogram other_schema = eh;
  other_schema.schema = 2;
  // Unlike integer chunks, a schema change counts as "not a reset" here.
  const std::pair<FloatHistogram, CounterResetHeader> cases[] = {
      {eh, CounterResetHeader::kNotCounterReset},
      {lower, CounterResetHeader::kCounterReset},
      {other_schema, CounterResetHeader::kNotCounterReset},
  };
  for (const auto& [h, header] : cases) {
    FloatHistogramChunk prev_chunk, next;
    FloatHistogramAppender prev(&prev_chunk), app(&next);
    ASSERT_TRUE(prev.Append(1, eh, false).ok());
    ASSERT_TRUE(app.Append(2, h, false, &prev).ok());
    EXPECT_EQ(header, next.counter_reset_header());
  }
}

TEST(FloatHistogramChunkAppendableTest, GaugeScenarios) {
  FloatHistogram g = Example();
  g.counter_reset_hint = CounterResetHint::kGauge;
  FloatHistogram h2 = g;
  h2.schema++;
  ExpectOutcome({AppendKind::kNewChunk, CounterResetHeader::kGauge}, AppendPair(g, h2));
  h2 = g;
  h2.positive_buckets = {6, 2, 3, 2, 4, 5, 1};  // a decrease
  ExpectOutcome({AppendKind::kAppended, CounterResetHeader::kGauge}, AppendPair(g, h2));
  h2 = g;  // a bucket missing and one new
  h2.positive_spans = {{0, 2}, {5, 2}, {3, 1}, {1, 1}};
  h2.positive_buckets = {6, 3, 2, 4, 5, 1};
  std::vector<std::pair<int64_t, FloatHistogram>> samples;
  ExpectOutcome({AppendKind::kRecoded, CounterResetHeader::kGauge}, AppendPair(g, h2, &samples));
  ASSERT_EQ(2u, samples.size());
  // Bucket indexes: the chunk has 0 1 4 8 9 13 15, h2 has 0 1 7 8 12 14;
  // both samples come back over the union 0 1 4 7 8 9 12 13 14 15.
  EXPECT_EQ((std::vector<HistogramSpan>{{0, 2}, {2, 1}, {2, 3}, {2, 4}}), samples[0].second.positive_spans);
  EXPECT_EQ(samples[0].second.positive_spans, samples[1].second.positive_spans);
  EXPECT_EQ((std::vector<double>{6, 3, 3, 0, 2, 4, 0, 5, 0, 1}), samples[0].second.positive_buckets);
  EXPECT_EQ((std::vector<double>{6, 3, 0, 2, 4, 0, 5, 0, 1, 0}), samples[1].second.positive_buckets);
  EXPECT_EQ(CounterResetHint::kGauge, samples[1].second.counter_reset_hint);
}

TEST(FloatHistogramChunkTest, AppendOnlyErrors) {
  FloatHistogramChunk c;
  FloatHistogramAppender app(&c);
  const FloatHistogram h = AsFloat(testing::TestHistogram(0));
  ASSERT_TRUE(app.Append(1, h, true).ok());
  FloatHistogram h2 = h;
  h2.schema++;
  auto r = app.Append(2, h2, true);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ("float histogram schema change", r.status().message());
  h2 = h;
  h2.counter_reset_hint = CounterResetHint::kCounterReset;
  r = app.Append(2, h2, true);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ("float histogram counter reset", r.status().message());
  EXPECT_EQ(1, c.NumSamples());
}

// Prometheus's TestFloatHistogramIteratorReduceSchema, with the expected
// buckets worked out from its targetIdx: ((i - 1) >> 1) + 1 for 9 -> 8.
TEST(FloatHistogramChunkTest, IteratorReducesFinerSchemasTo8) {
  BitWriter w;
  w.WriteBits(1, 16);
  w.WriteByte(0);
  WriteHistogramChunkLayout(9, 1e-100, std::vector<HistogramSpan>{{0, 2}, {1, 2}}, {}, {}, &w);
  PutVarbitInt(1, &w);
  for (double v : {10.0, 0.0, 15.0, 1.0, 2.0, 3.0, 4.0}) w.WriteBits(std::bit_cast<uint64_t>(v), 64);
  FloatHistogramIterator it(w.bytes());
  ASSERT_EQ(ValueType::kFloatHistogram, it.Next()) << it.Err().ToString();
  FloatHistogram fh;
  it.AtFloatHistogram(&fh);
  EXPECT_EQ(kMaxExponentialSchema, fh.schema);
  EXPECT_EQ((std::vector<HistogramSpan>{{0, 3}}), fh.positive_spans);
  EXPECT_EQ((std::vector<double>{1, 2, 7}), fh.positive_buckets);
}

TEST(FloatHistogramChunkTest, StaleMarkerAndTruncation) {
  FloatHistogramChunk c;
  FloatHistogramAppender app(&c);
  ASSERT_TRUE(app.Append(1, AsFloat(testing::TestHistogram(0)), false).ok());
  FloatHistogram stale;
  stale.sum = StaleNaN();
  ASSERT_TRUE(app.Append(2, stale, false).ok());
  auto samples = DecodeAll(c.Bytes());
  ASSERT_EQ(2u, samples.size());
  EXPECT_TRUE(IsStaleNaN(samples[1].second.sum));
  EXPECT_TRUE(samples[1].second.positive_buckets.empty());
  std::string bytes(c.Bytes());
  for (size_t cut = 1; cut + 1 < bytes.size(); ++cut) {
    FloatHistogramIterator it(std::string_view(bytes).substr(0, bytes.size() - cut));
    while (it.Next() != ValueType::kNone) {
    }
    EXPECT_FALSE(it.Err().ok()) << "cut " << cut;
  }
}

}  // namespace
}  // namespace promethium::tsdb
