// Remote write receiver through ApiHandler::Handle, with WriteRequests built
// from the generated protobuf classes and a recording Appendable.
#include "web/remote/write_handler.h"

#include <gtest/gtest.h>
#include <snappy.h>

#include <map>
#include <mutex>
#include <optional>

#include "remote/proto/remote.pb.h"
#include "remote/proto/write_v2.pb.h"
#include "tsdb/api/storage.h"
#include "web/api_handler.h"

namespace promethium::web {
namespace {

// A histogram sample as the storage received it.
struct StoredHistogram {
  int64_t t = 0;
  std::optional<Histogram> h;
  std::optional<FloatHistogram> fh;
};

// Keeps committed samples per series; rejects samples not newer than the
// series' last committed or pending one (OutOfOrder / Duplicate). Keeps
// histograms unless histograms_supported is false (then the Appender's
// default answers Unsupported, as a storage without histograms does).
// Exemplars are kept only with exemplars_supported; like the head, they need
// the ref of a series appended before (NotFound otherwise), and one older
// than the series' newest is OutOfOrder, an equal one Duplicate.
class RecordingAppendable final : public Appendable {
 public:
  std::map<Labels, std::vector<Sample>> committed;
  std::map<Labels, std::vector<StoredHistogram>> committed_histograms;
  bool histograms_supported = true;
  bool exemplars_supported = false;
  std::map<Labels, std::vector<Exemplar>> committed_exemplars;
  int commits = 0;
  int rollbacks = 0;

  std::unique_ptr<Appender> NewAppender() override { return std::make_unique<App>(this); }

 private:
  class App final : public Appender {
   public:
    explicit App(RecordingAppendable* parent) : parent_(parent) {}
    Result<SeriesRef> Append(SeriesRef, const Labels& labels, int64_t t, double v) override {
      std::vector<Sample>& pending = pending_[labels];
      auto done = parent_->committed.find(labels);
      const Sample* last = !pending.empty()                                            ? &pending.back()
                           : done != parent_->committed.end() && !done->second.empty() ? &done->second.back()
                                                                                       : nullptr;
      if (last != nullptr && t < last->t) return Status::OutOfOrder("out of order sample");
      if (last != nullptr && t == last->t) return Status::Duplicate("duplicate sample for timestamp");
      pending.push_back({t, v});
      return SeriesRef{1};
    }
    Result<SeriesRef> AppendHistogram(SeriesRef ref, const Labels& labels, int64_t t, const Histogram* h,
                                      const FloatHistogram* fh) override {
      if (!parent_->histograms_supported) return Appender::AppendHistogram(ref, labels, t, h, fh);
      StoredHistogram stored{t, std::nullopt, std::nullopt};
      if (h != nullptr) stored.h = *h;
      if (fh != nullptr) stored.fh = *fh;
      pending_histograms_[labels].push_back(std::move(stored));
      return SeriesRef{1};
    }
    Result<SeriesRef> AppendExemplar(SeriesRef ref, const Labels& labels, const Exemplar& e) override {
      if (!parent_->exemplars_supported) return Appender::AppendExemplar(ref, labels, e);
      if (ref != 1) return Status::NotFound("unknown series ref for exemplar");
      std::vector<Exemplar>& pending = pending_exemplars_[labels];
      auto done = parent_->committed_exemplars.find(labels);
      const Exemplar* last = !pending.empty() ? &pending.back()
                             : done != parent_->committed_exemplars.end() && !done->second.empty()
                                 ? &done->second.back()
                                 : nullptr;
      if (last != nullptr && e.ts < last->ts) return Status::OutOfOrder("out of order exemplar");
      if (last != nullptr && e == *last) return Status::Duplicate("duplicate exemplar");
      pending.push_back(e);
      return ref;
    }
    Status Commit() override {
      for (auto& [labels, exemplars] : pending_exemplars_) {
        auto& dst = parent_->committed_exemplars[labels];
        dst.insert(dst.end(), exemplars.begin(), exemplars.end());
      }
      for (auto& [labels, samples] : pending_) {
        auto& dst = parent_->committed[labels];
        dst.insert(dst.end(), samples.begin(), samples.end());
      }
      for (auto& [labels, histograms] : pending_histograms_) {
        auto& dst = parent_->committed_histograms[labels];
        dst.insert(dst.end(), histograms.begin(), histograms.end());
      }
      parent_->commits++;
      return Status::OK();
    }
    Status Rollback() override {
      pending_.clear();
      pending_histograms_.clear();
      pending_exemplars_.clear();
      parent_->rollbacks++;
      return Status::OK();
    }

   private:
    RecordingAppendable* parent_;
    std::map<Labels, std::vector<Sample>> pending_;
    std::map<Labels, std::vector<StoredHistogram>> pending_histograms_;
    std::map<Labels, std::vector<Exemplar>> pending_exemplars_;
  };
};

void AddSeries(prometheus::WriteRequest* req, std::vector<std::pair<std::string, std::string>> labels,
               std::vector<Sample> samples) {
  prometheus::TimeSeries* ts = req->add_timeseries();
  for (auto& [name, value] : labels) {
    prometheus::Label* l = ts->add_labels();
    l->set_name(name);
    l->set_value(value);
  }
  for (const Sample& s : samples) {
    prometheus::Sample* ps = ts->add_samples();
    ps->set_timestamp(s.t);
    ps->set_value(s.v);
  }
}

HttpRequest WriteRequestOf(const std::string& raw_body) {
  HttpRequest req;
  req.method = "POST";
  req.target = "/api/v1/write";
  req.headers = {{"Content-Type", "application/x-protobuf"}, {"Content-Encoding", "snappy"}};
  snappy::Compress(raw_body.data(), raw_body.size(), &req.body);
  return req;
}

HttpRequest WriteRequestOf(const prometheus::WriteRequest& wr) { return WriteRequestOf(wr.SerializeAsString()); }

class RemoteWriteTest : public ::testing::Test {
 protected:
  RemoteWriteTest() { deps_.remote_write_appendable = &storage_; }
  HttpResponse Do(const HttpRequest& req) { return ApiHandler(deps_).Handle(req); }

  RecordingAppendable storage_;
  ApiDeps deps_;
};

TEST_F(RemoteWriteTest, AppendsAllSeriesAndAnswers204) {
  prometheus::WriteRequest wr;
  AddSeries(&wr, {{"__name__", "rw_metric"}, {"job", "a"}}, {{1000, 1.5}, {2000, 2.5}});
  AddSeries(&wr, {{"__name__", "rw_metric"}, {"job", "b"}}, {{1000, 7}});
  wr.add_metadata()->set_metric_family_name("rw_metric");  // accepted and ignored
  HttpResponse r = Do(WriteRequestOf(wr));
  EXPECT_EQ(r.status, 204) << r.body;
  EXPECT_EQ(r.body, "");
  ASSERT_EQ(storage_.committed.size(), 2u);
  const auto& a = storage_.committed[Labels{{"__name__", "rw_metric"}, {"job", "a"}}];
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[1].t, 2000);
  EXPECT_EQ(a[1].v, 2.5);
  EXPECT_EQ(storage_.commits, 1);
}

TEST_F(RemoteWriteTest, DisabledReceiverIs404) {
  deps_.remote_write_appendable = nullptr;
  prometheus::WriteRequest wr;
  HttpResponse r = Do(WriteRequestOf(wr));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, "remote write receiver needs to be enabled with --web.enable-remote-write-receiver\n");
}

TEST_F(RemoteWriteTest, GetIsMethodNotAllowed) {
  HttpRequest req = WriteRequestOf(prometheus::WriteRequest());
  req.method = "GET";
  EXPECT_EQ(Do(req).status, 405);
}

TEST_F(RemoteWriteTest, BadSnappyIs400) {
  HttpRequest req = WriteRequestOf(prometheus::WriteRequest());
  req.body = "\xff\xff\xff\xff\xff this is not snappy";
  HttpResponse r = Do(req);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("snappy"), std::string::npos) << r.body;
  EXPECT_TRUE(storage_.committed.empty());
}

// A snappy bomb: a few bytes that declare 1 GiB of output. The declared
// length is checked against kMaxRemoteWriteDecodedBytes before anything is
// allocated, so the answer is a 400 naming the size.
TEST_F(RemoteWriteTest, SnappyBombIsRejectedByItsDeclaredLength) {
  HttpRequest req = WriteRequestOf(prometheus::WriteRequest());
  req.body = std::string("\x80\x80\x80\x80\x04", 5) + std::string(64, '\0');  // varint 1 << 30
  HttpResponse r = Do(req);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, "decompressed remote write request too large: 1073741824 bytes\n");
  EXPECT_TRUE(storage_.committed.empty());
  std::string at_limit;  // one byte past the limit is refused the same way
  for (uint64_t v = kMaxRemoteWriteDecodedBytes + 1; v != 0; v >>= 7) {
    at_limit.push_back(static_cast<char>((v & 0x7f) | (v >= 0x80 ? 0x80 : 0)));
  }
  req.body = at_limit + "\x00";
  EXPECT_EQ(Do(req).body, "decompressed remote write request too large: " +
                              std::to_string(kMaxRemoteWriteDecodedBytes + 1) + " bytes\n");
}

TEST_F(RemoteWriteTest, BadProtobufIs400) {
  HttpResponse r = Do(WriteRequestOf(std::string("\x0a\xff\xff\xff\x0f garbage", 14)));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("proto"), std::string::npos) << r.body;
  EXPECT_EQ(storage_.commits, 0);
}

TEST_F(RemoteWriteTest, InvalidLabelsRejectTheWholeRequest) {
  struct Case {
    std::vector<std::pair<std::string, std::string>> labels;
    std::string want;
  };
  std::vector<Case> cases = {
      {{{"job", "x"}}, "without metric name"},
      {{{"__name__", "m"}, {"job", "a"}, {"job", "b"}}, "duplicate label name"},
      {{{"job", "a"}, {"__name__", "m"}}, "not sorted"},
      {{{"__name__", "m"}, {"bad", "\xff\xfe"}}, "invalid label"},
  };
  for (const Case& c : cases) {
    prometheus::WriteRequest wr;
    AddSeries(&wr, {{"__name__", "good"}}, {{1000, 1}});  // valid, but must not be applied
    AddSeries(&wr, c.labels, {{1000, 1}});
    HttpResponse r = Do(WriteRequestOf(wr));
    EXPECT_EQ(r.status, 400) << c.want;
    EXPECT_NE(r.body.find(c.want), std::string::npos) << r.body;
  }
  EXPECT_TRUE(storage_.committed.empty());
  EXPECT_EQ(storage_.commits, 0);
}

TEST_F(RemoteWriteTest, OutOfOrderSampleIs400AndRollsBackTheBatch) {
  prometheus::WriteRequest first;
  AddSeries(&first, {{"__name__", "m"}}, {{5000, 1}});
  ASSERT_EQ(Do(WriteRequestOf(first)).status, 204);

  prometheus::WriteRequest second;
  AddSeries(&second, {{"__name__", "other"}}, {{1000, 1}});
  AddSeries(&second, {{"__name__", "m"}}, {{4000, 2}});
  HttpResponse r = Do(WriteRequestOf(second));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("out of order sample"), std::string::npos) << r.body;
  EXPECT_EQ(storage_.rollbacks, 1);
  EXPECT_EQ(storage_.committed.count(Labels{{"__name__", "other"}}), 0u);

  prometheus::WriteRequest dup;
  AddSeries(&dup, {{"__name__", "m"}}, {{5000, 3}});
  EXPECT_EQ(Do(WriteRequestOf(dup)).status, 400);
}

TEST_F(RemoteWriteTest, FarFutureSampleIsOutOfBounds) {
  prometheus::WriteRequest wr;
  int64_t far_future = int64_t{4102444800000};  // 2100-01-01
  AddSeries(&wr, {{"__name__", "m"}}, {{far_future, 1}});
  HttpResponse r = Do(WriteRequestOf(wr));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("too far in the future"), std::string::npos) << r.body;
  EXPECT_TRUE(storage_.committed.empty());
}

// An integer histogram (schema 0, buckets 1 and 2 of the positive side)
// with its protobuf message.
prometheus::Histogram IntHistogramMessage(int64_t t) {
  prometheus::Histogram h;
  h.set_count_int(5);
  h.set_sum(7.5);
  h.set_schema(0);
  h.set_zero_threshold(0.001);
  h.set_zero_count_int(1);
  prometheus::BucketSpan* span = h.add_positive_spans();
  span->set_offset(1);
  span->set_length(2);
  h.add_positive_deltas(3);
  h.add_positive_deltas(-2);  // absolute counts 3 and 1
  h.set_reset_hint(prometheus::Histogram::NO);
  h.set_timestamp(t);
  return h;
}

TEST_F(RemoteWriteTest, IntegerAndFloatHistogramsAreAppended) {
  prometheus::WriteRequest wr;
  AddSeries(&wr, {{"__name__", "h"}}, {});
  *wr.mutable_timeseries(0)->add_histograms() = IntHistogramMessage(1000);
  AddSeries(&wr, {{"__name__", "fh"}}, {});
  prometheus::Histogram* f = wr.mutable_timeseries(1)->add_histograms();
  f->set_count_float(2.5);
  f->set_sum(3);
  f->set_schema(-53);
  f->add_positive_spans()->set_length(2);
  f->add_positive_counts(1);
  f->add_positive_counts(1.5);
  f->add_custom_values(0.5);
  f->set_reset_hint(prometheus::Histogram::GAUGE);
  f->set_timestamp(2000);
  HttpResponse r = Do(WriteRequestOf(wr));
  ASSERT_EQ(r.status, 204) << r.body;

  const auto& hs = storage_.committed_histograms[Labels{{"__name__", "h"}}];
  ASSERT_EQ(hs.size(), 1u);
  EXPECT_EQ(hs[0].t, 1000);
  ASSERT_TRUE(hs[0].h.has_value());
  EXPECT_FALSE(hs[0].fh.has_value());
  EXPECT_EQ(hs[0].h->count, 5u);
  EXPECT_EQ(hs[0].h->sum, 7.5);
  EXPECT_EQ(hs[0].h->zero_count, 1u);
  EXPECT_EQ(hs[0].h->positive_spans, (std::vector<HistogramSpan>{{1, 2}}));
  EXPECT_EQ(hs[0].h->positive_buckets, (std::vector<int64_t>{3, -2}));
  EXPECT_EQ(hs[0].h->counter_reset_hint, CounterResetHint::kNotCounterReset);

  const auto& fhs = storage_.committed_histograms[Labels{{"__name__", "fh"}}];
  ASSERT_EQ(fhs.size(), 1u);
  ASSERT_TRUE(fhs[0].fh.has_value());
  EXPECT_EQ(fhs[0].fh->schema, -53);
  EXPECT_EQ(fhs[0].fh->count, 2.5);
  EXPECT_EQ(fhs[0].fh->positive_buckets, (std::vector<double>{1, 1.5}));
  EXPECT_EQ(fhs[0].fh->custom_values, (std::vector<double>{0.5}));
  EXPECT_EQ(fhs[0].fh->counter_reset_hint, CounterResetHint::kGauge);
}

// Prometheus answers an append error that is not out-of-order/bounds/
// duplicate/validation with 500; a storage without histograms must never
// look like success.
TEST_F(RemoteWriteTest, HistogramsIntoStorageWithoutHistogramsAre500) {
  storage_.histograms_supported = false;
  prometheus::WriteRequest wr;
  AddSeries(&wr, {{"__name__", "m"}}, {{500, 1}});
  AddSeries(&wr, {{"__name__", "h"}}, {});
  *wr.mutable_timeseries(1)->add_histograms() = IntHistogramMessage(1000);
  HttpResponse r = Do(WriteRequestOf(wr));
  EXPECT_EQ(r.status, 500);
  EXPECT_NE(r.body.find("unsupported: native histograms"), std::string::npos) << r.body;
  EXPECT_TRUE(storage_.committed.empty());  // the batch was rolled back
  EXPECT_EQ(storage_.rollbacks, 1);
}

TEST_F(RemoteWriteTest, InvalidHistogramIs400) {
  prometheus::WriteRequest wr;
  AddSeries(&wr, {{"__name__", "h"}}, {});
  prometheus::Histogram h = IntHistogramMessage(1000);
  h.add_positive_deltas(1);  // three buckets for spans covering two
  *wr.mutable_timeseries(0)->add_histograms() = h;
  HttpResponse r = Do(WriteRequestOf(wr));
  EXPECT_EQ(r.status, 400);
  // Prometheus's text (model/histogram: ErrHistogramSpansBucketsMismatch).
  EXPECT_NE(r.body.find("histogram spans specify different number of buckets than provided"), std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find("(series {__name__=\"h\"}, timestamp 1000)"), std::string::npos) << r.body;
  EXPECT_EQ(storage_.commits, 0);
}

// Prometheus's receiver reduces schemas 9..52 to 8 (remoteWriteAppender):
// at schema 9 buckets 1 and 2 both fall into bucket 1 of schema 8.
TEST_F(RemoteWriteTest, SchemasAboveEightAreReducedToEight) {
  prometheus::WriteRequest wr;
  AddSeries(&wr, {{"__name__", "h"}}, {});
  prometheus::Histogram h = IntHistogramMessage(1000);
  h.set_schema(9);
  h.set_zero_count_int(1);
  *wr.mutable_timeseries(0)->add_histograms() = h;
  ASSERT_EQ(Do(WriteRequestOf(wr)).status, 204);
  const auto& hs = storage_.committed_histograms[Labels{{"__name__", "h"}}];
  ASSERT_EQ(hs.size(), 1u);
  ASSERT_TRUE(hs[0].h.has_value());
  EXPECT_EQ(hs[0].h->schema, 8);
  EXPECT_EQ(hs[0].h->positive_spans, (std::vector<HistogramSpan>{{1, 1}}));
  EXPECT_EQ(hs[0].h->positive_buckets, (std::vector<int64_t>{4}));
}

TEST_F(RemoteWriteTest, UnknownProtobufMessageAndCompressionAre415) {
  HttpRequest other = WriteRequestOf(prometheus::WriteRequest());
  other.headers[0].second = "application/x-protobuf;proto=io.example.Other";
  EXPECT_EQ(Do(other).status, 415);
  HttpRequest gzip = WriteRequestOf(prometheus::WriteRequest());
  gzip.headers[1].second = "gzip";
  EXPECT_EQ(Do(gzip).status, 415);
  HttpRequest v1 = WriteRequestOf(prometheus::WriteRequest());
  v1.headers[0].second = "application/x-protobuf;proto=prometheus.WriteRequest";
  EXPECT_EQ(Do(v1).status, 204);
}

// ---- remote write 2.0 ----

using V2Request = io::prometheus::write::v2::Request;

// Adds a series whose labels are given as symbols (added to the table).
io::prometheus::write::v2::TimeSeries* AddV2Series(V2Request* req,
                                                   std::vector<std::pair<std::string, std::string>> labels) {
  if (req->symbols_size() == 0) req->add_symbols("");
  auto* ts = req->add_timeseries();
  for (auto& [name, value] : labels) {
    for (const std::string& text : {name, value}) {
      ts->add_labels_refs(static_cast<uint32_t>(req->symbols_size()));
      req->add_symbols(text);
    }
  }
  return ts;
}

HttpRequest V2WriteRequestOf(const V2Request& req) {
  HttpRequest http = WriteRequestOf(req.SerializeAsString());
  http.headers[0].second = "application/x-protobuf;proto=io.prometheus.write.v2.Request";
  return http;
}

TEST_F(RemoteWriteTest, V2AppendsSamplesAndHistogramsAndCountsThem) {
  V2Request req;
  auto* ts = AddV2Series(&req, {{"__name__", "m"}, {"job", "a"}});
  for (int64_t t : {1000, 2000}) {
    auto* s = ts->add_samples();
    s->set_timestamp(t);
    s->set_value(static_cast<double>(t) / 1000);
  }
  auto* hts = AddV2Series(&req, {{"__name__", "h"}});
  auto* h = hts->add_histograms();
  h->set_count_float(3);
  h->add_positive_spans()->set_length(1);
  h->add_positive_counts(3);
  h->set_timestamp(1500);
  ts->add_exemplars()->set_value(1);  // accepted, not stored
  HttpResponse r = Do(V2WriteRequestOf(req));
  ASSERT_EQ(r.status, 204) << r.body;
  EXPECT_EQ(FindHeader(r.headers, "X-Prometheus-Remote-Write-Samples-Written"), "2");
  EXPECT_EQ(FindHeader(r.headers, "X-Prometheus-Remote-Write-Histograms-Written"), "1");
  EXPECT_EQ(FindHeader(r.headers, "X-Prometheus-Remote-Write-Exemplars-Written"), "0");
  EXPECT_EQ((storage_.committed[Labels{{"__name__", "m"}, {"job", "a"}}].size()), 2u);
  const auto& hs = storage_.committed_histograms[Labels{{"__name__", "h"}}];
  ASSERT_EQ(hs.size(), 1u);
  ASSERT_TRUE(hs[0].fh.has_value());
  EXPECT_EQ(hs[0].fh->count, 3);
}

// 2.0 allows partial writes (Prometheus's writeV2): bad series are skipped
// with their error, the rest is committed, the answer is 400 with counts.
TEST_F(RemoteWriteTest, V2WritesTheGoodSeriesAndAnswers400ForTheBad) {
  prometheus::WriteRequest first;  // makes t=500 out of order for "late"
  AddSeries(&first, {{"__name__", "late"}}, {{5000, 1}});
  ASSERT_EQ(Do(WriteRequestOf(first)).status, 204);

  V2Request req;
  auto* good = AddV2Series(&req, {{"__name__", "good"}});
  good->add_samples()->set_timestamp(1000);
  auto* bad_ref = req.add_timeseries();
  bad_ref->add_labels_refs(1);
  bad_ref->add_labels_refs(999);
  bad_ref->add_samples()->set_timestamp(1000);
  AddV2Series(&req, {{"__name__", "empty"}});  // no samples
  auto* late = AddV2Series(&req, {{"__name__", "late"}});
  late->add_samples()->set_timestamp(500);
  late->add_samples()->set_timestamp(6000);
  auto* bad_hist = AddV2Series(&req, {{"__name__", "badh"}});
  auto* h = bad_hist->add_histograms();
  h->set_count_int(1);
  h->add_positive_spans()->set_length(2);
  h->add_positive_deltas(1);  // two buckets in the spans, one given
  h->set_timestamp(1000);

  HttpResponse r = Do(V2WriteRequestOf(req));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("parsing labels: label reference past the end"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("TimeSeries must contain at least one sample or histogram for series {__name__=\"empty\"}"),
            std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find("out of order sample"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("histogram spans specify different number of buckets than provided"), std::string::npos)
      << r.body;
  EXPECT_EQ(FindHeader(r.headers, "X-Prometheus-Remote-Write-Samples-Written"), "2");  // good, late@6000
  EXPECT_EQ(FindHeader(r.headers, "X-Prometheus-Remote-Write-Histograms-Written"), "0");
  EXPECT_EQ((storage_.committed[Labels{{"__name__", "good"}}].size()), 1u);
  EXPECT_EQ((storage_.committed[Labels{{"__name__", "late"}}].size()), 2u);  // 5000 and 6000
  EXPECT_EQ(storage_.committed_histograms.count(Labels{{"__name__", "badh"}}), 0u);
}

TEST_F(RemoteWriteTest, V2StorageErrorRollsEverythingBackWith500) {
  storage_.histograms_supported = false;
  V2Request req;
  AddV2Series(&req, {{"__name__", "m"}})->add_samples()->set_timestamp(1000);
  auto* h = AddV2Series(&req, {{"__name__", "h"}})->add_histograms();
  h->set_count_int(0);
  h->set_timestamp(1000);
  HttpResponse r = Do(V2WriteRequestOf(req));
  EXPECT_EQ(r.status, 500);
  EXPECT_NE(r.body.find("unsupported: native histograms"), std::string::npos) << r.body;
  EXPECT_TRUE(storage_.committed.empty());
  EXPECT_EQ(storage_.rollbacks, 1);
}

// ---- label length limits (ours; Prometheus's receiver has none) ----

TEST_F(RemoteWriteTest, OverlongLabelsAre400NamingTheSeries) {
  deps_.remote_write_limits.label_name_length_limit = 10;
  deps_.remote_write_limits.label_value_length_limit = 20;
  prometheus::WriteRequest long_value;
  AddSeries(&long_value, {{"__name__", "m"}, {"path", std::string(21, 'x')}}, {{1000, 1}});
  HttpResponse r = Do(WriteRequestOf(long_value));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body,
            "value of label \"path\" is 21 bytes long, above the limit of 20 "
            "(--web.remote-write-receiver.label-value-length-limit), in series {__name__=\"m\", path=\"" +
                std::string(21, 'x') + "\"}\n");

  prometheus::WriteRequest long_name;
  AddSeries(&long_name, {{"__name__", "m"}, {"abcdefghijk", "v"}}, {{1000, 1}});
  r = Do(WriteRequestOf(long_name));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("label name \"abcdefghijk\" is 11 bytes long, above the limit of 10"), std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find("in series {__name__=\"m\", abcdefghijk=\"v\"}"), std::string::npos) << r.body;

  prometheus::WriteRequest at_limit;  // exactly at both limits is fine
  AddSeries(&at_limit, {{"__name__", "m"}, {"abcdefghij", std::string(20, 'y')}}, {{1000, 1}});
  EXPECT_EQ(Do(WriteRequestOf(at_limit)).status, 204);
  EXPECT_EQ(storage_.committed.size(), 1u);

  V2Request v2;  // 2.0 refuses that series alone
  AddV2Series(&v2, {{"__name__", "m2"}, {"path", std::string(30, 'z')}})->add_samples()->set_timestamp(2000);
  AddV2Series(&v2, {{"__name__", "ok"}})->add_samples()->set_timestamp(2000);
  r = Do(V2WriteRequestOf(v2));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("label-value-length-limit), in series {__name__=\"m2\""), std::string::npos) << r.body;
  EXPECT_EQ(storage_.committed.count(Labels{{"__name__", "ok"}}), 1u);
}

TEST_F(RemoteWriteTest, DefaultLabelLimitsAndZeroDisables) {
  RemoteWriteLimits defaults;
  EXPECT_EQ(defaults.label_name_length_limit, 1024u);
  EXPECT_EQ(defaults.label_value_length_limit, 16384u);
  prometheus::WriteRequest wr;
  AddSeries(&wr, {{"__name__", "m"}, {"v", std::string(16385, 'x')}}, {{1000, 1}});
  HttpResponse r = Do(WriteRequestOf(wr));
  EXPECT_EQ(r.status, 400);
  // The series is named with its long value cut.
  EXPECT_NE(r.body.find("v=\"" + std::string(64, 'x') + "\"...}"), std::string::npos) << r.body.size();
  deps_.remote_write_limits = RemoteWriteLimits{0, 0};
  EXPECT_EQ(Do(WriteRequestOf(wr)).status, 204);
}

TEST_F(RemoteWriteTest, EmptyLabelValuesAreDropped) {
  prometheus::WriteRequest wr;
  AddSeries(&wr, {{"__name__", "m"}, {"empty", ""}, {"job", "j"}}, {{1000, 1}});
  ASSERT_EQ(Do(WriteRequestOf(wr)).status, 204);
  EXPECT_EQ(storage_.committed.count(Labels{{"__name__", "m"}, {"job", "j"}}), 1u);
}

// ---- exemplars (Prometheus's receiver with exemplar storage enabled) ----

void AddV1Exemplar(prometheus::TimeSeries* ts, std::string trace_id, double v, int64_t t) {
  prometheus::Exemplar* e = ts->add_exemplars();
  prometheus::Label* l = e->add_labels();
  l->set_name("trace_id");
  l->set_value(std::move(trace_id));
  e->set_value(v);
  e->set_timestamp(t);
}

constexpr int64_t kTestNowMs = 1'700'000'000'000;

TEST_F(RemoteWriteTest, V1ExemplarsAreAppendedToTheirSeries) {
  storage_.exemplars_supported = true;
  prometheus::WriteRequest wr;
  AddSeries(&wr, {{"__name__", "req_total"}, {"job", "a"}}, {{1000, 3}});
  prometheus::TimeSeries* ts = wr.mutable_timeseries(0);
  AddV1Exemplar(ts, "abc", 0.25, 900);
  AddV1Exemplar(ts, "def", 0.5, 1000);
  prometheus::Exemplar* two_labels = ts->add_exemplars();  // unsorted on the wire: sorted when stored
  for (auto [n, v] : {std::pair{"span_id", "s1"}, std::pair{"a", "x"}}) {
    prometheus::Label* l = two_labels->add_labels();
    l->set_name(n);
    l->set_value(v);
  }
  two_labels->set_value(1);
  two_labels->set_timestamp(1000);
  HttpResponse r = ServeRemoteWrite(&storage_, WriteRequestOf(wr), kTestNowMs);
  ASSERT_EQ(r.status, 204) << r.body;
  const auto& ex = storage_.committed_exemplars[Labels{{"__name__", "req_total"}, {"job", "a"}}];
  ASSERT_EQ(ex.size(), 3u);
  EXPECT_EQ(ex[0], (Exemplar{Labels{{"trace_id", "abc"}}, 0.25, 900}));
  EXPECT_EQ(ex[1], (Exemplar{Labels{{"trace_id", "def"}}, 0.5, 1000}));
  EXPECT_EQ(ex[2], (Exemplar{Labels{{"a", "x"}, {"span_id", "s1"}}, 1, 1000}));
}

// Prometheus's 1.0 handler only logs exemplar errors: the samples are
// committed and the answer stays 204.
TEST_F(RemoteWriteTest, V1ExemplarErrorsDoNotFailTheRequest) {
  storage_.exemplars_supported = true;
  prometheus::WriteRequest wr;
  AddSeries(&wr, {{"__name__", "m"}}, {{1000, 1}});
  prometheus::TimeSeries* ts = wr.mutable_timeseries(0);
  AddV1Exemplar(ts, "new", 1, 1000);
  AddV1Exemplar(ts, "old", 1, 500);                             // out of order
  AddV1Exemplar(ts, "future", 1, kTestNowMs + 11 * 60 * 1000);  // past the 10m bound
  HttpResponse r = ServeRemoteWrite(&storage_, WriteRequestOf(wr), kTestNowMs);
  ASSERT_EQ(r.status, 204) << r.body;
  EXPECT_EQ((storage_.committed[Labels{{"__name__", "m"}}].size()), 1u);
  const auto& ex = storage_.committed_exemplars[Labels{{"__name__", "m"}}];
  ASSERT_EQ(ex.size(), 1u);
  EXPECT_EQ(ex[0].labels, (Labels{{"trace_id", "new"}}));

  storage_.exemplars_supported = false;  // "unsupported: exemplar storage" is not fatal either
  prometheus::WriteRequest more;
  AddSeries(&more, {{"__name__", "m"}}, {{2000, 2}});
  AddV1Exemplar(more.mutable_timeseries(0), "x", 2, 2000);
  EXPECT_EQ(ServeRemoteWrite(&storage_, WriteRequestOf(more), kTestNowMs).status, 204);
  EXPECT_EQ((storage_.committed[Labels{{"__name__", "m"}}].size()), 2u);
}

io::prometheus::write::v2::Exemplar* AddV2Exemplar(V2Request* req, io::prometheus::write::v2::TimeSeries* ts,
                                                   const std::string& trace_id, double v, int64_t t) {
  auto* e = ts->add_exemplars();
  for (const std::string& text : {std::string("trace_id"), trace_id}) {
    e->add_labels_refs(static_cast<uint32_t>(req->symbols_size()));
    req->add_symbols(text);
  }
  e->set_value(v);
  e->set_timestamp(t);
  return e;
}

TEST_F(RemoteWriteTest, V2ExemplarsAreAppendedAndCountedInTheHeader) {
  storage_.exemplars_supported = true;
  V2Request req;
  auto* ts = AddV2Series(&req, {{"__name__", "m"}, {"job", "a"}});
  auto* s = ts->add_samples();
  s->set_timestamp(1000);
  s->set_value(1);
  AddV2Exemplar(&req, ts, "t1", 0.5, 900);
  AddV2Exemplar(&req, ts, "t2", 0.75, 1000);
  AddV2Exemplar(&req, ts, "t2", 0.75, 1000);  // the newest again: dropped quietly, counted as Prometheus does
  HttpResponse r = ServeRemoteWrite(&storage_, V2WriteRequestOf(req), kTestNowMs);
  ASSERT_EQ(r.status, 204) << r.body;
  EXPECT_EQ(FindHeader(r.headers, "X-Prometheus-Remote-Write-Samples-Written"), "1");
  EXPECT_EQ(FindHeader(r.headers, "X-Prometheus-Remote-Write-Exemplars-Written"), "3");
  const auto& ex = storage_.committed_exemplars[Labels{{"__name__", "m"}, {"job", "a"}}];
  ASSERT_EQ(ex.size(), 2u);
  EXPECT_EQ(ex[0], (Exemplar{Labels{{"trace_id", "t1"}}, 0.5, 900}));
  EXPECT_EQ(ex[1], (Exemplar{Labels{{"trace_id", "t2"}}, 0.75, 1000}));
}

// In 2.0 an out-of-order exemplar and unresolvable exemplar labels are
// reported (400) while everything else is committed; other exemplar
// refusals are only logged.
TEST_F(RemoteWriteTest, V2ExemplarErrorsAreReportedWithoutRollingBack) {
  storage_.exemplars_supported = true;
  V2Request req;
  auto* ts = AddV2Series(&req, {{"__name__", "m"}});
  auto* s = ts->add_samples();
  s->set_timestamp(1000);
  s->set_value(1);
  AddV2Exemplar(&req, ts, "ok", 1, 1000);
  AddV2Exemplar(&req, ts, "old", 1, 500);
  AddV2Exemplar(&req, ts, "bad", 1, 1000)->add_labels_refs(9999);  // an odd number of references
  AddV2Exemplar(&req, ts, "future", 1, kTestNowMs + 11 * 60 * 1000);
  HttpResponse r = ServeRemoteWrite(&storage_, V2WriteRequestOf(req), kTestNowMs);
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.body,
            "out of order exemplar for series {__name__=\"m\"}\n"
            "parsing exemplar for series {__name__=\"m\"}: odd number of label references\n");
  EXPECT_EQ(FindHeader(r.headers, "X-Prometheus-Remote-Write-Samples-Written"), "1");
  EXPECT_EQ(FindHeader(r.headers, "X-Prometheus-Remote-Write-Exemplars-Written"), "1");
  EXPECT_EQ((storage_.committed[Labels{{"__name__", "m"}}].size()), 1u);
  const auto& ex = storage_.committed_exemplars[Labels{{"__name__", "m"}}];
  ASSERT_EQ(ex.size(), 1u);
  EXPECT_EQ(ex[0].labels, (Labels{{"trace_id", "ok"}}));
}

}  // namespace
}  // namespace promethium::web
