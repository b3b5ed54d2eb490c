// Native-histogram sample records of our WAL (record.h, types 7 and 8):
// round trips of every field, the byte layout docs/format/wal.md gives,
// custom-bucket histograms, and malformed records.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "tsdb/wal/record.h"

namespace promethium::tsdb::wal {
namespace {

uint64_t Bits(double v) { return std::bit_cast<uint64_t>(v); }

// Field by field, floats by their bits (so NaN sums compare).
void ExpectSame(const Histogram& got, const Histogram& want) {
  EXPECT_EQ(got.counter_reset_hint, want.counter_reset_hint);
  EXPECT_EQ(got.schema, want.schema);
  EXPECT_EQ(Bits(got.zero_threshold), Bits(want.zero_threshold));
  EXPECT_EQ(got.zero_count, want.zero_count);
  EXPECT_EQ(got.count, want.count);
  EXPECT_EQ(Bits(got.sum), Bits(want.sum));
  EXPECT_EQ(got.positive_spans, want.positive_spans);
  EXPECT_EQ(got.negative_spans, want.negative_spans);
  EXPECT_EQ(got.positive_buckets, want.positive_buckets);
  EXPECT_EQ(got.negative_buckets, want.negative_buckets);
  EXPECT_EQ(got.custom_values, want.custom_values);
}

void ExpectSame(const FloatHistogram& got, const FloatHistogram& want) {
  EXPECT_EQ(got.counter_reset_hint, want.counter_reset_hint);
  EXPECT_EQ(got.schema, want.schema);
  EXPECT_EQ(Bits(got.zero_threshold), Bits(want.zero_threshold));
  EXPECT_EQ(Bits(got.zero_count), Bits(want.zero_count));
  EXPECT_EQ(Bits(got.count), Bits(want.count));
  EXPECT_EQ(Bits(got.sum), Bits(want.sum));
  EXPECT_EQ(got.positive_spans, want.positive_spans);
  EXPECT_EQ(got.negative_spans, want.negative_spans);
  ASSERT_EQ(got.positive_buckets.size(), want.positive_buckets.size());
  for (size_t i = 0; i < got.positive_buckets.size(); ++i)
    EXPECT_EQ(Bits(got.positive_buckets[i]), Bits(want.positive_buckets[i]));
  EXPECT_EQ(got.negative_buckets, want.negative_buckets);
  EXPECT_EQ(got.custom_values, want.custom_values);
}

// An exponential histogram using every field: both sides, a zero bucket,
// spans with gaps and negative offsets.
Histogram FullHistogram() {
  Histogram h;
  h.counter_reset_hint = CounterResetHint::kNotCounterReset;
  h.schema = 3;
  h.zero_threshold = 1e-128;
  h.zero_count = 5;
  h.count = 19;
  h.sum = -123.25;
  h.positive_spans = {{-2, 2}, {3, 1}};
  h.positive_buckets = {1, 2, -1};  // absolute 1, 3, 2
  h.negative_spans = {{1000, 2}};
  h.negative_buckets = {3, 2};  // absolute 3, 5
  return h;
}

Histogram CustomBucketsHistogram() {
  Histogram h;
  h.schema = kCustomBucketsSchema;
  h.count = 6;
  h.sum = 7.5;
  h.positive_spans = {{0, 2}, {1, 1}};
  h.positive_buckets = {2, 1, -2};  // absolute 2, 3, 1
  h.custom_values = {0.1, 0.5, 1, 10};
  return h;
}

TEST(WalHistogramRecord, IntegerRoundTrip) {
  Histogram nan_sum = FullHistogram();
  nan_sum.sum = std::bit_cast<double>(uint64_t{0x7ff8000000000001ULL});
  nan_sum.counter_reset_hint = CounterResetHint::kGauge;
  const std::vector<RefHistogramSample> in = {
      {42, 1000, FullHistogram()},
      {7, 999, CustomBucketsHistogram()},  // ref and t below the base
      {std::numeric_limits<uint64_t>::max(), std::numeric_limits<int64_t>::min(), nan_sum},
      {43, 1000, Histogram{}},  // schema 0, nothing observed
  };
  std::string rec;
  EncodeHistogramSamples(in, &rec);
  ASSERT_EQ(*PeekRecordType(rec), RecordType::kHistogramSamples);
  std::vector<RefHistogramSample> out = {{1, 1, FullHistogram()}};
  ASSERT_TRUE(DecodeHistogramSamples(rec, &out).ok());
  ASSERT_EQ(out.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(out[i].ref, in[i].ref);
    EXPECT_EQ(out[i].t, in[i].t);
    ExpectSame(out[i].h, in[i].h);
  }
}

TEST(WalHistogramRecord, FloatRoundTrip) {
  FloatHistogram custom;
  custom.counter_reset_hint = CounterResetHint::kCounterReset;
  custom.schema = kCustomBucketsSchema;
  custom.count = 2.5;
  custom.sum = std::numeric_limits<double>::infinity();
  custom.positive_spans = {{1, 2}};
  custom.positive_buckets = {0.5, 2};
  custom.custom_values = {-1, 0, 1};
  FloatHistogram expo;
  expo.schema = -4;
  expo.zero_threshold = 0.5;
  expo.zero_count = 1.25;
  expo.count = 4.75;
  expo.sum = -0.0;
  expo.negative_spans = {{-3, 1}};
  expo.negative_buckets = {3.5};
  const std::vector<RefFloatHistogramSample> in = {{9, -5, custom}, {10, 20, expo}};
  std::string rec;
  EncodeFloatHistogramSamples(in, &rec);
  ASSERT_EQ(*PeekRecordType(rec), RecordType::kFloatHistogramSamples);
  std::vector<RefFloatHistogramSample> out;
  ASSERT_TRUE(DecodeFloatHistogramSamples(rec, &out).ok());
  ASSERT_EQ(out.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(out[i].ref, in[i].ref);
    EXPECT_EQ(out[i].t, in[i].t);
    ExpectSame(out[i].fh, in[i].fh);
  }
}

// The layouts written out in docs/format/wal.md.
TEST(WalHistogramRecord, ByteLayoutAsDocumented) {
  Histogram h;
  h.count = 1;
  h.sum = 1;
  h.positive_spans = {{0, 1}};
  h.positive_buckets = {1};
  const RefHistogramSample one{7, 10, h};
  std::string rec;
  EncodeHistogramSamples({&one, 1}, &rec);
  EXPECT_EQ(rec, std::string("\x07\x07\x14\x00\x00"  // type, base ref 7, base t 10, deltas 0 0
                             "\x00\x00"              // hint unknown, schema 0
                             "\0\0\0\0\0\0\0\0"      // zero threshold 0
                             "\x00\x01"              // zero count 0, count 1
                             "\0\0\0\0\0\0\xf0\x3f"  // sum 1.0
                             "\x01\x00\x01\x00"      // 1 positive span {0, 1}, no negative span
                             "\x01\x02\x00",         // 1 positive bucket (+1), no negative bucket
                             32));

  FloatHistogram f;
  f.schema = kCustomBucketsSchema;
  f.count = 1;
  f.positive_spans = {{0, 1}};
  f.positive_buckets = {1};
  f.custom_values = {2};
  const RefFloatHistogramSample fone{7, 10, f};
  rec.clear();
  EncodeFloatHistogramSamples({&fone, 1}, &rec);
  EXPECT_EQ(rec, std::string("\x08\x07\x14\x00\x00"
                             "\x00\x69"                      // hint unknown, schema -53 (zigzag 105)
                             "\0\0\0\0\0\0\0\0"              // zero threshold 0
                             "\0\0\0\0\0\0\0\0"              // zero count 0
                             "\0\0\0\0\0\0\xf0\x3f"          // count 1.0
                             "\0\0\0\0\0\0\0\0"              // sum 0
                             "\x01\x00\x01\x00"              // spans
                             "\x01\0\0\0\0\0\0\xf0\x3f\x00"  // 1 positive bucket 1.0, no negative bucket
                             "\x01\0\0\0\0\0\0\0\x40",       // 1 custom value 2.0
                             62));
}

TEST(WalHistogramRecord, EmptyRecords) {
  std::string rec;
  EncodeHistogramSamples({}, &rec);
  EXPECT_EQ(rec, std::string("\x07", 1));
  std::vector<RefHistogramSample> out = {{1, 1, Histogram{}}};
  ASSERT_TRUE(DecodeHistogramSamples(rec, &out).ok());
  EXPECT_TRUE(out.empty());
  rec.clear();
  EncodeFloatHistogramSamples({}, &rec);
  EXPECT_EQ(rec, std::string("\x08", 1));
  std::vector<RefFloatHistogramSample> fout = {{1, 1, FloatHistogram{}}};
  ASSERT_TRUE(DecodeFloatHistogramSamples(rec, &fout).ok());
  EXPECT_TRUE(fout.empty());
}

TEST(WalHistogramRecord, MalformedRecordsAreCorruption) {
  const std::vector<RefHistogramSample> in = {{7, 10, FullHistogram()}, {8, 20, CustomBucketsHistogram()}};
  std::string rec, first_only;
  EncodeHistogramSamples(in, &rec);
  EncodeHistogramSamples({in.data(), 1}, &first_only);
  std::vector<RefHistogramSample> out;
  // Every cut is malformed but after the base (a record of no entries) and
  // after the first entry (a record of one).
  for (size_t cut = 2; cut < rec.size(); ++cut) {
    if (cut == 3 || cut == first_only.size()) continue;
    EXPECT_EQ(DecodeHistogramSamples(std::string_view(rec).substr(0, cut), &out).code(), Status::Code::kCorruption)
        << cut;
  }
  ASSERT_TRUE(DecodeHistogramSamples(first_only, &out).ok());
  EXPECT_EQ(out.size(), 1u);

  // Byte 5 is the hint, byte 6 the schema of the first entry (refs and
  // times are one byte each here).
  std::string bad = rec;
  bad[5] = '';  // no such counter-reset hint
  EXPECT_EQ(DecodeHistogramSamples(bad, &out).code(), Status::Code::kCorruption);
  bad = rec;
  bad[6] = '';  // schema 9: neither exponential (-4..8) nor custom buckets
  EXPECT_EQ(DecodeHistogramSamples(bad, &out).code(), Status::Code::kCorruption);
  // Wrong record types for each decoder.
  std::vector<RefFloatHistogramSample> fout;
  EXPECT_EQ(DecodeFloatHistogramSamples(rec, &fout).code(), Status::Code::kCorruption);
  std::string float_rec;
  EncodeFloatHistogramSamples({}, &float_rec);
  EXPECT_EQ(DecodeHistogramSamples(float_rec, &out).code(), Status::Code::kCorruption);
  std::vector<RefSample> samples;
  EXPECT_FALSE(DecodeSamples(rec, &samples).ok());
}

TEST(WalHistogramRecord, FloatMalformedRecordsAreCorruption) {
  FloatHistogram f;
  f.schema = kCustomBucketsSchema;
  f.positive_spans = {{0, 1}};
  f.positive_buckets = {1};
  f.custom_values = {2};
  const RefFloatHistogramSample one{7, 10, f};
  std::string rec;
  EncodeFloatHistogramSamples({&one, 1}, &rec);
  std::vector<RefFloatHistogramSample> out;
  for (size_t cut = 2; cut < rec.size(); ++cut) {
    if (cut == 3) continue;
    EXPECT_EQ(DecodeFloatHistogramSamples(std::string_view(rec).substr(0, cut), &out).code(), Status::Code::kCorruption)
        << cut;
  }
  // A custom-value count larger than the bytes left.
  std::string bad = rec;
  bad[rec.size() - 9] = '';
  EXPECT_EQ(DecodeFloatHistogramSamples(bad, &out).code(), Status::Code::kCorruption);
}

}  // namespace
}  // namespace promethium::tsdb::wal
