// Native histograms in remote write requests: both protocols put them into
// TimeSeries.histograms field by field as Prometheus's
// HistogramToHistogramProto / FloatHistogramToHistogramProto (storage/remote/
// codec.go) do; the bodies are parsed back with the generated classes.
#include <gtest/gtest.h>
#include <snappy.h>

#include <climits>
#include <memory>
#include <vector>

#include "remote/proto/remote.pb.h"
#include "remote/proto/write_v2.pb.h"
#include "remote/write/codec.h"

namespace promethium::remote {
namespace {

std::string Uncompress(const std::string& body) {
  std::string raw;
  EXPECT_TRUE(snappy::Uncompress(body.data(), body.size(), &raw));
  return raw;
}

// A sample, an integer exponential histogram and a float custom-bucket
// histogram of one series.
std::vector<QueueItem> Items() {
  auto series = std::make_shared<const SeriesEntry>(SeriesEntry{Labels{{"__name__", "lat"}, {"job", "a"}}});
  Histogram h;
  h.counter_reset_hint = CounterResetHint::kNotCounterReset;
  h.schema = 1;
  h.zero_threshold = 0.001;
  h.zero_count = 2;
  h.count = 9;
  h.sum = 12.5;
  h.positive_spans = {{-1, 2}, {3, 1}};
  h.positive_buckets = {1, 2, -2};
  h.negative_spans = {{0, 1}};
  h.negative_buckets = {3};
  FloatHistogram fh;
  fh.counter_reset_hint = CounterResetHint::kGauge;
  fh.schema = kCustomBucketsSchema;
  fh.count = 3.5;
  fh.sum = -1;
  fh.positive_spans = {{0, 2}};
  fh.positive_buckets = {1.5, 2};
  fh.custom_values = {0.1, 1};
  std::vector<QueueItem> items(3);
  for (QueueItem& item : items) item.series = series;
  items[0].t = 1000;
  items[0].v = 4;
  items[1].t = 2000;
  items[1].kind = QueueItem::Kind::kHistogram;
  items[1].h = std::make_shared<const Histogram>(h);
  items[2].t = 3000;
  items[2].kind = QueueItem::Kind::kFloatHistogram;
  items[2].fh = std::make_shared<const FloatHistogram>(fh);
  return items;
}

// The fields both protocols' Histogram messages share, checked against
// Items()[1] (integer) or Items()[2] (float).
template <typename Msg>
void ExpectIntegerHistogram(const Msg& m) {
  EXPECT_EQ(m.count_case(), Msg::kCountInt);
  EXPECT_EQ(m.count_int(), 9u);
  EXPECT_EQ(m.zero_count_case(), Msg::kZeroCountInt);
  EXPECT_EQ(m.zero_count_int(), 2u);
  EXPECT_EQ(m.sum(), 12.5);
  EXPECT_EQ(m.schema(), 1);
  EXPECT_EQ(m.zero_threshold(), 0.001);
  EXPECT_EQ(static_cast<int>(m.reset_hint()), 2);  // NO
  EXPECT_EQ(m.timestamp(), 2000);
  ASSERT_EQ(m.positive_spans_size(), 2);
  EXPECT_EQ(m.positive_spans(0).offset(), -1);
  EXPECT_EQ(m.positive_spans(0).length(), 2u);
  EXPECT_EQ(m.positive_spans(1).offset(), 3);
  EXPECT_EQ(m.positive_spans(1).length(), 1u);
  EXPECT_EQ(std::vector<int64_t>(m.positive_deltas().begin(), m.positive_deltas().end()),
            (std::vector<int64_t>{1, 2, -2}));
  ASSERT_EQ(m.negative_spans_size(), 1);
  EXPECT_EQ(std::vector<int64_t>(m.negative_deltas().begin(), m.negative_deltas().end()), (std::vector<int64_t>{3}));
  EXPECT_EQ(m.positive_counts_size(), 0);
  EXPECT_EQ(m.custom_values_size(), 0);
}

template <typename Msg>
void ExpectFloatHistogram(const Msg& m) {
  EXPECT_EQ(m.count_case(), Msg::kCountFloat);
  EXPECT_EQ(m.count_float(), 3.5);
  EXPECT_EQ(m.zero_count_case(), Msg::kZeroCountFloat);
  EXPECT_EQ(m.zero_count_float(), 0);
  EXPECT_EQ(m.sum(), -1);
  EXPECT_EQ(m.schema(), -53);
  EXPECT_EQ(static_cast<int>(m.reset_hint()), 3);  // GAUGE
  EXPECT_EQ(m.timestamp(), 3000);
  ASSERT_EQ(m.positive_spans_size(), 1);
  EXPECT_EQ(m.positive_spans(0).length(), 2u);
  EXPECT_EQ(std::vector<double>(m.positive_counts().begin(), m.positive_counts().end()), (std::vector<double>{1.5, 2}));
  EXPECT_EQ(m.positive_deltas_size(), 0);
  EXPECT_EQ(std::vector<double>(m.custom_values().begin(), m.custom_values().end()), (std::vector<double>{0.1, 1}));
}

TEST(CodecHistogramTest, V1CarriesHistogramsInTheirOwnTimeSeries) {
  Result<EncodedBatch> enc = EncodeBatch(WriteProtocol::kV1, Items(), nullptr, INT64_MIN);
  ASSERT_TRUE(enc.ok()) << enc.status().ToString();
  EXPECT_EQ(enc->samples, 1u);
  EXPECT_EQ(enc->histograms, 2u);
  EXPECT_EQ(enc->exemplars, 0u);
  EXPECT_EQ(enc->highest_timestamp, 3000);
  prometheus::WriteRequest req;
  ASSERT_TRUE(req.ParseFromString(Uncompress(enc->body)));
  ASSERT_EQ(req.timeseries_size(), 3);
  EXPECT_EQ(req.timeseries(0).samples_size(), 1);
  EXPECT_EQ(req.timeseries(0).histograms_size(), 0);
  for (int i : {1, 2}) {
    const auto& ts = req.timeseries(i);
    ASSERT_EQ(ts.labels_size(), 2);
    EXPECT_EQ(ts.labels(0).value(), "lat");
    EXPECT_EQ(ts.samples_size(), 0);
    ASSERT_EQ(ts.histograms_size(), 1);
  }
  ExpectIntegerHistogram(req.timeseries(1).histograms(0));
  ExpectFloatHistogram(req.timeseries(2).histograms(0));
}

TEST(CodecHistogramTest, V2CarriesHistograms) {
  Result<EncodedBatch> enc = EncodeBatch(WriteProtocol::kV2, Items(), nullptr, INT64_MIN);
  ASSERT_TRUE(enc.ok()) << enc.status().ToString();
  EXPECT_EQ(enc->histograms, 2u);
  io::prometheus::write::v2::Request req;
  ASSERT_TRUE(req.ParseFromString(Uncompress(enc->body)));
  ASSERT_EQ(req.timeseries_size(), 3);
  EXPECT_EQ(req.timeseries(1).samples_size(), 0);
  ASSERT_EQ(req.timeseries(1).histograms_size(), 1);
  ASSERT_EQ(req.timeseries(2).histograms_size(), 1);
  ExpectIntegerHistogram(req.timeseries(1).histograms(0));
  ExpectFloatHistogram(req.timeseries(2).histograms(0));
  const auto& ts = req.timeseries(1);
  ASSERT_EQ(ts.labels_refs_size(), 4);
  EXPECT_EQ(req.symbols(static_cast<int>(ts.labels_refs(1))), "lat");
}

TEST(CodecHistogramTest, AgeLimitDropsHistogramsAndCountsThem) {
  for (WriteProtocol p : {WriteProtocol::kV1, WriteProtocol::kV2}) {
    Result<EncodedBatch> enc = EncodeBatch(p, Items(), nullptr, 2500);
    ASSERT_TRUE(enc.ok());
    EXPECT_EQ(enc->dropped_samples, 1u);
    EXPECT_EQ(enc->dropped_histograms, 1u);  // the one at 2000
    EXPECT_EQ(enc->histograms, 1u);
    EXPECT_EQ(enc->lowest_timestamp, 3000);
  }
}

}  // namespace
}  // namespace promethium::remote
