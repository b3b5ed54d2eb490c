// The remote read server's hand-written encodings, decoded with the
// generated protobuf classes; the stream frame layout byte by byte.
#include "web/remote/read_encoding.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>

#include "remote/proto/chunked_frame.h"
#include "remote/proto/remote.pb.h"
#include "tsdb/api/sample.h"

namespace promethium::web {
namespace {

TEST(ReadEncodingTest, MergeExternalLabelsKeepsStoredValuesAndSorts) {
  Labels series{{"__name__", "up"}, {"job", "a"}, {"zone", "z1"}};
  Labels external{{"job", "ext"}, {"region", "eu"}, {"a", "1"}};
  EXPECT_EQ(MergeExternalLabels(series, external),
            (Labels{{"__name__", "up"}, {"a", "1"}, {"job", "a"}, {"region", "eu"}, {"zone", "z1"}}));
  EXPECT_EQ(MergeExternalLabels(series, Labels()), series);
  EXPECT_EQ(MergeExternalLabels(Labels(), external), external);
}

TEST(ReadEncodingTest, FrameIsUvarintLengthBigEndianCrc32cAndMessage) {
  std::string frame;
  remote::AppendChunkedFrame(&frame, "123456789");
  // CRC32C("123456789") = 0xE3069283 (the standard check value).
  EXPECT_EQ(frame, std::string("\x09\xE3\x06\x92\x83", 5) + "123456789");

  std::string big(300, 'x');
  frame.clear();
  remote::AppendChunkedFrame(&frame, big);
  ASSERT_EQ(frame.size(), 2 + 4 + 300u);
  EXPECT_EQ(static_cast<uint8_t>(frame[0]), 0xAC);  // 300 = 0b10_0101100
  EXPECT_EQ(static_cast<uint8_t>(frame[1]), 0x02);
  EXPECT_EQ(frame.substr(6), big);
}

TEST(ReadEncodingTest, SampleFieldsDecodeExactly) {
  const std::vector<Sample> samples = {{0, 0.0},         {-5, -0.0},   {1700000000123, 1.5},
                                       {42, StaleNaN()}, {-1, -1e308}, {7, INFINITY}};
  std::string body;
  for (const Sample& s : samples) AppendSampleField(&body, 2, s.t, s.v);
  prometheus::TimeSeries ts;
  ASSERT_TRUE(ts.ParseFromString(body));
  ASSERT_EQ(ts.samples_size(), static_cast<int>(samples.size()));
  for (size_t i = 0; i < samples.size(); ++i) {
    EXPECT_EQ(ts.samples(static_cast<int>(i)).timestamp(), samples[i].t);
    EXPECT_EQ(std::bit_cast<uint64_t>(ts.samples(static_cast<int>(i)).value()), std::bit_cast<uint64_t>(samples[i].v))
        << i;
  }
}

TEST(ReadEncodingTest, ChunkedReadResponseDecodesAndSizesMatchProtobuf) {
  Labels labels{{"__name__", "m"}, {"instance", std::string(200, 'i')}, {"job", "j"}};
  std::vector<ReadChunk> chunks = {
      {1000, 2000, std::string("\x00\x02\xab", 3)}, {-3, 0, std::string(300, '\x7f')}, {0, 5, std::string("x")}};
  std::string msg = EncodeChunkedReadResponse(labels, chunks, 3);
  prometheus::ChunkedReadResponse resp;
  ASSERT_TRUE(resp.ParseFromString(msg));
  EXPECT_EQ(resp.query_index(), 3);
  ASSERT_EQ(resp.chunked_series_size(), 1);
  const prometheus::ChunkedSeries& series = resp.chunked_series(0);
  ASSERT_EQ(series.labels_size(), 3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(series.labels(i).name(), labels[static_cast<size_t>(i)].name);
    EXPECT_EQ(series.labels(i).value(), labels[static_cast<size_t>(i)].value);
    EXPECT_EQ(LabelMessageSize(labels[static_cast<size_t>(i)]), series.labels(i).ByteSizeLong());
  }
  ASSERT_EQ(series.chunks_size(), 3);
  for (int i = 0; i < 3; ++i) {
    const ReadChunk& want = chunks[static_cast<size_t>(i)];
    EXPECT_EQ(series.chunks(i).min_time_ms(), want.min_time_ms);
    EXPECT_EQ(series.chunks(i).max_time_ms(), want.max_time_ms);
    EXPECT_EQ(series.chunks(i).type(), prometheus::Chunk::XOR);
    EXPECT_EQ(series.chunks(i).data(), want.data);
    EXPECT_EQ(ChunkMessageSize(want), series.chunks(i).ByteSizeLong());
  }
  // Query index 0 is omitted on the wire, as proto3 encoders do.
  prometheus::ChunkedReadResponse zero;
  ASSERT_TRUE(zero.ParseFromString(EncodeChunkedReadResponse(labels, chunks, 0)));
  EXPECT_EQ(zero.query_index(), 0);
  EXPECT_EQ(EncodeChunkedReadResponse(labels, chunks, 0), zero.SerializeAsString());
}

}  // namespace
}  // namespace promethium::web
