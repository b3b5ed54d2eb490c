#include "tsdb/wal/record.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "tsdb/api/sample.h"

namespace promethium::tsdb::wal {
namespace {

TEST(WalRecord, VarintRoundTrip) {
  const int64_t values[] = {
      0, 1, -1, 63, -64, 64, 300, -300, std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min()};
  std::string buf;
  for (int64_t v : values) PutVarint(&buf, v);
  PutUvarint(&buf, std::numeric_limits<uint64_t>::max());
  std::string_view in(buf);
  for (int64_t want : values) {
    int64_t got = 0;
    ASSERT_TRUE(GetVarint(&in, &got));
    EXPECT_EQ(got, want);
  }
  uint64_t u = 0;
  ASSERT_TRUE(GetUvarint(&in, &u));
  EXPECT_EQ(u, std::numeric_limits<uint64_t>::max());
  EXPECT_TRUE(in.empty());
  std::string_view truncated("\x80\x80", 2);
  EXPECT_FALSE(GetUvarint(&truncated, &u));
}

TEST(WalRecord, SeriesRoundTrip) {
  std::vector<RefSeries> in = {
      {1, Labels{{"__name__", "up"}, {"job", "node"}}},
      {300, Labels{{"__name__", "http_requests_total"}, {"path", "/a\"b\n"}, {"code", "200"}}},
      {std::numeric_limits<uint64_t>::max() / 3, Labels{{"x", std::string(1000, 'v')}}},
  };
  std::string rec;
  EncodeSeries(in, &rec);
  ASSERT_EQ(*PeekRecordType(rec), RecordType::kSeries);
  std::vector<RefSeries> out;
  ASSERT_TRUE(DecodeSeries(rec, &out).ok());
  ASSERT_EQ(out.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    EXPECT_EQ(out[i].ref, in[i].ref);
    EXPECT_EQ(out[i].labels, in[i].labels);
  }
}

TEST(WalRecord, SamplesRoundTripBitExact) {
  const double quiet_nan = std::bit_cast<double>(uint64_t{0x7ff8000000000001ULL});
  std::vector<RefSample> in = {
      {5, 1000, 1.5},
      {3, 1000, -0.0},
      {1u << 30, 999, StaleNaN()},
      {6, -5000, quiet_nan},
      {1, std::numeric_limits<int64_t>::max(), std::numeric_limits<double>::infinity()},
      {std::numeric_limits<uint64_t>::max(), std::numeric_limits<int64_t>::min(), 1e-300},
  };
  std::string rec;
  EncodeSamples(in, &rec);
  ASSERT_EQ(*PeekRecordType(rec), RecordType::kSamples);
  std::vector<RefSample> out;
  ASSERT_TRUE(DecodeSamples(rec, &out).ok());
  ASSERT_EQ(out.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    EXPECT_EQ(out[i].ref, in[i].ref) << i;
    EXPECT_EQ(out[i].t, in[i].t) << i;
    EXPECT_EQ(std::bit_cast<uint64_t>(out[i].v), std::bit_cast<uint64_t>(in[i].v)) << i;
  }
}

TEST(WalRecord, ScrapeBatchIsCompact) {
  std::vector<RefSample> in;
  for (uint64_t i = 0; i < 1000; ++i) in.push_back({1000 + i, 1700000000000, static_cast<double>(i)});
  std::string rec;
  EncodeSamples(in, &rec);
  // 2 bytes of ref delta (up to 999, zigzag), 1 of time delta, 8 of value.
  EXPECT_LE(rec.size(), 1 + 16 + 1000 * 11);
}

TEST(WalRecord, EmptySamplesRecord) {
  std::string rec;
  EncodeSamples({}, &rec);
  std::vector<RefSample> out = {{1, 1, 1}};
  ASSERT_TRUE(DecodeSamples(rec, &out).ok());
  EXPECT_TRUE(out.empty());
}

TEST(WalRecord, MalformedRecordsAreCorruption) {
  EXPECT_EQ(PeekRecordType("").status().code(), Status::Code::kCorruption);
  EXPECT_EQ(PeekRecordType("\x09").status().code(), Status::Code::kCorruption);
  std::string series;
  EncodeSeries(std::vector<RefSeries>{{7, Labels{{"__name__", "up"}}}}, &series);
  std::string samples;
  EncodeSamples(std::vector<RefSample>{{7, 10, 1}, {8, 20, 2}}, &samples);
  std::vector<RefSeries> s;
  std::vector<RefSample> p;
  for (size_t cut = 2; cut < series.size(); ++cut) {
    EXPECT_EQ(DecodeSeries(std::string_view(series).substr(0, cut), &s).code(), Status::Code::kCorruption) << cut;
  }
  // Layout: type(1) base ref(1) base t(1), then 10 bytes per sample; cuts
  // at those boundaries are valid shorter records.
  ASSERT_EQ(samples.size(), 23u);
  for (size_t cut = 2; cut < samples.size(); ++cut) {
    if (cut == 3 || cut == 13) continue;
    EXPECT_EQ(DecodeSamples(std::string_view(samples).substr(0, cut), &p).code(), Status::Code::kCorruption) << cut;
  }
  EXPECT_FALSE(DecodeSeries(samples, &s).ok());  // wrong type byte
}

TEST(WalRecord, TombstonesRoundTrip) {
  const std::vector<Tombstone> in = {{1, 0, 100},
                                     {7, -5000, std::numeric_limits<int64_t>::max()},
                                     {std::numeric_limits<uint64_t>::max(), std::numeric_limits<int64_t>::min(), -1}};
  std::string rec;
  EncodeTombstones(in, &rec);
  EXPECT_EQ(*PeekRecordType(rec), RecordType::kTombstones);
  std::vector<Tombstone> out;
  ASSERT_TRUE(DecodeTombstones(rec, &out).ok());
  ASSERT_EQ(out.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    EXPECT_EQ(out[i].ref, in[i].ref);
    EXPECT_EQ(out[i].mint, in[i].mint);
    EXPECT_EQ(out[i].maxt, in[i].maxt);
  }
  // Byte layout (docs/format/wal.md): type 3, uvarint ref, zigzag mint, zigzag maxt.
  const Tombstone one{5, -1, 2};
  std::string small;
  EncodeTombstones({&one, 1}, &small);
  EXPECT_EQ(small, std::string("\x03\x05\x01\x04", 4));
  EXPECT_FALSE(DecodeTombstones(small.substr(0, 3), &out).ok());
  std::vector<RefSample> samples;
  EXPECT_FALSE(DecodeSamples(small, &samples).ok());  // a tombstone is not a samples record
}

TEST(WalRecord, ExemplarsRoundTripBitExact) {
  const double quiet_nan = std::bit_cast<double>(uint64_t{0x7ff8000000000001ULL});
  std::vector<Label> many;
  for (int i = 0; i < 300; ++i) many.push_back({std::to_string(1000 + i).append("_l"), std::string(i % 7 + 1, 'v')});
  const std::vector<RefExemplar> in = {
      {5, 1000, 1.5, Labels{{"trace_id", "abc"}}},
      {3, 1000, -0.0, Labels()},  // empty label set
      {1u << 30, 999, StaleNaN(), Labels{{"span_id", "\xc3\xa9\n\"x"}, {"trace_id", ""}}},
      {6, -5000, quiet_nan, Labels::FromVector(many)},
      {1, std::numeric_limits<int64_t>::max(), -std::numeric_limits<double>::infinity(), Labels{{"a", "b"}}},
      {std::numeric_limits<uint64_t>::max(), std::numeric_limits<int64_t>::min(), 1e-300, Labels()},
  };
  std::string rec;
  EncodeExemplars(in, &rec);
  ASSERT_EQ(*PeekRecordType(rec), RecordType::kExemplars);
  EXPECT_EQ(rec[0], '\x04');
  std::vector<RefExemplar> out;
  ASSERT_TRUE(DecodeExemplars(rec, &out).ok());
  ASSERT_EQ(out.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    EXPECT_EQ(out[i].ref, in[i].ref) << i;
    EXPECT_EQ(out[i].t, in[i].t) << i;
    EXPECT_EQ(std::bit_cast<uint64_t>(out[i].v), std::bit_cast<uint64_t>(in[i].v)) << i;
    EXPECT_EQ(out[i].labels, in[i].labels) << i;
  }
  EXPECT_EQ(out[3].labels.size(), 300u);
}

TEST(WalRecord, ExemplarsLayoutAndMalformed) {
  std::string empty;
  EncodeExemplars({}, &empty);
  EXPECT_EQ(empty, std::string("\x04", 1));
  std::vector<RefExemplar> out = {{1, 1, 1, Labels()}};
  ASSERT_TRUE(DecodeExemplars(empty, &out).ok());
  EXPECT_TRUE(out.empty());

  // type, base ref 7, base t 10 (zigzag 20), then ref delta 0, t delta 0,
  // 8 value bytes, 1 label: "t" = "x".
  const RefExemplar one{7, 10, 0.0, Labels{{"t", "x"}}};
  std::string rec;
  EncodeExemplars({&one, 1}, &rec);
  EXPECT_EQ(rec, std::string("\x04\x07\x14\x00\x00"
                             "\0\0\0\0\0\0\0\0"
                             "\x01\x01t\x01x",
                             18));
  // Every cut inside the entry is malformed (cut 3 is a record with a base
  // and no entries, which is well-formed).
  for (size_t cut = 2; cut < rec.size(); ++cut) {
    if (cut == 3) continue;
    EXPECT_EQ(DecodeExemplars(std::string_view(rec).substr(0, cut), &out).code(), Status::Code::kCorruption) << cut;
  }
  std::string bad_count = rec;
  bad_count[13] = '\x7f';  // 127 labels in 4 bytes
  EXPECT_EQ(DecodeExemplars(bad_count, &out).code(), Status::Code::kCorruption);
  std::vector<RefSample> samples;
  EXPECT_FALSE(DecodeSamples(rec, &samples).ok());  // wrong type byte
  EXPECT_FALSE(DecodeExemplars(std::string("\x02", 1), &out).ok());
}

}  // namespace
}  // namespace promethium::tsdb::wal
