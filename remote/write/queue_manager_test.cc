#include "remote/write/queue_manager.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <mutex>
#include <thread>

#include "remote/proto/remote.pb.h"
#include "remote/proto/write_v2.pb.h"
#include "remote/write/test_receiver.h"
#include "tsdb/api/sample.h"

namespace promethium::remote {
namespace {

using tsdb::wal::RefExemplar;
using tsdb::wal::RefSample;
using tsdb::wal::RefSeries;

// One received sample: series text, timestamp, value bits.
struct Got {
  std::string series;
  int64_t t;
  uint64_t bits;
  friend bool operator==(const Got&, const Got&) = default;
};

std::vector<Got> DecodeV1(const std::vector<TestRequest>& reqs) {
  std::vector<Got> out;
  for (const TestRequest& r : reqs) {
    prometheus::WriteRequest req;
    EXPECT_TRUE(req.ParseFromString(r.body));
    for (const auto& ts : req.timeseries()) {
      std::vector<std::pair<std::string_view, std::string_view>> pairs;
      LabelsBuilder b;
      for (const auto& l : ts.labels()) b.Set(l.name(), l.value());
      for (const auto& s : ts.samples()) {
        out.push_back({b.Build().ToString(), s.timestamp(), std::bit_cast<uint64_t>(s.value())});
      }
    }
  }
  return out;
}

std::vector<Got> DecodeV2(const std::vector<TestRequest>& reqs) {
  std::vector<Got> out;
  for (const TestRequest& r : reqs) {
    io::prometheus::write::v2::Request req;
    EXPECT_TRUE(req.ParseFromString(r.body));
    for (const auto& ts : req.timeseries()) {
      LabelsBuilder b;
      for (int i = 0; i + 1 < ts.labels_refs_size(); i += 2) {
        b.Set(req.symbols(static_cast<int>(ts.labels_refs(i))), req.symbols(static_cast<int>(ts.labels_refs(i + 1))));
      }
      for (const auto& s : ts.samples()) {
        out.push_back({b.Build().ToString(), s.timestamp(), std::bit_cast<uint64_t>(s.value())});
      }
    }
  }
  return out;
}

class QueueManagerTest : public ::testing::Test {
 protected:
  RemoteWriteConfig Config(const std::string& url) {
    RemoteWriteConfig c;
    c.url = url;
    c.name = "test";
    c.remote_timeout_ms = 5'000;
    c.queue_config.batch_send_deadline_ms = 20;
    c.queue_config.min_backoff_ms = 5;
    c.queue_config.max_backoff_ms = 20;
    c.queue_config.max_samples_per_send = 100;
    c.queue_config.capacity = 1000;
    c.metadata_config.send = false;
    return c;
  }
  std::unique_ptr<QueueManager> Make(RemoteWriteConfig c, Labels external = {}) {
    QueueManager::Options o;
    o.config = std::move(c);
    o.external_labels = std::move(external);
    o.metrics = &registry_;
    o.flush_deadline_ms = 2'000;
    o.metadata_source = metadata_;
    o.retry_wait = retry_wait_;
    auto q = QueueManager::Make(std::move(o));
    EXPECT_TRUE(q.ok()) << q.status().ToString();
    (*q)->Start();
    return std::move(q).value();
  }
  double CounterValue(const std::string& name, MetricLabels extra = {}) {
    MetricLabels l = extra;  // "reason" sorts first
    l.insert(l.end(), {{"remote_name", "test"}, {"url", url_}});
    return registry_.GetCounter("prometheus_remote_storage_" + name, "", l)->Value();
  }
  static std::vector<RefSeries> TwoSeries() {
    return {RefSeries{1, Labels{{"__name__", "up"}, {"job", "a"}}},
            RefSeries{2, Labels{{"__name__", "reqs_total"}, {"job", "b"}}}};
  }

  MetricsRegistry registry_;
  std::string url_;
  std::function<std::vector<MetricMetadataEntry>()> metadata_;
  std::function<int64_t(int64_t)> retry_wait_;  // QueueManager::Options::retry_wait
};

TEST_F(QueueManagerTest, V1BodiesHoldExactlyWhatWasAppended) {
  TestReceiver rx;
  url_ = rx.url();
  auto q = Make(Config(url_));
  q->StoreSeries(TwoSeries(), 0);
  std::vector<RefSample> samples = {{1, 1000, 1}, {2, 1000, 5}, {1, 2000, StaleNaN()}, {2, 2000, 6.5}};
  ASSERT_TRUE(q->Append(samples, WalPosition{0, 128}));
  ASSERT_TRUE(WaitFor([&] { return q->AcknowledgedPosition() == WalPosition{0, 128}; }));
  std::vector<Got> got = DecodeV1(rx.requests());
  std::vector<Got> want = {{R"({__name__="up", job="a"})", 1000, std::bit_cast<uint64_t>(1.0)},
                           {R"({__name__="reqs_total", job="b"})", 1000, std::bit_cast<uint64_t>(5.0)},
                           {R"({__name__="up", job="a"})", 2000, kStaleNaNBits},
                           {R"({__name__="reqs_total", job="b"})", 2000, std::bit_cast<uint64_t>(6.5)}};
  EXPECT_EQ(got, want);
  const std::string head = rx.requests()[0].head;
  EXPECT_NE(head.find("POST /api/v1/write HTTP/1.1"), std::string::npos);
  EXPECT_NE(head.find("Content-Encoding: snappy"), std::string::npos);
  EXPECT_NE(head.find("Content-Type: application/x-protobuf\r\n"), std::string::npos);
  EXPECT_NE(head.find("X-Prometheus-Remote-Write-Version: 0.1.0"), std::string::npos);
  EXPECT_NE(head.find("User-Agent: "), std::string::npos);
  EXPECT_EQ(CounterValue("samples_total"), 4);
  EXPECT_EQ(CounterValue("samples_failed_total"), 0);
}

TEST_F(QueueManagerTest, V2BodiesHoldExactlyWhatWasAppended) {
  TestReceiver rx;
  url_ = rx.url();
  rx.SetDefault({"204 No Content", "X-Prometheus-Remote-Write-Samples-Written: 3\r\n"});
  metadata_ = [] { return std::vector<MetricMetadataEntry>{{"reqs", "counter", "Requests.", ""}}; };
  RemoteWriteConfig c = Config(url_);
  c.protocol = WriteProtocol::kV2;
  auto q = Make(c);
  q->StoreSeries(TwoSeries(), 0);
  std::vector<RefSample> samples = {{1, 1000, 1}, {2, 1000, 5}, {1, 2000, StaleNaN()}};
  ASSERT_TRUE(q->Append(samples, WalPosition{0, 64}));
  ASSERT_TRUE(WaitFor([&] { return q->AcknowledgedPosition() == WalPosition{0, 64}; }));
  std::vector<Got> want = {{R"({__name__="up", job="a"})", 1000, std::bit_cast<uint64_t>(1.0)},
                           {R"({__name__="reqs_total", job="b"})", 1000, std::bit_cast<uint64_t>(5.0)},
                           {R"({__name__="up", job="a"})", 2000, kStaleNaNBits}};
  EXPECT_EQ(DecodeV2(rx.requests()), want);
  const std::string head = rx.requests()[0].head;
  EXPECT_NE(head.find("Content-Type: application/x-protobuf;proto=io.prometheus.write.v2.Request"), std::string::npos);
  EXPECT_NE(head.find("X-Prometheus-Remote-Write-Version: 2.0.0"), std::string::npos);
  EXPECT_EQ(CounterValue("samples_failed_total"), 0);
}

TEST_F(QueueManagerTest, V2WithoutWrittenHeadersCountsAsFailed) {
  TestReceiver rx;  // answers 200 without the 2.0 headers, as a 1.0-only receiver would
  url_ = rx.url();
  RemoteWriteConfig c = Config(url_);
  c.protocol = WriteProtocol::kV2;
  auto q = Make(c);
  q->StoreSeries(TwoSeries(), 0);
  std::vector<RefSample> samples = {{1, 1000, 1}, {2, 1000, 5}};
  ASSERT_TRUE(q->Append(samples, WalPosition{0, 64}));
  ASSERT_TRUE(WaitFor([&] { return CounterValue("samples_failed_total") == 2; }));
  EXPECT_EQ(rx.count(), 1);  // not retried
}

TEST_F(QueueManagerTest, RetriesServerErrorsWithBackoff) {
  TestReceiver rx;
  url_ = rx.url();
  rx.Script({{"500 Internal Server Error", ""}, {"503 Service Unavailable", ""}});
  auto q = Make(Config(url_));
  q->StoreSeries(TwoSeries(), 0);
  std::vector<RefSample> samples = {{1, 1000, 1}, {2, 1000, 2}};
  ASSERT_TRUE(q->Append(samples, WalPosition{1, 10}));
  ASSERT_TRUE(WaitFor([&] { return q->AcknowledgedPosition() == WalPosition{1, 10}; }));
  ASSERT_EQ(rx.count(), 3);
  EXPECT_EQ(CounterValue("samples_retried_total"), 4);
  EXPECT_EQ(CounterValue("samples_total"), 6);  // every attempt counts, as in Prometheus
  EXPECT_EQ(CounterValue("samples_failed_total"), 0);
  const auto reqs = rx.requests();
  EXPECT_EQ(reqs[0].head.find("Retry-Attempt"), std::string::npos);
  EXPECT_NE(reqs[2].head.find("Retry-Attempt: 2"), std::string::npos);
  EXPECT_EQ(DecodeV1({reqs[2]}).size(), 2u);
}

TEST_F(QueueManagerTest, ConnectionRefusedIsRetriedAndNotAcknowledged) {
  // A loopback port with nothing listening.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  url_ = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/write";
  auto q = Make(Config(url_));
  q->StoreSeries(TwoSeries(), 0);
  std::vector<RefSample> samples = {{1, 1000, 1}};
  ASSERT_TRUE(q->Append(samples, WalPosition{2, 20}));
  ASSERT_TRUE(WaitFor([&] { return CounterValue("samples_retried_total") >= 3; }));
  EXPECT_EQ(q->AcknowledgedPosition(), (WalPosition{0, 0}));
  q->Stop();  // gives up after the flush deadline
  ::close(fd);
  EXPECT_EQ(q->AcknowledgedPosition(), (WalPosition{0, 0}));
  EXPECT_EQ(CounterValue("samples_failed_total"), 1);
  EXPECT_FALSE(q->Append(samples, WalPosition{2, 40}));
}

TEST_F(QueueManagerTest, TooManyRequestsHonoursRetryAfter) {
  TestReceiver rx;
  url_ = rx.url();
  rx.Script({{"429 Too Many Requests", "Retry-After: 1\r\n"}});
  RemoteWriteConfig c = Config(url_);
  c.queue_config.retry_on_http_429 = true;
  std::mutex mu;
  std::vector<int64_t> waits;  // guarded by mu
  retry_wait_ = [&](int64_t chosen_ms) {
    std::lock_guard<std::mutex> l(mu);
    waits.push_back(chosen_ms);
    return int64_t{0};  // the chosen wait is what is checked, not the clock
  };
  auto q = Make(c);
  q->StoreSeries(TwoSeries(), 0);
  std::vector<RefSample> samples = {{1, 1000, 1}};
  ASSERT_TRUE(q->Append(samples, WalPosition{0, 8}));
  ASSERT_TRUE(WaitFor([&] { return q->AcknowledgedPosition() == WalPosition{0, 8}; }));
  q->Stop();
  {
    // Retry-After: 1 asks for 1 s; the backoff alone would be 5 ms (max 20 ms).
    std::lock_guard<std::mutex> l(mu);
    EXPECT_EQ(waits, std::vector<int64_t>{1000});
  }
  EXPECT_EQ(rx.count(), 2);
  EXPECT_EQ(CounterValue("samples_retried_total"), 1);
}

TEST_F(QueueManagerTest, TooManyRequestsDropsWithoutRetryOn429) {
  TestReceiver rx;
  url_ = rx.url();
  rx.Script({{"429 Too Many Requests", "Retry-After: 1\r\n"}});
  auto q = Make(Config(url_));
  q->StoreSeries(TwoSeries(), 0);
  std::vector<RefSample> samples = {{1, 1000, 1}};
  ASSERT_TRUE(q->Append(samples, WalPosition{0, 8}));
  ASSERT_TRUE(WaitFor([&] { return q->AcknowledgedPosition() == WalPosition{0, 8}; }));
  EXPECT_EQ(rx.count(), 1);
  EXPECT_EQ(CounterValue("samples_failed_total"), 1);
}

TEST_F(QueueManagerTest, BadRequestDropsAndCounts) {
  TestReceiver rx;
  url_ = rx.url();
  rx.Script({{"400 Bad Request", ""}});
  auto q = Make(Config(url_));
  q->StoreSeries(TwoSeries(), 0);
  std::vector<RefSample> samples = {{1, 1000, 1}, {2, 1000, 2}, {1, 2000, 3}};
  ASSERT_TRUE(q->Append(samples, WalPosition{3, 30}));
  // Dropped-and-counted data is acknowledged: it will never be sendable.
  ASSERT_TRUE(WaitFor([&] { return q->AcknowledgedPosition() == WalPosition{3, 30}; }));
  EXPECT_EQ(rx.count(), 1);
  EXPECT_EQ(CounterValue("samples_failed_total"), 3);
  EXPECT_EQ(CounterValue("samples_retried_total"), 0);
}

TEST_F(QueueManagerTest, BatchesBySizeThenFlushesTheRestOnStop) {
  TestReceiver rx;
  url_ = rx.url();
  RemoteWriteConfig c = Config(url_);
  c.queue_config.max_samples_per_send = 10;
  c.queue_config.batch_send_deadline_ms = 3'600'000;  // only size or the stop flush sends
  auto q = Make(c);
  q->StoreSeries(TwoSeries(), 0);
  std::vector<RefSample> samples;
  for (int i = 0; i < 25; ++i) samples.push_back({1, 1000 + i, static_cast<double>(i)});
  ASSERT_TRUE(q->Append(samples, WalPosition{0, 500}));
  ASSERT_TRUE(rx.WaitRequests(2));
  auto reqs = rx.requests();
  EXPECT_EQ(DecodeV1({reqs[0]}).size(), 10u);
  EXPECT_EQ(DecodeV1({reqs[1]}).size(), 10u);
  EXPECT_EQ(q->AcknowledgedPosition(), (WalPosition{0, 0}));  // 5 still held
  q->Stop();
  reqs = rx.requests();
  ASSERT_EQ(reqs.size(), 3u);
  std::vector<Got> got = DecodeV1(reqs);
  ASSERT_EQ(got.size(), 25u);
  for (int i = 0; i < 25; ++i) EXPECT_EQ(got[i].t, 1000 + i);  // in order
  EXPECT_EQ(q->AcknowledgedPosition(), (WalPosition{0, 500}));
}

TEST_F(QueueManagerTest, BatchesByDeadline) {
  TestReceiver rx;
  url_ = rx.url();
  auto q = Make(Config(url_));  // 100 per send, 20 ms deadline
  q->StoreSeries(TwoSeries(), 0);
  std::vector<RefSample> samples = {{1, 1000, 1}, {1, 2000, 2}, {1, 3000, 3}};
  ASSERT_TRUE(q->Append(samples, WalPosition{0, 50}));
  ASSERT_TRUE(rx.WaitRequests(1));
  EXPECT_EQ(DecodeV1(rx.requests()).size(), 3u);
}

TEST_F(QueueManagerTest, RelabelDropAndExternalLabels) {
  TestReceiver rx;
  url_ = rx.url();
  RemoteWriteConfig c = Config(url_);
  scrape::RelabelConfig drop;
  drop.source_labels = {"job"};
  drop.regex = scrape::RelabelRegex::Make("b").value();
  drop.action = scrape::RelabelAction::kDrop;
  c.write_relabel_configs = {drop};
  auto q = Make(c, Labels{{"cluster", "eu"}, {"job", "ext"}});
  q->StoreSeries(std::vector<RefSeries>{RefSeries{1, Labels{{"__name__", "up"}, {"job", "a"}}},
                                        RefSeries{2, Labels{{"__name__", "reqs_total"}, {"job", "b"}}},
                                        RefSeries{3, Labels{{"__name__", "x"}}}},
                 0);
  std::vector<RefSample> samples = {{1, 1000, 1}, {2, 1000, 2}, {3, 1000, 3}, {9, 1000, 4}};
  ASSERT_TRUE(q->Append(samples, WalPosition{0, 70}));
  ASSERT_TRUE(WaitFor([&] { return q->AcknowledgedPosition() == WalPosition{0, 70}; }));
  std::vector<Got> want = {{R"({__name__="up", cluster="eu", job="a"})", 1000, std::bit_cast<uint64_t>(1.0)},
                           {R"({__name__="x", cluster="eu", job="ext"})", 1000, std::bit_cast<uint64_t>(3.0)}};
  EXPECT_EQ(DecodeV1(rx.requests()), want);
  EXPECT_EQ(CounterValue("samples_dropped_total", {{"reason", "dropped_series"}}), 1);
  EXPECT_EQ(CounterValue("samples_dropped_total", {{"reason", "unintentionally_dropped_series"}}), 1);
}

TEST_F(QueueManagerTest, SeriesResetForgetsOldSegments) {
  TestReceiver rx;
  url_ = rx.url();
  auto q = Make(Config(url_));
  q->StoreSeries(std::vector<RefSeries>{RefSeries{1, Labels{{"__name__", "old"}}}}, 1);
  q->StoreSeries(std::vector<RefSeries>{RefSeries{2, Labels{{"__name__", "new"}}}}, 3);
  q->SeriesReset(2);
  std::vector<RefSample> samples = {{1, 1000, 1}, {2, 1000, 2}};
  ASSERT_TRUE(q->Append(samples, WalPosition{3, 10}));
  ASSERT_TRUE(WaitFor([&] { return q->AcknowledgedPosition() == WalPosition{3, 10}; }));
  ASSERT_EQ(DecodeV1(rx.requests()).size(), 1u);
  EXPECT_EQ(DecodeV1(rx.requests())[0].series, R"({__name__="new"})");
}

TEST_F(QueueManagerTest, SampleAgeLimitDropsOldSamples) {
  TestReceiver rx;
  url_ = rx.url();
  RemoteWriteConfig c = Config(url_);
  c.queue_config.sample_age_limit_ms = 60'000;
  auto q = Make(c);
  q->StoreSeries(TwoSeries(), 0);
  const int64_t now =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  std::vector<RefSample> samples = {{1, now - 3'600'000, 1}, {1, now, 2}};
  ASSERT_TRUE(q->Append(samples, WalPosition{0, 30}));
  ASSERT_TRUE(WaitFor([&] { return q->AcknowledgedPosition() == WalPosition{0, 30}; }));
  ASSERT_EQ(DecodeV1(rx.requests()).size(), 1u);
  EXPECT_EQ(CounterValue("samples_dropped_total", {{"reason", "too_old"}}), 1);
}

TEST_F(QueueManagerTest, ExemplarsOnlyWhenEnabled) {
  TestReceiver rx;
  url_ = rx.url();
  RemoteWriteConfig c = Config(url_);
  auto off = Make(c);
  off->StoreSeries(TwoSeries(), 0);
  std::vector<RefExemplar> ex = {RefExemplar{1, 1000, 9, Labels{{"trace_id", "t1"}}}};
  ASSERT_TRUE(off->AppendExemplars(ex, WalPosition{0, 40}));
  EXPECT_EQ(off->AcknowledgedPosition(), (WalPosition{0, 40}));  // nothing to send: done at once
  off->Stop();
  EXPECT_EQ(rx.count(), 0);

  c.send_exemplars = true;
  auto on = Make(c);
  on->StoreSeries(TwoSeries(), 0);
  ASSERT_TRUE(on->AppendExemplars(ex, WalPosition{0, 40}));
  ASSERT_TRUE(WaitFor([&] { return on->AcknowledgedPosition() == WalPosition{0, 40}; }));
  prometheus::WriteRequest req;
  ASSERT_TRUE(req.ParseFromString(rx.requests().at(0).body));
  ASSERT_EQ(req.timeseries_size(), 1);
  ASSERT_EQ(req.timeseries(0).exemplars_size(), 1);
  EXPECT_EQ(req.timeseries(0).exemplars(0).labels(0).value(), "t1");
  EXPECT_EQ(CounterValue("exemplars_total"), 1);
}

// send_native_histograms as Prometheus: off, histogram records are read but
// nothing is sent (the position still advances); on, each histogram is a
// TimeSeries of its own, counted in histograms_total (codec_histogram_test
// checks the fields).
TEST_F(QueueManagerTest, HistogramsOnlyWithSendNativeHistograms) {
  TestReceiver rx;
  url_ = rx.url();
  Histogram h;
  h.count = 4;
  h.sum = 2;
  h.positive_spans = {{0, 2}};
  h.positive_buckets = {1, 2};
  FloatHistogram fh;
  fh.schema = kCustomBucketsSchema;
  fh.count = 1.5;
  fh.positive_spans = {{0, 1}};
  fh.positive_buckets = {1.5};
  fh.custom_values = {5};
  const std::vector<tsdb::wal::RefHistogramSample> hs = {{1, 1000, h}, {3, 1000, h}};  // ref 3: unknown series
  const std::vector<tsdb::wal::RefFloatHistogramSample> fhs = {{2, 2000, fh}};
  RemoteWriteConfig c = Config(url_);
  auto off = Make(c);
  off->StoreSeries(TwoSeries(), 0);
  ASSERT_TRUE(off->AppendHistograms(hs, WalPosition{0, 40}));
  ASSERT_TRUE(off->AppendFloatHistograms(fhs, WalPosition{0, 80}));
  EXPECT_EQ(off->AcknowledgedPosition(), (WalPosition{0, 80}));  // nothing to send: done at once
  off->Stop();
  EXPECT_EQ(rx.count(), 0);
  EXPECT_EQ(CounterValue("histograms_total"), 0);

  c.send_native_histograms = true;
  auto on = Make(c);
  on->StoreSeries(TwoSeries(), 0);
  ASSERT_TRUE(on->AppendHistograms(hs, WalPosition{0, 40}));
  ASSERT_TRUE(on->AppendFloatHistograms(fhs, WalPosition{0, 80}));
  ASSERT_TRUE(WaitFor([&] { return on->AcknowledgedPosition() == WalPosition{0, 80}; }));
  std::vector<std::string> got;
  for (const TestRequest& r : rx.requests()) {
    prometheus::WriteRequest req;
    ASSERT_TRUE(req.ParseFromString(r.body));
    for (const auto& ts : req.timeseries()) {
      EXPECT_EQ(ts.samples_size(), 0);
      for (const auto& ph : ts.histograms()) {
        got.push_back(ts.labels(0).value() + " " + std::to_string(ph.timestamp()) + " " +
                      (ph.has_count_int() ? "int " + std::to_string(ph.count_int())
                                          : "float " + std::to_string(ph.count_float())));
      }
    }
  }
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::string>{"reqs_total 2000 float 1.500000", "up 1000 int 4"}));
  EXPECT_EQ(CounterValue("histograms_total"), 2);
  EXPECT_EQ(CounterValue("histograms_dropped_total", {{"reason", "unintentionally_dropped_series"}}), 1);
  EXPECT_EQ(CounterValue("samples_total"), 0);
  EXPECT_EQ(
      registry_.GetGauge("prometheus_remote_storage_histograms_pending", "", {{"remote_name", "test"}, {"url", url_}})
          ->Value(),
      0);
}

TEST_F(QueueManagerTest, ReshardKeepsEverySampleAndPosition) {
  TestReceiver rx;
  url_ = rx.url();
  auto q = Make(Config(url_));
  std::vector<RefSeries> series;
  for (uint64_t ref = 1; ref <= 8; ++ref) series.push_back({ref, Labels{{"__name__", "m" + std::to_string(ref)}}});
  q->StoreSeries(series, 0);
  std::vector<RefSample> first, second;
  for (uint64_t ref = 1; ref <= 8; ++ref) first.push_back({ref, 1000, 1});
  for (uint64_t ref = 1; ref <= 8; ++ref) second.push_back({ref, 2000, 2});
  ASSERT_TRUE(q->Append(first, WalPosition{0, 100}));
  q->Reshard(4);
  EXPECT_EQ(q->shards(), 4);
  ASSERT_TRUE(q->Append(second, WalPosition{0, 200}));
  ASSERT_TRUE(WaitFor([&] { return q->AcknowledgedPosition() == WalPosition{0, 200}; }));
  std::vector<Got> got = DecodeV1(rx.requests());
  EXPECT_EQ(got.size(), 16u);
  // Per series, 1000 arrives before 2000.
  for (uint64_t ref = 1; ref <= 8; ++ref) {
    const std::string name = R"({__name__="m)" + std::to_string(ref) + R"("})";
    std::vector<int64_t> ts;
    for (const Got& g : got) {
      if (g.series == name) ts.push_back(g.t);
    }
    EXPECT_EQ(ts, (std::vector<int64_t>{1000, 2000})) << name;
  }
}

TEST_F(QueueManagerTest, MetadataV1IsSentInItsOwnRequests) {
  TestReceiver rx;
  url_ = rx.url();
  metadata_ = [] {
    return std::vector<MetricMetadataEntry>{{"up", "gauge", "Up.", ""}, {"reqs", "counter", "Requests.", ""}};
  };
  RemoteWriteConfig c = Config(url_);
  c.metadata_config.send = true;
  c.metadata_config.max_samples_per_send = 1;
  auto q = Make(c);
  ASSERT_TRUE(rx.WaitRequests(2));
  std::set<std::string> families;
  for (const TestRequest& r : rx.requests()) {
    prometheus::WriteRequest req;
    ASSERT_TRUE(req.ParseFromString(r.body));
    EXPECT_EQ(req.metadata_size(), 1);
    for (const auto& m : req.metadata()) families.insert(m.metric_family_name());
  }
  EXPECT_EQ(families, (std::set<std::string>{"reqs", "up"}));
  EXPECT_TRUE(WaitFor([&] { return CounterValue("metadata_total") == 2; }));
}

}  // namespace
}  // namespace promethium::remote
