// Integer histogram chunks. The scenarios and expected outcomes are those
// of Prometheus's chunkenc/histogram_test.go (TestHistogramChunkSameBuckets,
// ...BucketChanges, ...Appendable, ...AppendableGauge, ...AppendOnlyErrors,
// TestFirstHistogramExplicitCounterReset, TestIntHistogramEmptyBucketsWithGaps,
// TestHistogramIteratorFailIfSchemaInValid).
#include "tsdb/chunkenc/histogram_chunk.h"

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
using testing::ExpectSameHistogram;

struct Decoded {
  int64_t t;
  Histogram h;
  FloatHistogram fh;
};

std::vector<Decoded> DecodeAll(std::string_view bytes) {
  std::vector<Decoded> out;
  HistogramIterator it(bytes);
  while (it.Next() == ValueType::kHistogram) {
    Decoded d;
    d.t = it.AtHistogram(&d.h);
    EXPECT_EQ(d.t, it.AtFloatHistogram(&d.fh));
    EXPECT_EQ(d.t, it.AtT());
    out.push_back(std::move(d));
  }
  EXPECT_TRUE(it.Err().ok()) << it.Err().ToString();
  return out;
}

// The histogram Prometheus's appendable tests start from.
Histogram ExampleHistogram() {
  Histogram h;
  h.count = 5;
  h.zero_count = 2;
  h.sum = 18.4;
  h.zero_threshold = 1e-125;
  h.schema = 1;
  h.positive_spans = {{0, 2}, {2, 1}, {3, 2}, {3, 1}, {1, 1}};
  h.positive_buckets = {6, -3, 0, -1, 2, 1, -4};  // counts 6, 3, 3, 2, 4, 5, 1
  return h;
}

Histogram CustomBucketsExample() {
  Histogram h;
  h.count = 24;
  h.sum = 18.4;
  h.schema = kCustomBucketsSchema;
  h.positive_spans = {{0, 2}, {2, 1}, {3, 2}, {3, 1}, {1, 1}};
  h.positive_buckets = {6, -3, 0, -1, 2, 1, -4};
  for (int i = 1; i <= 20; ++i) h.custom_values.push_back(i);
  return h;
}

// A chunk holding one sample, as Prometheus's setup().
struct OneSampleChunk {
  explicit OneSampleChunk(const Histogram& h) {
    auto r = app.Append(ts, h, false);
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(AppendKind::kAppended, r->kind);
    EXPECT_EQ(1, chunk->NumSamples());
  }
  std::unique_ptr<HistogramChunk> chunk = std::make_unique<HistogramChunk>();
  HistogramAppender app{chunk.get()};
  int64_t ts = 1234567890;
};

void ExpectNewChunk(OneSampleChunk& s, const Histogram& h, CounterResetHeader header, CounterResetHint hint) {
  const std::string before(s.chunk->Bytes());
  auto r = s.app.Append(s.ts + 1, h, false);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(before, s.chunk->Bytes());  // the old chunk is untouched
  ASSERT_EQ(AppendKind::kNewChunk, r->kind);
  ASSERT_NE(nullptr, r->chunk);
  EXPECT_EQ(r->chunk.get(), s.app.chunk());
  EXPECT_EQ(header, r->chunk->counter_reset_header());
  auto samples = DecodeAll(r->chunk->Bytes());
  ASSERT_EQ(1u, samples.size());
  EXPECT_EQ(hint, samples[0].h.counter_reset_hint);
}

std::vector<Decoded> ExpectAppended(OneSampleChunk& s, const Histogram& h, CounterResetHeader header) {
  const size_t before = s.chunk->SizeBytes();
  auto r = s.app.Append(s.ts + 1, h, false);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return {};
  EXPECT_EQ(AppendKind::kAppended, r->kind);
  EXPECT_EQ(nullptr, r->chunk);
  EXPECT_GT(s.chunk->SizeBytes(), before);
  EXPECT_EQ(header, s.chunk->counter_reset_header());
  auto samples = DecodeAll(s.chunk->Bytes());
  EXPECT_EQ(2u, samples.size());
  return samples;
}

std::vector<Decoded> ExpectRecoded(OneSampleChunk& s, const Histogram& h, CounterResetHeader header) {
  const std::string before(s.chunk->Bytes());
  auto r = s.app.Append(s.ts + 1, h, false);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return {};
  EXPECT_EQ(before, s.chunk->Bytes());
  EXPECT_EQ(AppendKind::kRecoded, r->kind);
  if (r->chunk == nullptr) return {};
  EXPECT_EQ(r->chunk.get(), s.app.chunk());
  EXPECT_EQ(header, r->chunk->counter_reset_header());
  auto samples = DecodeAll(r->chunk->Bytes());
  EXPECT_EQ(2u, samples.size());
  s.chunk = std::move(r->chunk);
  return samples;
}

TEST(HistogramChunkTest, FirstHistogramHeaderFollowsExplicitHint) {
  const struct {
    CounterResetHint hint;
    CounterResetHeader header;
    CounterResetHint read_hint;
  } cases[] = {
      {CounterResetHint::kCounterReset, CounterResetHeader::kCounterReset, CounterResetHint::kUnknown},
      {CounterResetHint::kNotCounterReset, CounterResetHeader::kUnknown, CounterResetHint::kUnknown},
      {CounterResetHint::kUnknown, CounterResetHeader::kUnknown, CounterResetHint::kUnknown},
      {CounterResetHint::kGauge, CounterResetHeader::kGauge, CounterResetHint::kGauge},
  };
  for (const auto& c : cases) {
    Histogram h;
    h.counter_reset_hint = c.hint;
    HistogramChunk chunk;
    HistogramAppender app(&chunk);
    auto r = app.Append(0, h, false);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(AppendKind::kAppended, r->kind);
    EXPECT_EQ(c.header, chunk.counter_reset_header());
    auto samples = DecodeAll(chunk.Bytes());
    ASSERT_EQ(1u, samples.size());
    EXPECT_EQ(c.read_hint, samples[0].h.counter_reset_hint);
  }
}

TEST(HistogramChunkTest, SameBucketsRoundTripAndResume) {
  auto chunk = std::make_unique<HistogramChunk>();
  HistogramAppender app(chunk.get());
  std::vector<std::pair<int64_t, Histogram>> want;
  int64_t ts = 1234567890;
  Histogram h;
  h.count = 15;
  h.zero_count = 2;
  h.sum = 18.4;
  h.zero_threshold = 1e-100;
  h.schema = 1;
  h.positive_spans = {{0, 2}, {1, 2}};
  h.positive_buckets = {1, 1, -1, 0};
  h.negative_spans = {{1, 1}, {2, 3}};
  h.negative_buckets = {2, 1, -1, -1};
  ASSERT_TRUE(app.Append(ts, h, false).ok());
  want.emplace_back(ts, h);

  ts += 16;
  h.count = 32;
  h.zero_count++;
  h.sum = 24.4;
  h.positive_buckets = {5, -2, 1, -2};
  h.negative_buckets = {4, -1, 1, -1};
  ASSERT_TRUE(app.Append(ts, h, false).ok());
  want.emplace_back(ts, h);
  want.back().second.counter_reset_hint = CounterResetHint::kNotCounterReset;

  // Continue with a new appender restored from the bytes.
  auto resumed = HistogramAppender::Resume(chunk.get());
  ASSERT_TRUE(resumed.ok());
  ts += 14;
  h.count = 54;
  h.zero_count += 2;
  h.positive_buckets = {6, 1, -3, 6};
  h.negative_buckets = {5, 1, -2, 3};
  auto r = resumed->Append(ts, h, false);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(AppendKind::kAppended, r->kind);
  want.emplace_back(ts, h);
  want.back().second.counter_reset_hint = CounterResetHint::kNotCounterReset;
  EXPECT_EQ(3, chunk->NumSamples());

  auto got = DecodeAll(chunk->Bytes());
  ASSERT_EQ(want.size(), got.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(want[i].first, got[i].t);
    ExpectSameHistogram(want[i].second, got[i].h);
    ExpectSameFloatHistogram(AsFloat(want[i].second), got[i].fh);
  }

  // Seek stays on a satisfying sample and never goes back.
  HistogramIterator it(chunk->Bytes());
  EXPECT_EQ(ValueType::kHistogram, it.Seek(want[1].first));
  EXPECT_EQ(ValueType::kHistogram, it.Seek(want[1].first));
  EXPECT_EQ(want[1].first, it.AtT());
  EXPECT_EQ(ValueType::kHistogram, it.Seek(0));
  EXPECT_EQ(want[1].first, it.AtT());
  EXPECT_EQ(ValueType::kNone, it.Seek(want[2].first + 1));
  EXPECT_EQ(ValueType::kNone, it.Seek(0));
}

// Mimics the scenario of expandIntSpansAndBuckets's comment: new buckets
// recode the chunk and the first sample comes back in the wider layout.
TEST(HistogramChunkTest, BucketChangesRecodeEarlierSamples) {
  Histogram h1;
  h1.count = 27;
  h1.zero_count = 2;
  h1.sum = 18.4;
  h1.zero_threshold = 1e-125;
  h1.schema = 1;
  h1.positive_spans = {{0, 2}, {2, 1}, {3, 2}, {3, 1}, {1, 1}};
  h1.positive_buckets = {6, -3, 0, -1, 2, 1, -4};
  h1.negative_spans = {{1, 1}};
  h1.negative_buckets = {1};
  OneSampleChunk s(h1);
  Histogram h2 = h1;
  h2.positive_spans = {{0, 3}, {1, 1}, {1, 4}, {3, 3}};
  h2.negative_spans = {{0, 2}};
  h2.count = 35;
  h2.zero_count++;
  h2.sum = 30;
  h2.positive_buckets = {7, -2, -4, 2, -2, -1, 2, 3, 0, -5, 1};
  h2.negative_buckets = {2, -1};
  auto samples = ExpectRecoded(s, h2, CounterResetHeader::kUnknown);
  ASSERT_EQ(2u, samples.size());
  Histogram want1 = h1;
  want1.positive_spans = h2.positive_spans;
  want1.positive_buckets = {6, -3, -3, 3, -3, 0, 2, 2, 1, -5, 1};
  want1.negative_spans = h2.negative_spans;
  want1.negative_buckets = {0, 1};
  ExpectSameHistogram(want1, samples[0].h);
  ExpectSameFloatHistogram(AsFloat(want1), samples[0].fh);
  Histogram want2 = h2;
  want2.counter_reset_hint = CounterResetHint::kNotCounterReset;
  ExpectSameHistogram(want2, samples[1].h);
  EXPECT_EQ(s.ts + 1, samples[1].t);
}

TEST(HistogramChunkAppendableTest, LayoutChangesCutChunksWithUnknownHeader) {
  {
    OneSampleChunk s(ExampleHistogram());
    Histogram h2 = ExampleHistogram();
    h2.schema++;
    ExpectNewChunk(s, h2, CounterResetHeader::kUnknown, CounterResetHint::kUnknown);
  }
  {
    OneSampleChunk s(ExampleHistogram());
    Histogram h2 = ExampleHistogram();
    h2.zero_threshold += 0.1;
    ExpectNewChunk(s, h2, CounterResetHeader::kUnknown, CounterResetHint::kUnknown);
  }
  {
    OneSampleChunk s(ExampleHistogram());
    Histogram h2 = ExampleHistogram();
    h2.zero_threshold = 1e-120;
    ExpectNewChunk(s, h2, CounterResetHeader::kUnknown, CounterResetHint::kUnknown);
  }
}

TEST(HistogramChunkAppendableTest, MoreBucketsRecode) {
  OneSampleChunk s(ExampleHistogram());
  Histogram h2 = ExampleHistogram();
  h2.positive_spans = {{0, 3}, {1, 1}, {1, 4}, {3, 3}};
  h2.count += 9;
  h2.zero_count++;
  h2.sum = 30;
  h2.positive_buckets = {7, -2, -4, 2, -2, -1, 2, 3, 0, -5, 1};
  ExpectRecoded(s, h2, CounterResetHeader::kUnknown);
}

TEST(HistogramChunkAppendableTest, MissingOrDecreasedBucketsAreResets) {
  {  // a bucket missing
    OneSampleChunk s(ExampleHistogram());
    Histogram h2 = ExampleHistogram();
    h2.positive_spans = {{0, 2}, {5, 2}, {3, 1}, {1, 1}};
    h2.sum = 21;
    h2.positive_buckets = {6, -3, -1, 2, 1, -4};
    ExpectNewChunk(s, h2, CounterResetHeader::kCounterReset, CounterResetHint::kUnknown);
  }
  {  // same buckets, one decreased
    OneSampleChunk s(ExampleHistogram());
    Histogram h2 = ExampleHistogram();
    h2.sum = 23;
    h2.positive_buckets = {6, -4, 1, -1, 2, 1, -4};
    ExpectNewChunk(s, h2, CounterResetHeader::kCounterReset, CounterResetHint::kUnknown);
  }
  {  // new buckets, but the last one decreased
    OneSampleChunk s(ExampleHistogram());
    Histogram h2 = ExampleHistogram();
    h2.positive_spans = {{0, 3}, {1, 1}, {1, 4}, {3, 3}};
    h2.sum = 29;
    h2.positive_buckets = {7, -2, -4, 2, -2, -1, 2, 3, 0, -5, 0};
    ExpectNewChunk(s, h2, CounterResetHeader::kCounterReset, CounterResetHint::kUnknown);
  }
  {  // new buckets before the first, and a reset in the first old bucket
    OneSampleChunk s(ExampleHistogram());
    Histogram h2 = ExampleHistogram();
    h2.positive_spans = {{-3, 2}, {1, 2}, {2, 1}, {3, 2}, {3, 1}, {1, 1}};
    h2.sum = 26;
    h2.positive_buckets = {1, 1, 3, -2, 0, -1, 2, 1, -4};
    ExpectNewChunk(s, h2, CounterResetHeader::kCounterReset, CounterResetHint::kUnknown);
  }
  {  // explicit hint
    OneSampleChunk s(ExampleHistogram());
    Histogram h2 = ExampleHistogram();
    h2.counter_reset_hint = CounterResetHint::kCounterReset;
    ExpectNewChunk(s, h2, CounterResetHeader::kCounterReset, CounterResetHint::kUnknown);
  }
}

TEST(HistogramChunkAppendableTest, MissingEmptyBucketsAreFilledIn) {
  Histogram empty_buckets = ExampleHistogram();
  empty_buckets.positive_buckets = {6, -6, 1, 1, -2, 1, 1};  // counts 6, 0, 1, 2, 0, 1, 2
  {
    OneSampleChunk s(empty_buckets);
    Histogram h2 = empty_buckets;
    h2.positive_spans = {{0, 1}, {3, 1}, {3, 1}, {4, 1}, {1, 1}};  // lacks buckets 1 and 9
    h2.positive_buckets = {7, -5, 1, 0, 1};
    auto samples = ExpectAppended(s, h2, CounterResetHeader::kUnknown);
    ASSERT_EQ(2u, samples.size());
    EXPECT_EQ((std::vector<int64_t>{7, -7, 2, 1, -3, 3, 1}), samples[1].h.positive_buckets);
    EXPECT_EQ(empty_buckets.positive_spans, samples[1].h.positive_spans);
  }
  {  // and new buckets at the same time: recode, with the sample widened too
    OneSampleChunk s(empty_buckets);
    Histogram h2 = empty_buckets;
    h2.positive_spans = {{0, 1}, {3, 1}, {3, 1}, {4, 1}, {1, 2}};
    h2.positive_buckets = {7, -5, 1, 0, 1, 1};
    auto samples = ExpectRecoded(s, h2, CounterResetHeader::kUnknown);
    ASSERT_EQ(2u, samples.size());
    EXPECT_EQ((std::vector<int64_t>{7, -7, 2, 1, -3, 3, 1, 1}), samples[1].h.positive_buckets);
    EXPECT_EQ((std::vector<HistogramSpan>{{0, 2}, {2, 1}, {3, 2}, {3, 1}, {1, 2}}), samples[1].h.positive_spans);
  }
  {  // the chunk's first sample has an extra empty bucket that h2 lacks
    Histogram h1 = ExampleHistogram();
    h1.positive_spans.insert(h1.positive_spans.begin(), HistogramSpan{-10, 1});
    h1.positive_spans[1].offset = 9;
    h1.positive_buckets.insert(h1.positive_buckets.begin(), 0);
    OneSampleChunk s(h1);
    ExpectAppended(s, ExampleHistogram(), CounterResetHeader::kUnknown);
  }
}

TEST(HistogramChunkAppendableTest, CustomBuckets) {
  {
    OneSampleChunk s(CustomBucketsExample());
    ExpectAppended(s, CustomBucketsExample(), CounterResetHeader::kUnknown);
  }
  {
    OneSampleChunk s(CustomBucketsExample());
    Histogram h2 = CustomBucketsExample();
    h2.count++;
    h2.positive_buckets = {6, -3, 0, -1, 2, 1, -3};
    auto samples = ExpectAppended(s, h2, CounterResetHeader::kUnknown);
    ASSERT_EQ(2u, samples.size());
    EXPECT_EQ(h2.custom_values, samples[1].h.custom_values);
  }
  {
    OneSampleChunk s(CustomBucketsExample());
    Histogram h2 = CustomBucketsExample();
    h2.count--;
    h2.positive_buckets = {6, -3, 0, -1, 2, 1, -5};
    ExpectNewChunk(s, h2, CounterResetHeader::kCounterReset, CounterResetHint::kUnknown);
  }
  {
    OneSampleChunk s(CustomBucketsExample());
    Histogram h2 = CustomBucketsExample();
    h2.custom_values.push_back(21);
    ExpectNewChunk(s, h2, CounterResetHeader::kCounterReset, CounterResetHint::kUnknown);
  }
  {
    OneSampleChunk s(CustomBucketsExample());
    Histogram h2 = CustomBucketsExample();
    h2.positive_spans = {{0, 3}, {1, 1}, {1, 4}, {3, 3}};
    h2.count += 6;
    h2.sum = 30;
    h2.positive_buckets = {7, -2, -4, 2, -2, -1, 2, 3, 0, -5, 1};
    ExpectRecoded(s, h2, CounterResetHeader::kUnknown);
  }
}

// A new chunk continuing a previous one gets its header from the previous
// chunk's appender.
TEST(HistogramChunkAppendableTest, HeaderOfChunkAfterPrevious) {
  Histogram more_buckets = ExampleHistogram();
  more_buckets.positive_spans = {{0, 3}, {1, 1}, {1, 4}, {3, 3}};
  more_buckets.count += 9;
  more_buckets.zero_count++;
  more_buckets.sum = 30;
  more_buckets.positive_buckets = {7, -2, -4, 2, -2, -1, 2, 3, 0, -5, 1};
  Histogram lower_count = ExampleHistogram();
  lower_count.count--;
  const std::pair<Histogram, CounterResetHeader> cases[] = {
      {ExampleHistogram(), CounterResetHeader::kNotCounterReset},
      {lower_count, CounterResetHeader::kCounterReset},
      {more_buckets, CounterResetHeader::kNotCounterReset},
  };
  for (const auto& [h, header] : cases) {
    OneSampleChunk s(ExampleHistogram());
    HistogramChunk next;
    HistogramAppender app(&next);
    auto r = app.Append(s.ts + 1, h, false, &s.app);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(AppendKind::kAppended, r->kind);
    EXPECT_EQ(header, next.counter_reset_header());
    auto samples = DecodeAll(next.Bytes());
    ASSERT_EQ(1u, samples.size());
    EXPECT_EQ(CounterResetHint::kUnknown, samples[0].h.counter_reset_hint);
  }
}

Histogram GaugeExample() {
  Histogram h = ExampleHistogram();
  h.counter_reset_hint = CounterResetHint::kGauge;
  return h;
}

TEST(HistogramChunkAppendableGaugeTest, PrometheusScenarios) {
  {  // schema and threshold changes cut
    OneSampleChunk s(GaugeExample());
    EXPECT_EQ(CounterResetHeader::kGauge, s.chunk->counter_reset_header());
    Histogram h2 = GaugeExample();
    h2.schema++;
    ExpectNewChunk(s, h2, CounterResetHeader::kGauge, CounterResetHint::kGauge);
  }
  {
    OneSampleChunk s(GaugeExample());
    Histogram h2 = GaugeExample();
    h2.zero_threshold += 0.1;
    ExpectNewChunk(s, h2, CounterResetHeader::kGauge, CounterResetHint::kGauge);
  }
  {  // more buckets recode
    OneSampleChunk s(GaugeExample());
    Histogram h2 = GaugeExample();
    h2.positive_spans = {{0, 3}, {1, 1}, {1, 4}, {3, 3}};
    h2.count += 9;
    h2.zero_count++;
    h2.sum = 30;
    h2.positive_buckets = {7, -2, -4, 2, -2, -1, 2, 3, 0, -5, 1};
    ExpectRecoded(s, h2, CounterResetHeader::kGauge);
  }
  {  // missing (non-empty) buckets are fine for gauges: h2 is widened
    OneSampleChunk s(GaugeExample());
    Histogram h2 = GaugeExample();
    h2.positive_spans = {{0, 2}, {2, 1}, {3, 1}, {4, 1}, {1, 1}};
    h2.count -= 4;
    h2.sum--;
    h2.positive_buckets = {6, -3, 0, -1, 3, -4};
    auto samples = ExpectAppended(s, h2, CounterResetHeader::kGauge);
    ASSERT_EQ(2u, samples.size());
    EXPECT_EQ(GaugeExample().positive_spans, samples[1].h.positive_spans);
    EXPECT_EQ((std::vector<double>{6, 3, 3, 2, 0, 5, 1}), samples[1].fh.positive_buckets);
    EXPECT_EQ(CounterResetHint::kGauge, samples[1].h.counter_reset_hint);
  }
  {  // missing and new buckets: recode both ways
    OneSampleChunk s(GaugeExample());
    Histogram h2 = GaugeExample();
    h2.positive_spans = {{0, 2}, {5, 2}, {3, 1}, {1, 1}};
    h2.sum = 21;
    h2.positive_buckets = {6, -3, -1, 2, 1, -4};
    ExpectRecoded(s, h2, CounterResetHeader::kGauge);
  }
  {  // decreases are no resets
    OneSampleChunk s(GaugeExample());
    Histogram h2 = GaugeExample();
    h2.sum = 23;
    h2.positive_buckets = {6, -4, 1, -1, 2, 1, -4};
    ExpectAppended(s, h2, CounterResetHeader::kGauge);
  }
  {
    OneSampleChunk s(GaugeExample());
    Histogram h2 = GaugeExample();
    h2.positive_spans = {{-3, 2}, {1, 2}, {2, 1}, {3, 2}, {3, 1}, {1, 1}};
    h2.sum = 26;
    h2.positive_buckets = {1, 1, 3, -2, 0, -1, 2, 1, -4};
    ExpectRecoded(s, h2, CounterResetHeader::kGauge);
  }
  {  // custom bounds change cuts, count decrease does not
    Histogram cb = CustomBucketsExample();
    cb.counter_reset_hint = CounterResetHint::kGauge;
    OneSampleChunk s(cb);
    Histogram h2 = cb;
    h2.count--;
    h2.positive_buckets = {6, -3, 0, -1, 2, 1, -5};
    ExpectAppended(s, h2, CounterResetHeader::kGauge);
    OneSampleChunk s2(cb);
    Histogram h3 = cb;
    h3.custom_values.push_back(21);
    ExpectNewChunk(s2, h3, CounterResetHeader::kGauge, CounterResetHint::kGauge);
  }
}

TEST(HistogramChunkTest, AppendOnlyErrors) {
  {
    HistogramChunk c;
    HistogramAppender app(&c);
    ASSERT_TRUE(app.Append(1, testing::TestHistogram(0), true).ok());
    Histogram h2 = testing::TestHistogram(0);
    h2.schema++;
    auto r = app.Append(2, h2, true);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ("histogram schema change", r.status().message());
    EXPECT_EQ(1, c.NumSamples());
  }
  {
    HistogramChunk c;
    HistogramAppender app(&c);
    ASSERT_TRUE(app.Append(1, testing::TestHistogram(0), true).ok());
    Histogram h2 = testing::TestHistogram(0);
    h2.counter_reset_hint = CounterResetHint::kCounterReset;
    auto r = app.Append(2, h2, true);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ("histogram counter reset", r.status().message());
  }
  {
    HistogramChunk c;
    HistogramAppender app(&c);
    ASSERT_TRUE(app.Append(1, testing::TestCustomBucketsHistogram(0), true).ok());
    Histogram h2 = testing::TestCustomBucketsHistogram(0);
    h2.custom_values = {0, 1, 2, 3, 4, 5, 6, 7};
    auto r = app.Append(2, h2, true);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ("histogram counter reset", r.status().message());
  }
}

TEST(HistogramChunkTest, EmptyBucketsWithGapsRecode) {
  Histogram h1;
  h1.positive_spans = {{-19, 2}, {1, 2}};
  h1.positive_buckets = {0, 0, 0, 0};
  HistogramChunk c;
  HistogramAppender app(&c);
  ASSERT_TRUE(app.Append(1, h1, false).ok());
  Histogram h2;
  h2.positive_spans = {{-19, 1}, {4, 1}, {3, 1}};
  h2.positive_buckets = {0, 0, 0};
  auto r = app.Append(2, h2, false);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(AppendKind::kRecoded, r->kind);
  auto samples = DecodeAll(r->chunk->Bytes());
  ASSERT_EQ(2u, samples.size());
  const std::vector<HistogramSpan> merged = {{-19, 2}, {1, 3}, {3, 1}};  // expandSpansBothWays's "inserts with gaps"
  for (const Decoded& d : samples) {
    EXPECT_EQ(merged, d.h.positive_spans);
    EXPECT_EQ(6u, d.fh.positive_buckets.size());
  }
}

TEST(HistogramChunkTest, StaleMarkersStoreNoBuckets) {
  HistogramChunk c;
  HistogramAppender app(&c);
  ASSERT_TRUE(app.Append(1, testing::TestHistogram(0), false).ok());
  Histogram stale;
  stale.sum = StaleNaN();
  auto r = app.Append(2, stale, false);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(AppendKind::kAppended, r->kind);
  // After a stale marker only stale markers fit; a real sample starts a new
  // chunk with an unknown header.
  auto r2 = app.Append(3, testing::TestHistogram(1), false);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(AppendKind::kNewChunk, r2->kind);
  EXPECT_EQ(CounterResetHeader::kUnknown, r2->chunk->counter_reset_header());
  auto samples = DecodeAll(c.Bytes());
  ASSERT_EQ(2u, samples.size());
  EXPECT_TRUE(IsStaleNaN(samples[1].h.sum));
  EXPECT_TRUE(samples[1].h.positive_buckets.empty());
  EXPECT_TRUE(IsStaleNaN(samples[1].fh.sum));
}

// Prometheus's appender writes any schema; its iterator then fails. Our
// appender refuses invalid schemas, so the chunk is built by hand.
TEST(HistogramChunkTest, IteratorFailsOnUnknownSchema) {
  for (int32_t schema : {-101, 101}) {
    BitWriter w;
    w.WriteBits(1, 16);  // one sample
    w.WriteByte(0);
    WriteHistogramChunkLayout(schema, 1e-100, std::vector<HistogramSpan>{{0, 2}, {1, 2}}, {}, {}, &w);
    PutVarbitInt(1, &w);
    PutVarbitUint(10, &w);
    PutVarbitUint(0, &w);
    w.WriteBits(std::bit_cast<uint64_t>(15.0), 64);
    for (int64_t b : {1, 2, 3, 4}) PutVarbitInt(b, &w);
    HistogramIterator it(w.bytes());
    EXPECT_EQ(ValueType::kNone, it.Next());
    EXPECT_FALSE(it.Err().ok());
    EXPECT_NE(std::string::npos, it.Err().message().find("unknown schema")) << it.Err().ToString();
  }
  Histogram bad = testing::TestHistogram(0);
  bad.schema = 9;
  HistogramChunk c;
  HistogramAppender app(&c);
  EXPECT_FALSE(app.Append(1, bad, false).ok());
}

// Prometheus's TestHistogramIteratorReduceSchema: chunks from newer versions
// with schemas 9..52 are read reduced to schema 8. Built by hand, since our
// appender (like Prometheus's validation) refuses those schemas.
TEST(HistogramChunkTest, IteratorReducesFinerSchemasTo8) {
  for (int32_t schema : {9, 52}) {
    BitWriter w;
    w.WriteBits(1, 16);
    w.WriteByte(0);
    WriteHistogramChunkLayout(schema, 1e-100, std::vector<HistogramSpan>{{0, 2}, {1, 2}}, {}, {}, &w);
    PutVarbitInt(1, &w);
    PutVarbitUint(10, &w);
    PutVarbitUint(0, &w);
    w.WriteBits(std::bit_cast<uint64_t>(15.0), 64);
    for (int64_t b : {1, 2, 3, 4}) PutVarbitInt(b, &w);  // absolute 1, 3, 6, 10 at indexes 0, 1, 3, 4
    HistogramIterator it(w.bytes());
    ASSERT_EQ(ValueType::kHistogram, it.Next()) << it.Err().ToString();
    Histogram h;
    FloatHistogram fh;
    it.AtHistogram(&h);
    it.AtFloatHistogram(&fh);
    EXPECT_EQ(kMaxExponentialSchema, h.schema);
    EXPECT_EQ(kMaxExponentialSchema, fh.schema);
    if (schema == 9) {
      // Index i goes to ((i - 1) >> 1) + 1: 0 -> 0, 1 -> 1, 3 -> 2, 4 -> 2.
      EXPECT_EQ((std::vector<HistogramSpan>{{0, 3}}), h.positive_spans);
      EXPECT_EQ((std::vector<int64_t>{1, 2, 13}), h.positive_buckets);
      EXPECT_EQ((std::vector<double>{1, 3, 16}), fh.positive_buckets);
    } else {
      // Shifted by 44, every index lands in bucket 0 or 1: 0 -> 0, others -> 1.
      EXPECT_EQ((std::vector<HistogramSpan>{{0, 2}}), h.positive_spans);
      EXPECT_EQ((std::vector<double>{1, 19}), fh.positive_buckets);
    }
  }
}

TEST(HistogramChunkTest, RejectsMismatchedSpansAndTruncation) {
  Histogram h = testing::TestHistogram(0);
  h.positive_buckets.pop_back();
  HistogramChunk c;
  HistogramAppender app(&c);
  EXPECT_FALSE(app.Append(1, h, false).ok());
  EXPECT_EQ(0, c.NumSamples());

  ASSERT_TRUE(app.Append(1, testing::TestHistogram(0), false).ok());
  ASSERT_TRUE(app.Append(2, testing::TestHistogram(1), false).ok());
  std::string bytes(c.Bytes());
  for (size_t cut = 1; cut + 1 < bytes.size(); ++cut) {
    HistogramIterator it(std::string_view(bytes).substr(0, bytes.size() - cut));
    while (it.Next() != ValueType::kNone) {
    }
    EXPECT_FALSE(it.Err().ok()) << "cut " << cut;
  }
}

}  // namespace
}  // namespace promethium::tsdb
