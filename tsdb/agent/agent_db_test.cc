// AgentDB: appends become WAL records our readers decode, replay keeps refs,
// out-of-order rejection, truncation bounded by the remote write floor, and
// damaged or foreign WAL files.
#include "tsdb/agent/agent_db.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>

#include "tsdb/wal/checkpoint.h"
#include "tsdb/wal/record.h"
#include "tsdb/wal/segment.h"
#include "tsdb/wal/test_dir_for_test.h"
#include "tsdb/wal/wal_reader.h"

namespace promethium::tsdb::agent {
namespace {

constexpr int64_t kMinute = 60 * 1000;

class AgentDBTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = wal::TestDirForTest("promethium_agent_test_");
    EXPECT_TRUE(env_->RemoveDirRecursively(dir_).ok());
  }
  void TearDown() override {
    db_.reset();
    EXPECT_TRUE(env_->RemoveDirRecursively(dir_).ok());
  }

  AgentOptions Options() {
    AgentOptions o;
    o.start_truncation_thread = false;
    o.wal_segment_size = 4096;  // many small segments
    o.compression = wal::Compression::kNone;
    o.now_ms = [this] { return now_.load(); };
    o.segment_floor = [this]() -> std::optional<uint64_t> { return floor_; };
    return o;
  }
  void OpenDB() {
    db_.reset();
    Result<std::unique_ptr<AgentDB>> db = AgentDB::Open(env_, dir_, Options(), &registry_);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
  }
  static Labels Series(int i) { return Labels{{"__name__", "m"}, {"i", std::to_string(i)}}; }

  // Appends `n` series at time t in one commit; returns the refs.
  std::vector<SeriesRef> AppendAll(int n, int64_t t) {
    auto app = db_->NewAppender();
    std::vector<SeriesRef> refs;
    for (int i = 0; i < n; ++i) {
      Result<SeriesRef> r = app->Append(0, Series(i), t, i);
      EXPECT_TRUE(r.ok()) << r.status().ToString();
      refs.push_back(r.ok() ? *r : 0);
    }
    EXPECT_TRUE(app->Commit().ok());
    return refs;
  }

  struct WalContents {
    std::map<SeriesRef, Labels> series;
    std::vector<wal::RefSample> samples;
    std::vector<wal::RefExemplar> exemplars;
    std::vector<wal::RefHistogramSample> histograms;
    std::vector<wal::RefFloatHistogramSample> float_histograms;
  };
  WalContents ReadWal() {
    WalContents c;
    std::vector<wal::RefSeries> series;
    std::vector<wal::RefSample> samples;
    std::vector<wal::RefExemplar> exemplars;
    std::vector<wal::RefHistogramSample> histograms;
    std::vector<wal::RefFloatHistogramSample> float_histograms;
    auto r = wal::ReplayAndRepair(
        env_, dir_ + "/wal",
        [&](std::string_view rec) -> Status {
          PROMETHIUM_ASSIGN_OR_RETURN(wal::RecordType type, wal::PeekRecordType(rec));
          if (type == wal::RecordType::kSeries) {
            PROMETHIUM_RETURN_IF_ERROR(wal::DecodeSeries(rec, &series));
            for (auto& s : series) c.series[s.ref] = s.labels;
          } else if (type == wal::RecordType::kSamples) {
            PROMETHIUM_RETURN_IF_ERROR(wal::DecodeSamples(rec, &samples));
            c.samples.insert(c.samples.end(), samples.begin(), samples.end());
          } else if (type == wal::RecordType::kExemplars) {
            PROMETHIUM_RETURN_IF_ERROR(wal::DecodeExemplars(rec, &exemplars));
            c.exemplars.insert(c.exemplars.end(), exemplars.begin(), exemplars.end());
          } else if (type == wal::RecordType::kHistogramSamples) {
            PROMETHIUM_RETURN_IF_ERROR(wal::DecodeHistogramSamples(rec, &histograms));
            c.histograms.insert(c.histograms.end(), histograms.begin(), histograms.end());
          } else if (type == wal::RecordType::kFloatHistogramSamples) {
            PROMETHIUM_RETURN_IF_ERROR(wal::DecodeFloatHistogramSamples(rec, &float_histograms));
            c.float_histograms.insert(c.float_histograms.end(), float_histograms.begin(), float_histograms.end());
          }
          return Status::OK();
        },
        nullptr);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return c;
  }

  Env* env_ = Env::Default();
  std::string dir_;
  MetricsRegistry registry_;
  std::atomic<int64_t> now_{1'000'000'000};
  std::optional<uint64_t> floor_;
  std::unique_ptr<AgentDB> db_;
};

TEST_F(AgentDBTest, AppendsBecomeWalRecords) {
  OpenDB();
  std::vector<SeriesRef> refs = AppendAll(3, 1000);
  auto app = db_->NewAppender();
  ASSERT_TRUE(app->Append(refs[1], Labels(), 2000, 42).ok());
  Exemplar e{Labels{{"trace_id", "abc"}}, 1.5, 1999};
  ASSERT_TRUE(app->AppendExemplar(refs[1], Series(1), e).ok());
  ASSERT_TRUE(app->Commit().ok());
  ASSERT_TRUE(db_->Close().ok());

  WalContents c = ReadWal();
  ASSERT_EQ(c.series.size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(c.series[refs[i]], Series(i));
  ASSERT_EQ(c.samples.size(), 4u);
  EXPECT_EQ(c.samples[3].ref, refs[1]);
  EXPECT_EQ(c.samples[3].t, 2000);
  EXPECT_EQ(c.samples[3].v, 42);
  ASSERT_EQ(c.exemplars.size(), 1u);
  EXPECT_EQ(c.exemplars[0].labels, e.labels);
  EXPECT_EQ(c.exemplars[0].t, 1999);
}

// As Prometheus's agent appender: histograms are validated, checked for
// order like floats, logged as histogram records and replayed as samples.
TEST_F(AgentDBTest, HistogramsAreValidatedLoggedAndReplayed) {
  OpenDB();
  Histogram h;
  h.count = 3;
  h.sum = 1.5;
  h.positive_spans = {{0, 2}};
  h.positive_buckets = {1, 1};  // absolute 1, 2
  FloatHistogram fh;
  fh.schema = kCustomBucketsSchema;
  fh.count = 2;
  fh.positive_spans = {{0, 1}};
  fh.positive_buckets = {2};
  fh.custom_values = {1};
  auto app = db_->NewAppender();
  Result<SeriesRef> ref = app->AppendHistogram(0, Series(0), 1000, &h, nullptr);
  ASSERT_TRUE(ref.ok()) << ref.status().ToString();
  Result<SeriesRef> fref = app->AppendHistogram(0, Series(1), 1500, nullptr, &fh);
  ASSERT_TRUE(fref.ok()) << fref.status().ToString();
  Histogram bad = h;
  bad.positive_buckets = {1};  // the spans say 2 buckets
  EXPECT_FALSE(app->AppendHistogram(0, Series(2), 1000, &bad, nullptr).ok());
  EXPECT_EQ(app->AppendHistogram(0, Series(2), 1000, nullptr, nullptr).status().code(), Status::Code::kInvalidArgument);
  ASSERT_TRUE(app->Commit().ok());
  EXPECT_EQ(registry_.GetCounter("prometheus_agent_samples_appended_total", "", {{"type", "histogram"}})->Value(), 2);

  OpenDB();  // replay: the histogram timestamps hold
  auto again = db_->NewAppender();
  EXPECT_EQ(again->AppendHistogram(*ref, Labels(), 999, &h, nullptr).status().code(), Status::Code::kOutOfOrder);
  EXPECT_EQ(again->Append(*fref, Labels(), 1400, 1).status().code(), Status::Code::kOutOfOrder);
  ASSERT_TRUE(again->Rollback().ok());
  ASSERT_TRUE(db_->Close().ok());

  WalContents c = ReadWal();
  EXPECT_EQ(c.series.size(), 2u);  // the invalid histogram created no series
  ASSERT_EQ(c.histograms.size(), 1u);
  EXPECT_EQ(c.histograms[0].ref, *ref);
  EXPECT_EQ(c.histograms[0].t, 1000);
  EXPECT_EQ(c.histograms[0].h.positive_buckets, (std::vector<int64_t>{1, 1}));
  ASSERT_EQ(c.float_histograms.size(), 1u);
  EXPECT_EQ(c.float_histograms[0].ref, *fref);
  EXPECT_EQ(c.float_histograms[0].fh.custom_values, (std::vector<double>{1}));
}

TEST_F(AgentDBTest, ReplayKeepsRefsAndTimestamps) {
  OpenDB();
  std::vector<SeriesRef> refs = AppendAll(50, 1000);
  OpenDB();  // reopen: replay
  EXPECT_EQ(db_->NumSeries(), 50u);
  auto app = db_->NewAppender();
  for (int i = 0; i < 50; ++i) {
    Result<SeriesRef> r = app->Append(0, Series(i), 2000, 1);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, refs[i]);
  }
  // The replayed newest timestamp still rejects older samples.
  EXPECT_EQ(app->Append(refs[0], Labels(), 999, 1).status().code(), Status::Code::kOutOfOrder);
  // A new series gets a ref above every replayed one.
  Result<SeriesRef> fresh = app->Append(0, Series(1000), 2000, 1);
  ASSERT_TRUE(fresh.ok());
  EXPECT_GT(*fresh, *std::max_element(refs.begin(), refs.end()));
  ASSERT_TRUE(app->Commit().ok());
}

TEST_F(AgentDBTest, RejectsOutOfOrderAndDuplicateTimestamps) {
  OpenDB();
  std::vector<SeriesRef> refs = AppendAll(1, 5000);
  auto app = db_->NewAppender();
  EXPECT_EQ(app->Append(refs[0], Labels(), 4000, 1).status().code(), Status::Code::kOutOfOrder);
  EXPECT_EQ(app->Append(refs[0], Labels(), 5000, 1).status().code(), Status::Code::kOutOfOrder);
  EXPECT_TRUE(app->Append(refs[0], Labels(), 5001, 1).ok());
  EXPECT_EQ(app->Append(987654, Labels(), 6000, 1).status().code(), Status::Code::kNotFound);
  EXPECT_EQ(app->Append(0, Labels(), 6000, 1).status().code(), Status::Code::kInvalidArgument);
  ASSERT_TRUE(app->Commit().ok());
  EXPECT_FALSE(db_->NewQuerier(0, 1).ok());
}

TEST_F(AgentDBTest, RollbackStillLogsNewSeries) {
  OpenDB();
  auto app = db_->NewAppender();
  Result<SeriesRef> r = app->Append(0, Series(7), 1000, 1);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(app->Rollback().ok());
  ASSERT_TRUE(db_->Close().ok());
  WalContents c = ReadWal();
  EXPECT_EQ(c.series.size(), 1u);
  EXPECT_TRUE(c.samples.empty());
}

// Writes enough batches to fill many segments; returns the last timestamp.
int64_t FillSegments(AgentDB* db, int batches, int64_t t0) {
  int64_t t = t0;
  for (int b = 0; b < batches; ++b, t += 1000) {
    auto app = db->NewAppender();
    for (int i = 0; i < 20; ++i)
      EXPECT_TRUE(app->Append(0, Labels{{"__name__", "m"}, {"i", std::to_string(i)}}, t, b).ok());
    EXPECT_TRUE(app->Commit().ok());
  }
  return t;
}

TEST_F(AgentDBTest, TruncationHonoursTheAcknowledgedFloor) {
  OpenDB();
  now_ = 10 * 3600 * 1000LL;
  FillSegments(db_.get(), 200, now_ - kMinute);  // recent data: still active series
  auto range = wal::SegmentRange(env_, dir_ + "/wal");
  ASSERT_TRUE(range.ok());
  ASSERT_GE(range->second, 10u);
  floor_ = 4;  // the slowest queue acknowledged up to segment 4
  Result<TruncateOutcome> out = db_->Truncate();
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_TRUE(out->checkpointed);
  EXPECT_EQ(out->checkpoint_last, 3u);
  // Every segment at and above the floor is still there.
  auto after = wal::SegmentRange(env_, dir_ + "/wal");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->first, 4u);
  auto cp = wal::LastCheckpoint(env_, dir_ + "/wal");
  ASSERT_TRUE(cp.ok());
  ASSERT_TRUE(cp->has_value());
  EXPECT_EQ(**cp, 3u);
  // The checkpoint holds the live series: a reader of it plus the
  // remaining segments knows every series a sample refers to.
  ASSERT_TRUE(db_->Close().ok());
  WalContents c = ReadWal();
  EXPECT_EQ(c.series.size(), 20u);
  for (const auto& s : c.samples) EXPECT_TRUE(c.series.contains(s.ref));
  OpenDB();
  EXPECT_EQ(db_->NumSeries(), 20u);
}

TEST_F(AgentDBTest, FloorZeroKeepsEverythingUntilMaxTime) {
  OpenDB();
  now_ = 10 * 3600 * 1000LL;
  FillSegments(db_.get(), 200, now_ - 2 * kMinute);
  floor_ = 0;  // a queue that acknowledged nothing
  Result<TruncateOutcome> out = db_->Truncate();
  ASSERT_TRUE(out.ok());
  EXPECT_FALSE(out->checkpointed);
  EXPECT_EQ(wal::SegmentRange(env_, dir_ + "/wal")->first, 0u);
  // Five hours later the data is past --storage.agent.retention.max-time
  // (4h): the stuck queue no longer holds the WAL.
  now_ += 5 * 3600 * 1000LL;
  out = db_->Truncate();
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE(out->checkpointed);
  EXPECT_GT(wal::SegmentRange(env_, dir_ + "/wal")->first, 0u);
  EXPECT_EQ(out->gc_series, 20u);  // no sample in 5h: dropped
  EXPECT_EQ(db_->NumSeries(), 0u);
}

TEST_F(AgentDBTest, NoQueueKeepsMinTime) {
  floor_.reset();
  OpenDB();
  now_ = 10 * 3600 * 1000LL;
  FillSegments(db_.get(), 200, now_ - kMinute);
  Result<TruncateOutcome> out = db_->Truncate();
  ASSERT_TRUE(out.ok());
  EXPECT_FALSE(out->checkpointed);  // everything is newer than min-time (5m)
  now_ += 10 * kMinute;
  out = db_->Truncate();
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(out->checkpointed);
  EXPECT_FALSE(out->floor_used.has_value());
}

TEST_F(AgentDBTest, TornTailIsRepairedAndCounted) {
  OpenDB();
  AppendAll(5, 1000);
  AppendAll(5, 2000);
  ASSERT_TRUE(db_->Close().ok());
  db_.reset();
  const std::string seg = wal::SegmentPath(dir_ + "/wal", 0);
  auto size = env_->GetFileSize(seg);
  ASSERT_TRUE(size.ok());
  ASSERT_TRUE(env_->TruncateFile(seg, *size - 3).ok());  // torn last frame
  OpenDB();
  EXPECT_EQ(db_->NumSeries(), 5u);
  EXPECT_NE(registry_.RenderText().find("prometheus_agent_corruptions_total 1"), std::string::npos);
  // Appending continues and the repaired WAL reads cleanly.
  auto app = db_->NewAppender();
  ASSERT_TRUE(app->Append(0, Series(0), 3000, 1).ok());
  ASSERT_TRUE(app->Commit().ok());
}

TEST_F(AgentDBTest, ForeignSegmentStopsStartUntouched) {
  ASSERT_TRUE(env_->CreateDirs(dir_ + "/wal").ok());
  const std::string seg = wal::SegmentPath(dir_ + "/wal", 0);
  {
    auto f = env_->NewWritableFile(seg);
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->Append(std::string(64, '\x7f')).ok());
    ASSERT_TRUE((*f)->Close().ok());
  }
  Result<std::unique_ptr<AgentDB>> db = AgentDB::Open(env_, dir_, Options(), &registry_);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_EQ(*env_->GetFileSize(seg), 64u);
}

TEST_F(AgentDBTest, LockfileRefusesASecondOpen) {
  OpenDB();
  Result<std::unique_ptr<AgentDB>> second = AgentDB::Open(env_, dir_, Options(), nullptr);
  EXPECT_FALSE(second.ok());
  EXPECT_TRUE(env_->FileExists(dir_ + "/lock"));
}

TEST_F(AgentDBTest, SelfMetricsUsePrometheusNames) {
  OpenDB();
  AppendAll(2, 1000);
  const std::string text = registry_.RenderText();
  EXPECT_NE(text.find("prometheus_agent_active_series 2"), std::string::npos);
  EXPECT_NE(text.find("prometheus_agent_samples_appended_total{type=\"float\"} 2"), std::string::npos);
  EXPECT_NE(text.find("prometheus_agent_truncate_duration_seconds"), std::string::npos);
}

}  // namespace
}  // namespace promethium::tsdb::agent
