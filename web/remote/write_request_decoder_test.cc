// DecodeWriteRequest against messages serialized by the generated protobuf
// classes, plus hand-made wire bytes for unknown fields, "last one wins" and
// truncation.
#include "web/remote/write_request_decoder.h"

#include <gtest/gtest.h>

#include <string>

#include "remote/proto/remote.pb.h"
#include "remote/proto/write_v2.pb.h"

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
    ts->add_exemplars()->set_value(1);
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
    EXPECT_EQ(s.histogram_count, i == 2 ? 1u : 0u);
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

// An integer histogram as Prometheus's remote write sends one: deltas,
// spans with a negative offset, a reset hint.
prometheus::Histogram IntHistogramMessage() {
  prometheus::Histogram h;
  h.set_count_int(12);
  h.set_sum(18.4);
  h.set_schema(1);
  h.set_zero_threshold(0.001);
  h.set_zero_count_int(2);
  prometheus::BucketSpan* span = h.add_positive_spans();
  span->set_offset(-1);
  span->set_length(2);
  span = h.add_positive_spans();
  span->set_offset(1);
  span->set_length(1);
  for (int64_t d : {3, -1, 2}) h.add_positive_deltas(d);
  h.add_negative_spans()->set_length(1);
  h.add_negative_deltas(1);
  h.set_reset_hint(prometheus::Histogram::NO);
  h.set_timestamp(5000);
  return h;
}

TEST(WriteRequestDecoderTest, DecodesIntegerAndFloatHistograms) {
  prometheus::WriteRequest wr;
  prometheus::TimeSeries* ts = wr.add_timeseries();
  ts->add_labels()->set_name("__name__");
  *ts->add_histograms() = IntHistogramMessage();
  prometheus::Histogram* f = ts->add_histograms();
  f->set_count_float(0);  // a set oneof makes it a float histogram even at zero
  f->set_sum(-1.5);
  f->set_schema(-53);
  f->add_positive_spans()->set_length(2);
  f->add_positive_counts(0.5);
  f->add_positive_counts(2.25);
  f->add_custom_values(1);
  f->add_custom_values(10);
  f->set_reset_hint(prometheus::Histogram::GAUGE);
  f->set_timestamp(-7);

  const std::string wire = wr.SerializeAsString();
  DecodedWriteRequest out;
  ASSERT_TRUE(DecodeWriteRequest(wire, &out).ok());
  ASSERT_EQ(out.series.size(), 1u);
  EXPECT_EQ(out.series[0].histogram_count, 2u);
  ASSERT_EQ(out.histograms.size(), 2u);

  const auto& ih = out.histograms[0];
  EXPECT_FALSE(ih.is_float);
  EXPECT_EQ(ih.t, 5000);
  EXPECT_EQ(ih.h.count, 12u);
  EXPECT_EQ(ih.h.sum, 18.4);
  EXPECT_EQ(ih.h.schema, 1);
  EXPECT_EQ(ih.h.zero_threshold, 0.001);
  EXPECT_EQ(ih.h.zero_count, 2u);
  EXPECT_EQ(ih.h.counter_reset_hint, CounterResetHint::kNotCounterReset);
  EXPECT_EQ(ih.h.positive_spans, (std::vector<HistogramSpan>{{-1, 2}, {1, 1}}));
  EXPECT_EQ(ih.h.positive_buckets, (std::vector<int64_t>{3, -1, 2}));
  EXPECT_EQ(ih.h.negative_spans, (std::vector<HistogramSpan>{{0, 1}}));
  EXPECT_EQ(ih.h.negative_buckets, (std::vector<int64_t>{1}));

  const auto& fh = out.histograms[1];
  EXPECT_TRUE(fh.is_float);
  EXPECT_EQ(fh.t, -7);
  EXPECT_EQ(fh.fh.count, 0);
  EXPECT_EQ(fh.fh.sum, -1.5);
  EXPECT_EQ(fh.fh.schema, -53);
  EXPECT_EQ(fh.fh.counter_reset_hint, CounterResetHint::kGauge);
  EXPECT_EQ(fh.fh.positive_spans, (std::vector<HistogramSpan>{{0, 2}}));
  EXPECT_EQ(fh.fh.positive_buckets, (std::vector<double>{0.5, 2.25}));
  EXPECT_EQ(fh.fh.custom_values, (std::vector<double>{1, 10}));
  EXPECT_TRUE(fh.fh.negative_spans.empty());
}

// Repeated numbers may arrive unpacked (one key per element); protobuf
// parsers accept both forms.
TEST(WriteRequestDecoderTest, UnpackedRepeatedHistogramFields) {
  // Histogram{count_int: 3, positive_deltas: 2 (zigzag 4), positive_deltas: -1 (zigzag 1)}.
  const std::string hist("\x08\x03\x60\x04\x60\x01", 6);
  const std::string series = std::string("\x22") + static_cast<char>(hist.size()) + hist;
  const std::string wire = std::string("\x0a") + static_cast<char>(series.size()) + series;
  DecodedWriteRequest out;
  ASSERT_TRUE(DecodeWriteRequest(wire, &out).ok());
  ASSERT_EQ(out.histograms.size(), 1u);
  EXPECT_EQ(out.histograms[0].h.count, 3u);
  EXPECT_EQ(out.histograms[0].h.positive_buckets, (std::vector<int64_t>{2, -1}));
}

TEST(WriteRequestDecoderTest, V2ResolvesSymbolsAndKeepsBadReferencesPerSeries) {
  io::prometheus::write::v2::Request req;
  for (const char* sym : {"", "__name__", "m", "job", "j"}) req.add_symbols(sym);
  auto* good = req.add_timeseries();
  for (uint32_t ref : {1, 2, 3, 4}) good->add_labels_refs(ref);
  auto* sample = good->add_samples();
  sample->set_timestamp(1000);
  sample->set_value(2.5);
  auto* h = good->add_histograms();
  h->set_count_int(1);
  h->set_timestamp(2000);
  h->set_start_timestamp(500);  // skipped
  auto* bad = req.add_timeseries();
  for (uint32_t ref : {1, 9}) bad->add_labels_refs(ref);
  bad->add_samples()->set_timestamp(1000);
  auto* odd = req.add_timeseries();
  odd->add_labels_refs(1);

  const std::string wire = req.SerializeAsString();
  DecodedWriteRequest out;
  Status s = DecodeWriteRequestV2(wire, &out);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(out.series.size(), 3u);
  const auto& g = out.series[0];
  EXPECT_EQ(g.label_error, nullptr);
  ASSERT_EQ(g.label_count, 2u);
  EXPECT_EQ(out.labels[g.first_label].name, "__name__");
  EXPECT_EQ(out.labels[g.first_label].value, "m");
  EXPECT_EQ(out.labels[g.first_label + 1].name, "job");
  EXPECT_EQ(out.labels[g.first_label + 1].value, "j");
  ASSERT_EQ(g.sample_count, 1u);
  EXPECT_EQ(out.samples[g.first_sample].v, 2.5);
  ASSERT_EQ(g.histogram_count, 1u);
  EXPECT_EQ(out.histograms[g.first_histogram].t, 2000);
  EXPECT_EQ(out.histograms[g.first_histogram].h.count, 1u);
  EXPECT_STREQ(out.series[1].label_error, "label reference past the end of the symbols table");
  EXPECT_EQ(out.series[1].label_count, 0u);
  EXPECT_EQ(out.series[1].sample_count, 1u);
  EXPECT_STREQ(out.series[2].label_error, "odd number of label references");

  // A 1.0 body is not a 2.0 message: its fields 1-3 are reserved in 2.0 and skipped.
  EXPECT_TRUE(DecodeWriteRequestV2(std::string("\x0a\x00", 2), &out).ok());
  EXPECT_TRUE(out.series.empty());
  EXPECT_FALSE(DecodeWriteRequestV2(std::string("\x2a\x05", 2), &out).ok());  // truncated series
}

TEST(WriteRequestDecoderTest, ExemplarsOfBothVersions) {
  prometheus::WriteRequest wr;
  prometheus::TimeSeries* ts = wr.add_timeseries();
  ts->add_labels()->set_name("__name__");
  prometheus::Exemplar* e = ts->add_exemplars();
  prometheus::Label* l = e->add_labels();
  l->set_name("trace_id");
  l->set_value("abc");
  e->set_value(2.5);
  e->set_timestamp(-3);
  wr.add_timeseries()->add_exemplars()->set_value(1);  // a second series, its own exemplar
  const std::string wire = wr.SerializeAsString();
  DecodedWriteRequest out;
  ASSERT_TRUE(DecodeWriteRequest(wire, &out).ok());
  ASSERT_EQ(out.series.size(), 2u);
  EXPECT_EQ(out.series[0].first_exemplar, 0u);
  EXPECT_EQ(out.series[0].exemplar_count, 1u);
  EXPECT_EQ(out.series[1].first_exemplar, 1u);
  EXPECT_EQ(out.series[1].exemplar_count, 1u);
  ASSERT_EQ(out.exemplars.size(), 2u);
  EXPECT_EQ(out.exemplars[0].value, 2.5);
  EXPECT_EQ(out.exemplars[0].t, -3);
  ASSERT_EQ(out.exemplars[0].label_count, 1u);
  EXPECT_EQ(out.exemplar_labels[out.exemplars[0].first_label].name, "trace_id");
  EXPECT_EQ(out.exemplar_labels[out.exemplars[0].first_label].value, "abc");
  EXPECT_EQ(out.exemplars[1].label_count, 0u);

  io::prometheus::write::v2::Request v2;
  for (const char* sym : {"", "__name__", "m", "trace_id", "xyz"}) v2.add_symbols(sym);
  auto* s2 = v2.add_timeseries();
  s2->add_labels_refs(1);
  s2->add_labels_refs(2);
  auto* e2 = s2->add_exemplars();
  e2->add_labels_refs(3);  // packed on the wire
  e2->add_labels_refs(4);
  e2->set_value(7);
  e2->set_timestamp(1000);
  auto* bad = s2->add_exemplars();
  bad->add_labels_refs(3);
  bad->add_labels_refs(99);
  const std::string wire2 = v2.SerializeAsString();
  ASSERT_TRUE(DecodeWriteRequestV2(wire2, &out).ok());
  ASSERT_EQ(out.exemplars.size(), 2u);
  EXPECT_EQ(out.exemplars[0].label_error, nullptr);
  ASSERT_EQ(out.exemplars[0].label_count, 1u);
  EXPECT_EQ(out.exemplar_labels[0].name, "trace_id");
  EXPECT_EQ(out.exemplar_labels[0].value, "xyz");
  EXPECT_EQ(out.exemplars[0].value, 7);
  EXPECT_EQ(out.exemplars[0].t, 1000);
  EXPECT_STREQ(out.exemplars[1].label_error, "label reference past the end of the symbols table");
  EXPECT_EQ(out.exemplars[1].label_count, 0u);
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
