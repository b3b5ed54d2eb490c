#include "tsdb/chunkenc/chunk_encoding.h"

#include <gtest/gtest.h>

#include "tsdb/chunkenc/histogram_test_util.h"

namespace promethium::tsdb {
namespace {

TEST(ChunkEncodingTest, EncodingBytesAreRecognised) {
  EXPECT_EQ(ChunkEncoding::kXor, *EncodingOf(1));
  EXPECT_EQ(ChunkEncoding::kHistogram, *EncodingOf(2));
  EXPECT_EQ(ChunkEncoding::kFloatHistogram, *EncodingOf(3));
  for (uint8_t b : {4, 5, 6}) {
    auto r = EncodingOf(b);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(Status::Code::kUnsupported, r.status().code());
  }
  EXPECT_EQ(Status::Code::kCorruption, EncodingOf(0).status().code());
  EXPECT_EQ(Status::Code::kCorruption, EncodingOf(7).status().code());
  EXPECT_EQ(ChunkEncoding::kHistogram, EncodingFor(ValueType::kHistogram));
  EXPECT_EQ(ValueType::kFloatHistogram, ValueTypeOf(ChunkEncoding::kFloatHistogram));
  EXPECT_STREQ("floathistogram", EncodingName(ChunkEncoding::kFloatHistogram));
}

TEST(ChunkEncodingTest, IteratorsMatchTheEncodingAndAreReused) {
  XorChunk xor_chunk;
  XorAppender xa(&xor_chunk);
  xa.Append(1, 2.5);
  HistogramChunk hc;
  HistogramAppender ha(&hc);
  ASSERT_TRUE(ha.Append(5, testing::TestHistogram(0), false).ok());
  FloatHistogramChunk fc;
  FloatHistogramAppender fa(&fc);
  ASSERT_TRUE(fa.Append(7, testing::AsFloat(testing::TestHistogram(1)), false).ok());

  auto x = NewChunkIterator(uint8_t{1}, xor_chunk.Bytes());
  ASSERT_TRUE(x.ok());
  EXPECT_EQ(ValueType::kFloat, (*x)->Next());
  EXPECT_EQ(2.5, (*x)->At().v);

  auto h = NewChunkIterator(ChunkEncoding::kHistogram, hc.Bytes());
  ASSERT_TRUE(h.ok());
  SampleIterator* first = h->get();
  EXPECT_EQ(ValueType::kHistogram, (*h)->Next());
  Histogram got;
  EXPECT_EQ(5, (*h)->AtHistogram(&got));
  EXPECT_EQ(12u, got.count);
  auto again = NewChunkIterator(ChunkEncoding::kHistogram, hc.Bytes(), std::move(*h));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(first, again->get());  // reset, not reallocated
  EXPECT_EQ(ValueType::kHistogram, (*again)->Next());

  auto f = NewChunkIterator(uint8_t{3}, fc.Bytes(), std::move(*again));
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(ValueType::kFloatHistogram, (*f)->Next());
  FloatHistogram fh;
  EXPECT_EQ(7, (*f)->AtFloatHistogram(&fh));
  EXPECT_EQ(21.0, fh.count);
  EXPECT_EQ(1, ChunkNumSamples(fc.Bytes()));
  EXPECT_FALSE(NewChunkIterator(uint8_t{5}, fc.Bytes()).ok());
}

}  // namespace
}  // namespace promethium::tsdb
