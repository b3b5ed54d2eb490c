// DecodeWriteRequest against messages serialized by the generated protobuf
// classes, plus hand-made wire bytes for unknown fields, "last one wins" and
// truncation.
#include "web/remote/write_request_decoder.h"

#include <gtest/gtest.h>

#include <string>

#include "remote/proto/remote.pb.h"

namespace promethium::web {
namespace {

TEST(WriteRequestDecoderTest, MatchesTheGeneratedParser) {
  prometheus::WriteRequest wr;
  for (int i = 0; i < 3; ++i) {
    prometheus::TimeSeries* ts = wr.add_timeseries();
    for (auto [n, v] :
         {std::pair{"__name__", "m"}, std::pair{"job", "j"}, std::pair{"long", "a value longer than sso"}}) {
      prometheus::Label* l = ts->add_labels();
      l->set_name(n);
      l->set_value(std::string(v) + std::to_string(i));
    }
    for (int k = 0; k < i; ++k) {
      prometheus::Sample* s = ts->add_samples();
      s->set_timestamp(-5 + 1000 * k);  // negative timestamps are ten-byte varints
      s->set_value(0.5 * k - 1);
    }
    ts->add_exemplars()->set_value(1);  // skipped
  }
  wr.add_metadata()->set_help("skipped");
  wr.mutable_timeseries(2)->add_histograms()->set_timestamp(7);

  const std::string wire = wr.SerializeAsString();  // the views point into it
  DecodedWriteRequest out;
  ASSERT_TRUE(DecodeWriteRequest(wire, &out).ok());
  ASSERT_EQ(out.series.size(), 3u);
  ASSERT_EQ(out.labels.size(), 9u);
  ASSERT_EQ(out.samples.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    const auto& s = out.series[i];
    EXPECT_EQ(s.label_count, 3u);
    EXPECT_EQ(s.sample_count, static_cast<uint32_t>(i));
    EXPECT_EQ(s.has_histograms, i == 2);
    EXPECT_EQ(out.labels[s.first_label].name, "__name__");
    EXPECT_EQ(out.labels[s.first_label].value, std::string("m").append(std::to_string(i)));
    EXPECT_EQ(out.labels[s.first_label + 2].value, std::string("a value longer than sso").append(std::to_string(i)));
    for (int k = 0; k < i; ++k) {
      EXPECT_EQ(out.samples[s.first_sample + k].t, -5 + 1000 * k);
      EXPECT_EQ(out.samples[s.first_sample + k].v, 0.5 * k - 1);
    }
  }
}

TEST(WriteRequestDecoderTest, EmptyAndDefaultValues) {
  DecodedWriteRequest out;
  ASSERT_TRUE(DecodeWriteRequest("", &out).ok());
  EXPECT_TRUE(out.series.empty());
  prometheus::WriteRequest wr;
  wr.add_timeseries()->add_samples();  // timestamp 0, value 0: nothing on the wire
  const std::string wire = wr.SerializeAsString();
  ASSERT_TRUE(DecodeWriteRequest(wire, &out).ok());
  ASSERT_EQ(out.samples.size(), 1u);
  EXPECT_EQ(out.samples[0].t, 0);
  EXPECT_EQ(out.samples[0].v, 0);
}

TEST(WriteRequestDecoderTest, UnknownFieldsAreSkippedAndLastScalarWins) {
  // Sample{timestamp: 1, timestamp: 2, unknown fixed32 field 9}.
  std::string sample = std::string("\x10\x01\x10\x02", 4) + std::string("\x4d\x01\x02\x03\x04", 5);
  std::string series = std::string("\x12") + static_cast<char>(sample.size()) + sample;
  // WriteRequest{unknown varint field 7, timeseries}.
  std::string wire = std::string("\x38\x05", 2) + "\x0a" + static_cast<char>(series.size()) + series;
  DecodedWriteRequest out;
  Status s = DecodeWriteRequest(wire, &out);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(out.samples.size(), 1u);
  EXPECT_EQ(out.samples[0].t, 2);
}

TEST(WriteRequestDecoderTest, MalformedInputFails) {
  prometheus::WriteRequest wr;
  prometheus::TimeSeries* ts = wr.add_timeseries();
  ts->add_labels()->set_name("__name__");
  ts->add_samples()->set_value(1.5);
  std::string good = wr.SerializeAsString();
  DecodedWriteRequest out;
  for (size_t cut = 1; cut < good.size(); ++cut) {
    Status s = DecodeWriteRequest(good.substr(0, cut), &out);
    EXPECT_FALSE(s.ok()) << "prefix of " << cut << " bytes";
    EXPECT_TRUE(s.message().starts_with("proto: cannot parse invalid wire-format data")) << s.message();
  }
  EXPECT_FALSE(DecodeWriteRequest(std::string("\x0a\xff\xff\xff\x0f garbage", 14), &out).ok());
  EXPECT_FALSE(DecodeWriteRequest(std::string("\x0b", 1), &out).ok());      // a group: wire type 3
  EXPECT_FALSE(DecodeWriteRequest(std::string("\x00\x01", 2), &out).ok());  // field number 0
  EXPECT_FALSE(DecodeWriteRequest(std::string(11, '\xff'), &out).ok());     // endless varint
}

}  // namespace
}  // namespace promethium::web
