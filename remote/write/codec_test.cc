#include "remote/write/codec.h"

#include <gtest/gtest.h>
#include <snappy.h>

#include <bit>
#include <climits>
#include <cmath>

#include "remote/proto/remote.pb.h"
#include "remote/proto/write_v2.pb.h"
#include "remote/write/write_client.h"
#include "tsdb/api/sample.h"

namespace promethium::remote {
namespace {

std::string Uncompress(const std::string& body) {
  std::string raw;
  EXPECT_TRUE(snappy::Uncompress(body.data(), body.size(), &raw));
  return raw;
}

std::vector<QueueItem> Items() {
  auto up = std::make_shared<const SeriesEntry>(SeriesEntry{Labels{{"__name__", "up"}, {"job", "a"}}});
  auto req = std::make_shared<const SeriesEntry>(SeriesEntry{Labels{{"__name__", "reqs_total"}, {"code", "200"}}});
  std::vector<QueueItem> items(4);
  const std::shared_ptr<const SeriesEntry> series[] = {up, req, up, req};
  const int64_t ts[] = {1000, 2000, 3000, 2500};
  const double vs[] = {1, 42.5, StaleNaN(), 7};
  for (size_t i = 0; i < items.size(); ++i) {
    items[i].series = series[i];
    items[i].t = ts[i];
    items[i].v = vs[i];
  }
  items[3].kind = QueueItem::Kind::kExemplar;
  items[3].exemplar_labels = Labels{{"trace_id", "abc"}};
  return items;
}

TEST(CodecTest, V1BodyDecodesToTheItems) {
  Result<EncodedBatch> enc = EncodeBatch(WriteProtocol::kV1, Items(), nullptr, INT64_MIN);
  ASSERT_TRUE(enc.ok()) << enc.status().ToString();
  EXPECT_EQ(enc->samples, 3u);
  EXPECT_EQ(enc->exemplars, 1u);
  EXPECT_EQ(enc->highest_timestamp, 3000);
  EXPECT_EQ(enc->lowest_timestamp, 1000);
  prometheus::WriteRequest req;
  ASSERT_TRUE(req.ParseFromString(Uncompress(enc->body)));
  ASSERT_EQ(req.timeseries_size(), 4);
  const auto& first = req.timeseries(0);
  ASSERT_EQ(first.labels_size(), 2);
  EXPECT_EQ(first.labels(0).name(), "__name__");
  EXPECT_EQ(first.labels(0).value(), "up");
  EXPECT_EQ(first.labels(1).name(), "job");
  ASSERT_EQ(first.samples_size(), 1);
  EXPECT_EQ(first.samples(0).timestamp(), 1000);
  EXPECT_EQ(first.samples(0).value(), 1);
  // The stale marker keeps its exact NaN bits.
  EXPECT_EQ(std::bit_cast<uint64_t>(req.timeseries(2).samples(0).value()), kStaleNaNBits);
  const auto& ex = req.timeseries(3);
  EXPECT_EQ(ex.samples_size(), 0);
  ASSERT_EQ(ex.exemplars_size(), 1);
  EXPECT_EQ(ex.exemplars(0).labels(0).name(), "trace_id");
  EXPECT_EQ(ex.exemplars(0).value(), 7);
  EXPECT_EQ(ex.exemplars(0).timestamp(), 2500);
}

TEST(CodecTest, V1HandlesNegativeTimestampsAndEmptyBatches) {
  std::vector<QueueItem> items(1);
  items[0].series = std::make_shared<const SeriesEntry>(SeriesEntry{Labels{{"__name__", "x"}}});
  items[0].t = -5;
  items[0].v = -0.0;
  Result<EncodedBatch> enc = EncodeBatch(WriteProtocol::kV1, items, nullptr, INT64_MIN);
  ASSERT_TRUE(enc.ok());
  prometheus::WriteRequest req;
  ASSERT_TRUE(req.ParseFromString(Uncompress(enc->body)));
  ASSERT_EQ(req.timeseries_size(), 1);
  EXPECT_EQ(req.timeseries(0).samples(0).timestamp(), -5);
  EXPECT_TRUE(std::signbit(req.timeseries(0).samples(0).value()));
  Result<EncodedBatch> empty = EncodeBatch(WriteProtocol::kV1, {}, nullptr, INT64_MIN);
  ASSERT_TRUE(empty.ok());
  ASSERT_TRUE(req.ParseFromString(Uncompress(empty->body)));
  EXPECT_EQ(req.timeseries_size(), 0);
}

TEST(CodecTest, V2BodyUsesSymbolsAndMetadata) {
  MetadataIndex md;
  md["reqs"] = MetricMetadataEntry{.family = "reqs", .type = "counter", .help = "Requests.", .unit = ""};
  Result<EncodedBatch> enc = EncodeBatch(WriteProtocol::kV2, Items(), &md, INT64_MIN);
  ASSERT_TRUE(enc.ok());
  io::prometheus::write::v2::Request req;
  ASSERT_TRUE(req.ParseFromString(Uncompress(enc->body)));
  ASSERT_GE(req.symbols_size(), 1);
  EXPECT_EQ(req.symbols(0), "");
  ASSERT_EQ(req.timeseries_size(), 4);
  auto label = [&](const io::prometheus::write::v2::TimeSeries& ts, int i) {
    return std::make_pair(req.symbols(static_cast<int>(ts.labels_refs(2 * i))),
                          req.symbols(static_cast<int>(ts.labels_refs(2 * i + 1))));
  };
  const auto& up = req.timeseries(0);
  ASSERT_EQ(up.labels_refs_size(), 4);
  EXPECT_EQ(label(up, 0), std::make_pair(std::string("__name__"), std::string("up")));
  EXPECT_EQ(label(up, 1), std::make_pair(std::string("job"), std::string("a")));
  EXPECT_EQ(up.samples(0).value(), 1);
  EXPECT_EQ(up.metadata().type(), io::prometheus::write::v2::Metadata::METRIC_TYPE_UNSPECIFIED);
  // reqs_total finds the metadata of family reqs.
  const auto& reqs = req.timeseries(1);
  EXPECT_EQ(reqs.metadata().type(), io::prometheus::write::v2::Metadata::METRIC_TYPE_COUNTER);
  EXPECT_EQ(req.symbols(static_cast<int>(reqs.metadata().help_ref())), "Requests.");
  EXPECT_EQ(reqs.samples(0).timestamp(), 2000);
  EXPECT_EQ(std::bit_cast<uint64_t>(req.timeseries(2).samples(0).value()), kStaleNaNBits);
  const auto& ex = req.timeseries(3).exemplars(0);
  EXPECT_EQ(req.symbols(static_cast<int>(ex.labels_refs(0))), "trace_id");
  EXPECT_EQ(req.symbols(static_cast<int>(ex.labels_refs(1))), "abc");
  EXPECT_EQ(enc->metadata, 2u);  // the sample and the exemplar of reqs_total
  // Every string once.
  std::set<std::string> seen(req.symbols().begin(), req.symbols().end());
  EXPECT_EQ(seen.size(), static_cast<size_t>(req.symbols_size()));
}

TEST(CodecTest, MinTimestampLeavesOutOldItems) {
  Result<EncodedBatch> enc = EncodeBatch(WriteProtocol::kV1, Items(), nullptr, 2500);
  ASSERT_TRUE(enc.ok());
  EXPECT_EQ(enc->samples, 1u);
  EXPECT_EQ(enc->exemplars, 1u);
  EXPECT_EQ(enc->dropped_samples, 2u);
  EXPECT_EQ(enc->dropped_exemplars, 0u);
  EXPECT_EQ(enc->lowest_timestamp, 2500);
  prometheus::WriteRequest req;
  ASSERT_TRUE(req.ParseFromString(Uncompress(enc->body)));
  EXPECT_EQ(req.timeseries_size(), 2);
}

TEST(CodecTest, MetadataV1) {
  std::vector<MetricMetadataEntry> md = {{"up", "gauge", "Up.", ""}, {"bytes", "counter", "B.", "bytes"}};
  Result<std::string> body = EncodeMetadataV1(md);
  ASSERT_TRUE(body.ok());
  prometheus::WriteRequest req;
  ASSERT_TRUE(req.ParseFromString(Uncompress(*body)));
  ASSERT_EQ(req.metadata_size(), 2);
  EXPECT_EQ(req.metadata(0).metric_family_name(), "up");
  EXPECT_EQ(req.metadata(0).type(), prometheus::MetricMetadata::GAUGE);
  EXPECT_EQ(req.metadata(1).unit(), "bytes");
  EXPECT_EQ(req.timeseries_size(), 0);
}

TEST(CodecTest, ProtocolHeaders) {
  auto v1 = ProtocolHeaders(WriteProtocol::kV1);
  EXPECT_EQ(v1[0], std::make_pair(std::string("Content-Encoding"), std::string("snappy")));
  EXPECT_EQ(v1[1].second, "application/x-protobuf");
  EXPECT_EQ(v1[2].second, "0.1.0");
  auto v2 = ProtocolHeaders(WriteProtocol::kV2);
  EXPECT_EQ(v2[1].second, "application/x-protobuf;proto=io.prometheus.write.v2.Request");
  EXPECT_EQ(v2[2].second, "2.0.0");
}

TEST(CodecTest, WriteResponseStats) {
  std::vector<std::pair<std::string, std::string>> none = {{"Content-Type", "text/plain"}};
  EXPECT_FALSE(ParseWriteResponseStats(none).confirmed);
  std::vector<std::pair<std::string, std::string>> h = {{"x-prometheus-remote-write-samples-written", "10"},
                                                        {"X-Prometheus-Remote-Write-Exemplars-Written", "2"},
                                                        {"X-Prometheus-Remote-Write-Histograms-Written", "bad"}};
  WriteResponseStats s = ParseWriteResponseStats(h);
  EXPECT_TRUE(s.confirmed);
  EXPECT_EQ(s.samples, 10);
  EXPECT_EQ(s.exemplars, 2);
  EXPECT_EQ(s.histograms, 0);
}

TEST(CodecTest, RetryAfter) {
  const int64_t now = 1445412480000;  // Wed, 21 Oct 2015 07:28:00 GMT
  EXPECT_EQ(ParseRetryAfter("", now), 0);
  EXPECT_EQ(ParseRetryAfter("3", now), 3000);
  EXPECT_EQ(ParseRetryAfter("-3", now), 0);
  EXPECT_EQ(ParseRetryAfter("soon", now), 0);
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:28:05 GMT", now), 5000);
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:27:00 GMT", now), 0);  // in the past
}

}  // namespace
}  // namespace promethium::remote
