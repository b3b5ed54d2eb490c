// Remote write receiver through ApiHandler::Handle, with WriteRequests built
// from the generated protobuf classes and a recording Appendable.
#include "web/remote/write_handler.h"

#include <gtest/gtest.h>
#include <snappy.h>

#include <map>
#include <mutex>

#include "remote/proto/remote.pb.h"
#include "tsdb/api/storage.h"
#include "web/api_handler.h"

namespace promethium::web {
namespace {

// Keeps committed samples per series; rejects samples not newer than the
// series' last committed or pending one (OutOfOrder / Duplicate).
class RecordingAppendable final : public Appendable {
 public:
  std::map<Labels, std::vector<Sample>> committed;
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
    Status Commit() override {
      for (auto& [labels, samples] : pending_) {
        auto& dst = parent_->committed[labels];
        dst.insert(dst.end(), samples.begin(), samples.end());
      }
      parent_->commits++;
      return Status::OK();
    }
    Status Rollback() override {
      pending_.clear();
      parent_->rollbacks++;
      return Status::OK();
    }

   private:
    RecordingAppendable* parent_;
    std::map<Labels, std::vector<Sample>> pending_;
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

TEST_F(RemoteWriteTest, HistogramsAndRemoteWrite2AreUnsupported) {
  prometheus::WriteRequest wr;
  AddSeries(&wr, {{"__name__", "h"}}, {});
  wr.mutable_timeseries(0)->add_histograms()->set_timestamp(1000);
  HttpResponse r = Do(WriteRequestOf(wr));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("unsupported: native histograms"), std::string::npos) << r.body;

  HttpRequest v2 = WriteRequestOf(prometheus::WriteRequest());
  v2.headers[0].second = "application/x-protobuf;proto=io.prometheus.write.v2.Request";
  EXPECT_EQ(Do(v2).status, 415);
  HttpRequest gzip = WriteRequestOf(prometheus::WriteRequest());
  gzip.headers[1].second = "gzip";
  EXPECT_EQ(Do(gzip).status, 415);
}

TEST_F(RemoteWriteTest, EmptyLabelValuesAreDropped) {
  prometheus::WriteRequest wr;
  AddSeries(&wr, {{"__name__", "m"}, {"empty", ""}, {"job", "j"}}, {{1000, 1}});
  ASSERT_EQ(Do(WriteRequestOf(wr)).status, 204);
  EXPECT_EQ(storage_.committed.count(Labels{{"__name__", "m"}, {"job", "j"}}), 1u);
}

}  // namespace
}  // namespace promethium::web
