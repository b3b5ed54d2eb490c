#include "tsdb/chunkenc/xor_chunk.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "tsdb/chunkenc/bstream.h"

namespace promethium::tsdb {
namespace {

std::vector<Sample> Encode(const std::vector<Sample>& in, XorChunk* chunk) {
  XorAppender app(chunk);
  for (const Sample& s : in) app.Append(s.t, s.v);
  std::vector<Sample> out;
  XorIterator it(chunk->Bytes());
  while (it.Next() == ValueType::kFloat) out.push_back(it.At());
  EXPECT_TRUE(it.Err().ok()) << it.Err().ToString();
  return out;
}

void ExpectBitExact(const std::vector<Sample>& want, const std::vector<Sample>& got) {
  ASSERT_EQ(want.size(), got.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(want[i].t, got[i].t) << "sample " << i;
    EXPECT_EQ(std::bit_cast<uint64_t>(want[i].v), std::bit_cast<uint64_t>(got[i].v)) << "sample " << i;
  }
}

void RoundTrip(const std::vector<Sample>& in) {
  XorChunk chunk;
  std::vector<Sample> out = Encode(in, &chunk);
  EXPECT_EQ(chunk.NumSamples(), static_cast<int>(in.size()));
  ExpectBitExact(in, out);
}

TEST(BitStream, WriteReadMixedWidths) {
  BitWriter w;
  w.WriteBit(true);
  w.WriteBits(0x5, 3);
  w.WriteBits(0xdeadbeefcafef00dULL, 64);
  w.WriteByte(0x7f);
  AppendVarint(-12345, &w);
  AppendUvarint(1ULL << 63, &w);
  BitReader r(w.bytes());
  bool bit;
  uint64_t v;
  uint8_t b;
  int64_t sv;
  ASSERT_TRUE(r.ReadBit(&bit));
  EXPECT_TRUE(bit);
  ASSERT_TRUE(r.ReadBits(3, &v));
  EXPECT_EQ(v, 0x5u);
  ASSERT_TRUE(r.ReadBits(64, &v));
  EXPECT_EQ(v, 0xdeadbeefcafef00dULL);
  ASSERT_TRUE(r.ReadByte(&b));
  EXPECT_EQ(b, 0x7f);
  ASSERT_TRUE(r.ReadVarint(&sv));
  EXPECT_EQ(sv, -12345);
  ASSERT_TRUE(r.ReadUvarint(&v));
  EXPECT_EQ(v, 1ULL << 63);
  EXPECT_LT(r.bits_left(), 8u);
  EXPECT_FALSE(r.ReadBits(8, &v));
}

TEST(XorChunk, EmptyChunk) {
  XorChunk chunk;
  EXPECT_EQ(chunk.NumSamples(), 0);
  EXPECT_EQ(chunk.Bytes().size(), 2u);
  XorIterator it(chunk.Bytes());
  EXPECT_EQ(it.Next(), ValueType::kNone);
  EXPECT_EQ(it.Seek(0), ValueType::kNone);
  EXPECT_TRUE(it.Err().ok());
}

TEST(XorChunk, SingleSample) {
  RoundTrip({{1700000000123, 42.5}});
  RoundTrip({{-5, -1.0}});
}

TEST(XorChunk, KnownBytesForFirstSamples) {
  // Header 0x0002, varint(1000)= zigzag 2000 -> 0xd0 0x0f, value 1.0 raw,
  // then uvarint delta 15 (0x0f) and a '0' bit for the unchanged value.
  XorChunk chunk;
  XorAppender app(&chunk);
  app.Append(1000, 1.0);
  app.Append(1015, 1.0);
  const std::string want = std::string("\x00\x02\xd0\x0f\x3f\xf0\x00\x00\x00\x00\x00\x00\x0f\x00", 14);
  EXPECT_EQ(std::string(chunk.Bytes()), want);
}

TEST(XorChunk, SpecialValuesBitExact) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const double payload_nan = std::bit_cast<double>(0x7ff8dead0000beefULL);
  RoundTrip({{0, nan},
             {15000, StaleNaN()},
             {30000, inf},
             {45000, -inf},
             {60000, -0.0},
             {75000, 0.0},
             {90000, payload_nan},
             {105000, std::numeric_limits<double>::max()},
             {120000, std::numeric_limits<double>::lowest()},
             {135000, std::numeric_limits<double>::denorm_min()},
             {150000, 1e308},
             {165000, -1e-308},
             {180000, StaleNaN()}});
}

TEST(XorChunk, StaleNaNAfterValues) {
  XorChunk chunk;
  std::vector<Sample> out = Encode({{1, 10}, {2, 11}, {3, StaleNaN()}}, &chunk);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_TRUE(IsStaleNaN(out[2].v));
  EXPECT_FALSE(IsStaleNaN(out[1].v));
}

TEST(XorChunk, NegativeAndHugeTimestamps) {
  RoundTrip({{-9000000000000, 1}, {-8999999999000, 2}, {-1, 3}, {0, 4}, {1, 5}, {9000000000000, 6}});
  RoundTrip({{kMinTime, 1}, {0, 2}, {kMaxTime, 3}});
  RoundTrip({{std::numeric_limits<int64_t>::min() + 1, 1}, {std::numeric_limits<int64_t>::max(), 2}});
}

TEST(XorChunk, IrregularGapsExerciseEveryBucket) {
  std::vector<Sample> in;
  int64_t t = 1600000000000;
  // Deltas chosen so delta-of-deltas hit 0, 14, 17, 20 and 64 bit buckets,
  // and the asymmetric bucket edges (+2^(n-1) and -(2^(n-1)-1)).
  const int64_t deltas[] = {15000, 15000,     15001,   1, 8193,     1, 65537,     1, 524289,     1, 1,         86400000,
                            1,     172800000, 3600000, 1, 8192 + 1, 1, 1 + 65536, 1, 1 + 524288, 1, 604800000, 1};
  double v = 0;
  for (int64_t d : deltas) {
    t += d;
    v += 1.5;
    in.push_back({t, v});
  }
  RoundTrip(in);
}

TEST(XorChunk, BucketEdgesExactly) {
  // dod = +8192 fits the 14-bit bucket, -8192 does not; same for 17/20 bits.
  for (int64_t dod : {8192LL, -8191LL, -8192LL, 65536LL, -65535LL, -65536LL, 524288LL, -524287LL, -524288LL}) {
    const int64_t base = 1000000;
    RoundTrip({{0, 1}, {base, 2}, {2 * base + dod, 3}, {3 * base + dod, 4}});
  }
}

TEST(XorChunk, RandomValuesRoundTrip) {
  std::mt19937_64 rng(42);
  std::vector<Sample> in;
  int64_t t = 0;
  for (int i = 0; i < 500; ++i) {
    t += 1 + static_cast<int64_t>(rng() % 100000);
    in.push_back({t, std::bit_cast<double>(rng())});
  }
  RoundTrip(in);
}

TEST(XorChunk, CounterValuesAreCompact) {
  std::vector<Sample> in;
  for (int i = 0; i < 120; ++i) in.push_back({1600000000000 + i * 15000, 1000.0 + i * 3});
  XorChunk chunk;
  ExpectBitExact(in, Encode(in, &chunk));
  // Regular timestamps cost a bit each; the whole chunk stays small.
  EXPECT_LT(chunk.Bytes().size(), 120u * 3);
}

TEST(XorChunk, ResumeAppenderContinuesEncoding) {
  std::vector<Sample> in;
  for (int i = 0; i < 50; ++i) in.push_back({i * 1000 + (i % 3), i * 0.25});
  XorChunk chunk;
  {
    XorAppender app(&chunk);
    for (int i = 0; i < 20; ++i) app.Append(in[i].t, in[i].v);
  }
  auto resumed = XorAppender::Resume(&chunk);
  ASSERT_TRUE(resumed.ok());
  EXPECT_EQ(resumed->last_t(), in[19].t);
  for (int i = 20; i < 50; ++i) resumed->Append(in[i].t, in[i].v);
  XorChunk fresh;
  ExpectBitExact(in, Encode(in, &fresh));
  EXPECT_EQ(chunk.Bytes(), fresh.Bytes());
}

TEST(XorChunk, ResumeAfterSingleSample) {
  XorChunk a;
  XorAppender(&a).Append(5, 1.0);
  auto app = XorAppender::Resume(&a);
  ASSERT_TRUE(app.ok());
  app->Append(7, 3.0);
  app->Append(9, 3.5);
  XorChunk b;
  std::vector<Sample> want = {{5, 1.0}, {7, 3.0}, {9, 3.5}};
  ExpectBitExact(want, Encode(want, &b));
  EXPECT_EQ(a.Bytes(), b.Bytes());
}

TEST(XorChunk, ResumeWithConstantValuesThenChange) {
  std::vector<Sample> want = {{1, 5.0}, {2, 5.0}, {3, 5.0}, {4, 6.0}, {5, 7.0}};
  XorChunk a;
  {
    XorAppender app(&a);
    for (int i = 0; i < 3; ++i) app.Append(want[i].t, want[i].v);
  }
  auto app = XorAppender::Resume(&a);
  ASSERT_TRUE(app.ok());
  app->Append(4, 6.0);
  app->Append(5, 7.0);
  XorChunk b;
  ExpectBitExact(want, Encode(want, &b));
  EXPECT_EQ(a.Bytes(), b.Bytes());
}

TEST(XorChunk, DecodesReuseBeforeAnyWindowAsFull64Bits) {
  // Prometheus's resumed appenders may emit '10' + 64 bits before any window
  // was written; decoders must read it as the implicit (0, 0) window.
  BitWriter w;
  w.WriteBits(2, 16);  // count
  AppendVarint(10, &w);
  w.WriteBits(std::bit_cast<uint64_t>(1.0), 64);
  AppendUvarint(5, &w);
  const uint64_t x = std::bit_cast<uint64_t>(1.0) ^ std::bit_cast<uint64_t>(-3.5);
  w.WriteBits(0b10, 2);
  w.WriteBits(x, 64);
  XorIterator it(w.bytes());
  ASSERT_EQ(it.Next(), ValueType::kFloat);
  ASSERT_EQ(it.Next(), ValueType::kFloat);
  EXPECT_EQ(it.At().t, 15);
  EXPECT_EQ(it.At().v, -3.5);
  EXPECT_TRUE(it.Err().ok());
}

class XorSeekTest : public ::testing::Test {
 protected:
  void SetUp() override {
    XorAppender app(&chunk_);
    for (int i = 1; i <= 10; ++i) app.Append(i * 10, i);  // t = 10..100
  }
  XorChunk chunk_;
};

TEST_F(XorSeekTest, ExactTimestamp) {
  XorIterator it(chunk_.Bytes());
  ASSERT_EQ(it.Seek(40), ValueType::kFloat);
  EXPECT_EQ(it.At().t, 40);
  EXPECT_EQ(it.At().v, 4);
}

TEST_F(XorSeekTest, BetweenSamplesLandsOnNext) {
  XorIterator it(chunk_.Bytes());
  ASSERT_EQ(it.Seek(41), ValueType::kFloat);
  EXPECT_EQ(it.At().t, 50);
  ASSERT_EQ(it.Next(), ValueType::kFloat);
  EXPECT_EQ(it.At().t, 60);
}

TEST_F(XorSeekTest, BeforeFirst) {
  XorIterator it(chunk_.Bytes());
  ASSERT_EQ(it.Seek(-1000), ValueType::kFloat);
  EXPECT_EQ(it.At().t, 10);
}

TEST_F(XorSeekTest, PastEnd) {
  XorIterator it(chunk_.Bytes());
  EXPECT_EQ(it.Seek(101), ValueType::kNone);
  EXPECT_EQ(it.Next(), ValueType::kNone);
  EXPECT_EQ(it.Seek(5), ValueType::kNone);  // exhausted stays exhausted
  EXPECT_TRUE(it.Err().ok());
}

TEST_F(XorSeekTest, BackwardsSeekKeepsPosition) {
  XorIterator it(chunk_.Bytes());
  ASSERT_EQ(it.Seek(70), ValueType::kFloat);
  ASSERT_EQ(it.Seek(20), ValueType::kFloat);
  EXPECT_EQ(it.At().t, 70);
  ASSERT_EQ(it.Next(), ValueType::kFloat);
  EXPECT_EQ(it.At().t, 80);
}

TEST_F(XorSeekTest, SeekToLast) {
  XorIterator it(chunk_.Bytes());
  ASSERT_EQ(it.Seek(100), ValueType::kFloat);
  EXPECT_EQ(it.At().v, 10);
  EXPECT_EQ(it.Next(), ValueType::kNone);
}

TEST(XorChunk, TruncatedChunkReportsCorruption) {
  XorChunk chunk;
  XorAppender app(&chunk);
  for (int i = 0; i < 30; ++i) app.Append(i * 1000, i * 1.1);
  std::string bytes(chunk.Bytes());
  bytes.resize(bytes.size() / 2);
  XorIterator it(bytes);
  int n = 0;
  while (it.Next() == ValueType::kFloat) ++n;
  EXPECT_LT(n, 30);
  EXPECT_EQ(it.Err().code(), Status::Code::kCorruption);
  EXPECT_FALSE(XorChunk::FromBytes("x").ok());
}

}  // namespace
}  // namespace promethium::tsdb
