// WAL record compression: round trips per codec, the "only when smaller"
// rule, corrupt compressed payloads, and WALs mixing plain and compressed
// records (old uncompressed WALs keep replaying).
#include "tsdb/wal/compression.h"

#include <gtest/gtest.h>

#include <bit>

#include "tsdb/wal/record.h"
#include "tsdb/wal/segment.h"
#include "tsdb/wal/test_dir_for_test.h"
#include "tsdb/wal/wal.h"
#include "tsdb/wal/wal_reader.h"

namespace promethium::tsdb::wal {
namespace {

std::string SampleRecord(int n, int64_t t) {
  std::vector<RefSample> samples;
  for (int i = 0; i < n; ++i) samples.push_back({static_cast<SeriesRef>(i + 1), t, i % 7 == 0 ? 1.0 : i * 0.5});
  std::string rec;
  EncodeSamples(samples, &rec);
  return rec;
}

class CompressionTest : public ::testing::TestWithParam<Compression> {};

TEST_P(CompressionTest, RoundTripsAndShrinksSampleRecords) {
  const std::string rec = SampleRecord(1000, 1700000000000);
  std::string payload, scratch;
  CompressRecord(GetParam(), rec, &payload);
  EXPECT_LT(payload.size(), rec.size());
  EXPECT_EQ(static_cast<uint8_t>(payload[0]) & kCompressedFlag, kCompressedFlag);
  auto got = DecompressPayload(payload, &scratch);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, rec);
  std::vector<RefSample> decoded;
  ASSERT_TRUE(DecodeSamples(*got, &decoded).ok());
  EXPECT_EQ(decoded.size(), 1000u);
}

TEST_P(CompressionTest, IncompressibleRecordIsStoredPlain) {
  std::string rec(1, static_cast<char>(RecordType::kSamples));  // too short to gain anything
  std::string payload, scratch;
  CompressRecord(GetParam(), rec, &payload);
  EXPECT_EQ(payload, rec);
  auto got = DecompressPayload(payload, &scratch);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, rec);
}

TEST_P(CompressionTest, DamagedCompressedBytesAreCorruption) {
  const std::string rec = SampleRecord(200, 1);
  std::string payload, scratch;
  CompressRecord(GetParam(), rec, &payload);
  ASSERT_GT(payload.size(), 4u);
  std::string cut = payload.substr(0, payload.size() / 2);
  auto got = DecompressPayload(cut, &scratch);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), Status::Code::kCorruption);
}

INSTANTIATE_TEST_SUITE_P(Codecs, CompressionTest, ::testing::Values(Compression::kSnappy, Compression::kZstd),
                         [](const auto& info) { return std::string(CompressionName(info.param)); });

TEST(Compression, UnknownCodecFlagIsCorruption) {
  std::string scratch;
  const std::string payload("\x8f\x01\x02", 3);
  auto got = DecompressPayload(payload, &scratch);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), Status::Code::kCorruption);
  EXPECT_NE(got.status().ToString().find("unknown codec"), std::string::npos);
}

TEST(Compression, ParseNames) {
  EXPECT_EQ(*ParseCompression("snappy"), Compression::kSnappy);
  EXPECT_EQ(*ParseCompression("zstd"), Compression::kZstd);
  EXPECT_EQ(*ParseCompression("none"), Compression::kNone);
  EXPECT_EQ(*ParseCompression(""), Compression::kNone);
  EXPECT_FALSE(ParseCompression("lz4").ok());
}

class CompressedWalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TestDirForTest("promethium_wal_compression_test_");
    EXPECT_TRUE(env_->RemoveDirRecursively(dir_).ok());
  }
  void TearDown() override { EXPECT_TRUE(env_->RemoveDirRecursively(dir_).ok()); }

  // Opens the WAL after what is there, writes `records` one batch each, closes.
  void WriteWith(Compression c, const std::vector<std::string>& records) {
    auto replayed = ReplayAndRepair(
        env_, dir_, [](std::string_view) { return Status::OK(); }, nullptr);
    ASSERT_TRUE(replayed.ok());
    WalOptions opts;
    opts.compression = c;
    opts.segment_size = 8192;
    auto w = Wal::Open(env_, dir_, opts, nullptr, replayed->next_segment);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    for (const std::string& r : records) {
      const std::string_view v = r;
      ASSERT_TRUE((*w)->Log({&v, 1}).ok());
    }
    ASSERT_TRUE((*w)->Close().ok());
  }

  std::vector<std::string> ReplayAll() {
    std::vector<std::string> out;
    auto r = ReplayAndRepair(
        env_, dir_,
        [&](std::string_view rec) {
          out.emplace_back(rec);
          return Status::OK();
        },
        nullptr);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return out;
  }

  uint64_t WalBytes() {
    uint64_t total = 0;
    const std::vector<uint64_t> segments = *ListSegments(env_, dir_);
    for (uint64_t s : segments) total += *env_->GetFileSize(SegmentPath(dir_, s));
    return total;
  }

  Env* env_ = Env::Default();
  std::string dir_;
};

TEST_F(CompressedWalTest, OldPlainWalThenEachCodecReplaysInOrder) {
  std::vector<std::string> want;
  for (int i = 0; i < 30; ++i) want.push_back(SampleRecord(50 + i, 1000 * i));
  const std::vector<std::string> plain(want.begin(), want.begin() + 10);
  const std::vector<std::string> snappy(want.begin() + 10, want.begin() + 20);
  const std::vector<std::string> zstd(want.begin() + 20, want.end());
  auto framed_size = [](const std::vector<std::string>& recs) {
    uint64_t n = 0;
    for (const std::string& r : recs) n += kFrameHeaderSize + r.size();
    return n;
  };
  WriteWith(Compression::kNone, plain);  // what a WAL from before compression holds
  const uint64_t after_plain = WalBytes();
  EXPECT_EQ(after_plain, kSegmentHeaderSize + framed_size(plain));
  WriteWith(Compression::kSnappy, snappy);
  const uint64_t after_snappy = WalBytes();
  EXPECT_LT(after_snappy - after_plain, framed_size(snappy));
  WriteWith(Compression::kZstd, zstd);
  EXPECT_LT(WalBytes() - after_snappy, framed_size(zstd));
  EXPECT_EQ(ReplayAll(), want);
}

TEST_F(CompressedWalTest, PlainSegmentBytesAreTheOldFormat) {
  const std::string rec = SampleRecord(100, 5);
  WriteWith(Compression::kNone, {rec});
  // The segment header, then the frame exactly as before compression.
  std::string want = SegmentHeader();
  EXPECT_EQ(want, std::string("PWAL\x01\x00\x00\x00", 8));
  AppendFrame(rec, &want);
  EXPECT_EQ(*ReadFileToString(env_, SegmentPath(dir_, 0)), want);
}

TEST_F(CompressedWalTest, UndecodableCompressedRecordFailsReplayLoudly) {
  const std::string good = SampleRecord(100, 5);
  WriteWith(Compression::kNone, {good});
  // A frame with a good CRC whose snappy body is garbage: not a torn write.
  std::string bytes = *ReadFileToString(env_, SegmentPath(dir_, 0));
  const size_t offset = bytes.size();
  AppendFrame(std::string("\x81\xff\xff\xff\xff\x0f garbage", 13), &bytes);
  ASSERT_TRUE(WriteFileAtomically(env_, SegmentPath(dir_, 0), bytes).ok());
  auto r = ReplayAndRepair(
      env_, dir_, [](std::string_view) { return Status::OK(); }, nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kCorruption);
  EXPECT_NE(r.status().ToString().find("at offset " + std::to_string(offset)), std::string::npos)
      << r.status().ToString();
  EXPECT_EQ(*env_->GetFileSize(SegmentPath(dir_, 0)), bytes.size());  // not truncated away
}

// Bytes exactly as the WAL wrote them before compression existed: one
// frame holding a series record {ref 1, a="b"}, one holding a samples record
// {ref 1, t 1000, v 1.0}. They must replay unchanged forever.
TEST_F(CompressedWalTest, GoldenPreCompressionSegmentReplays) {
  const std::string series(
      "\x01\x01\x01\x01"
      "a"
      "\x01"
      "b",
      7);
  const std::string samples("\x02\x01\xd0\x0f\x00\x00\x00\x00\x00\x00\x00\x00\xf0\x3f", 14);
  std::string segment;
  AppendFrame(series, &segment);
  AppendFrame(samples, &segment);
  ASSERT_EQ(segment.size(), 8u + 7u + 8u + 14u);
  EXPECT_EQ(segment.substr(0, 4), std::string("\x07\x00\x00\x00", 4));  // little-endian length
  ASSERT_TRUE(env_->CreateDirs(dir_).ok());
  ASSERT_TRUE(WriteFileAtomically(env_, SegmentPath(dir_, 0), segment).ok());
  const std::vector<std::string> got = ReplayAll();
  ASSERT_EQ(got.size(), 2u);
  std::vector<RefSeries> s;
  ASSERT_TRUE(DecodeSeries(got[0], &s).ok());
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].ref, 1u);
  EXPECT_EQ(s[0].labels.ToString(), "{a=\"b\"}");
  std::vector<RefSample> v;
  ASSERT_TRUE(DecodeSamples(got[1], &v).ok());
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].ref, 1u);
  EXPECT_EQ(v[0].t, 1000);
  EXPECT_EQ(v[0].v, 1.0);
}

}  // namespace
}  // namespace promethium::tsdb::wal
