// WalWatcher over a real WAL written by tsdb::wal::Wal (plain and
// compressed): delivery in order with positions, tailing, rollover, torn
// live tails, checkpoints mid-run, resuming from a persisted position,
// foreign position files, and the retention floor.
#include "remote/write/wal_watcher.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "tsdb/wal/checkpoint.h"
#include "tsdb/wal/compression.h"
#include "tsdb/wal/record.h"
#include "tsdb/wal/segment.h"
#include "tsdb/wal/test_dir_for_test.h"
#include "tsdb/wal/wal.h"

namespace promethium::remote {
namespace {

namespace wal = tsdb::wal;
using std::chrono::milliseconds;

// Records what the watcher hands over; acknowledges on request.
class FakeConsumer final : public WalConsumer {
 public:
  struct Sent {
    wal::RefSample sample;
    WalPosition end;
  };
  void StoreSeries(std::span<const wal::RefSeries> series, uint64_t segment) override {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& s : series) {
      series_[s.ref] = s.labels;
      series_segment_[s.ref] = segment;
      stored_from_segment_[segment]++;
    }
    cv_.notify_all();
  }
  bool Append(std::span<const wal::RefSample> samples, WalPosition end) override {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& s : samples) {
      EXPECT_TRUE(series_.contains(s.ref)) << "sample of unknown series " << s.ref;
      sent_.push_back(Sent{s, end});
    }
    cv_.notify_all();
    return true;
  }
  bool AppendExemplars(std::span<const wal::RefExemplar> exemplars, WalPosition) override {
    std::lock_guard<std::mutex> lock(mu_);
    exemplars_ += exemplars.size();
    cv_.notify_all();
    return true;
  }
  bool AppendHistograms(std::span<const wal::RefHistogramSample> histograms, WalPosition end) override {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& h : histograms)
      histograms_.push_back(fmt::format("h ref={} t={} count={}", h.ref, h.t, h.h.count));
    histogram_ends_.push_back(end);
    cv_.notify_all();
    return true;
  }
  bool AppendFloatHistograms(std::span<const wal::RefFloatHistogramSample> histograms, WalPosition end) override {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& h : histograms) {
      histograms_.push_back(
          fmt::format("fh ref={} t={} count={} cv={}", h.ref, h.t, h.fh.count, h.fh.custom_values.size()));
    }
    histogram_ends_.push_back(end);
    cv_.notify_all();
    return true;
  }
  void SeriesReset(uint64_t segment) override {
    std::lock_guard<std::mutex> lock(mu_);
    resets_.push_back(segment);
    std::erase_if(series_segment_, [&](const auto& kv) { return kv.second < segment; });
    cv_.notify_all();
  }
  WalPosition AcknowledgedPosition() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return acked_;
  }

  // Acknowledges everything sent so far.
  void AckAll() {
    std::lock_guard<std::mutex> lock(mu_);
    if (!sent_.empty()) acked_ = sent_.back().end;
  }
  // Waits (bounded) until pred() holds under the lock.
  bool WaitFor(const std::function<bool()>& pred) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(30), pred);
  }
  size_t SentCount() {
    std::lock_guard<std::mutex> lock(mu_);
    return sent_.size();
  }

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<SeriesRef, Labels> series_;
  std::map<SeriesRef, uint64_t> series_segment_;
  std::map<uint64_t, size_t> stored_from_segment_;
  std::vector<Sent> sent_;
  std::vector<uint64_t> resets_;
  size_t exemplars_ = 0;
  std::vector<std::string> histograms_;  // in the order handed over
  std::vector<WalPosition> histogram_ends_;
  WalPosition acked_;
};

class WalWatcherTest : public ::testing::TestWithParam<wal::Compression> {
 protected:
  void SetUp() override {
    root_ = wal::TestDirForTest("promethium_wal_watcher_");
    EXPECT_TRUE(env_->RemoveDirRecursively(root_).ok());
    wal_dir_ = root_ + "/wal";
    pos_dir_ = root_ + "/remote_write";
  }
  void TearDown() override { EXPECT_TRUE(env_->RemoveDirRecursively(root_).ok()); }

  std::unique_ptr<wal::Wal> OpenWal(uint64_t first_segment, uint64_t segment_size = 4096) {
    wal::WalOptions opts;
    opts.segment_size = segment_size;
    opts.compression = GetParam();
    auto w = wal::Wal::Open(env_, wal_dir_, opts, nullptr, first_segment);
    EXPECT_TRUE(w.ok()) << w.status().ToString();
    return w.ok() ? std::move(*w) : nullptr;
  }
  // One commit: a series record for `new_series` refs (if any) and samples of
  // refs [1, series] at time t with value t + ref.
  static void Commit(wal::Wal* w, const std::vector<SeriesRef>& new_series, SeriesRef series, int64_t t) {
    std::string series_rec, samples_rec;
    std::vector<std::string_view> recs;
    if (!new_series.empty()) {
      std::vector<wal::RefSeries> rs;
      for (SeriesRef r : new_series) {
        const std::string id = std::to_string(r);
        rs.push_back({r, Labels{{"__name__", "m"}, {"id", id}}});
      }
      wal::EncodeSeries(rs, &series_rec);
      recs.push_back(series_rec);
    }
    std::vector<wal::RefSample> ss;
    for (SeriesRef r = 1; r <= series; ++r) ss.push_back({r, t, static_cast<double>(t + static_cast<int64_t>(r))});
    wal::EncodeSamples(ss, &samples_rec);
    recs.push_back(samples_rec);
    ASSERT_TRUE(w->Log(recs).ok());
  }
  WalWatcherOptions Options() {
    WalWatcherOptions o;
    o.wal_dir = wal_dir_;
    o.queue_name = "q";
    o.position_dir = pos_dir_;
    o.position_key = "q http://receiver/api/v1/write";
    o.poll_interval_ms = 5;
    o.max_poll_interval_ms = 20;
    o.persist_interval_ms = 20;
    o.checkpoint_check_interval_ms = 20;
    return o;
  }
  // Every sample i in order: times t0.., `series` samples each, positions
  // never decreasing.
  static void ExpectSamplesInOrder(const FakeConsumer& c, int64_t t0, int64_t commits, SeriesRef series) {
    ASSERT_EQ(c.sent_.size(), static_cast<size_t>(commits) * series);
    WalPosition prev;
    for (size_t i = 0; i < c.sent_.size(); ++i) {
      const auto& s = c.sent_[i];
      const int64_t t = t0 + static_cast<int64_t>(i / series);
      ASSERT_EQ(s.sample.t, t) << i;
      ASSERT_EQ(s.sample.ref, i % series + 1) << i;
      ASSERT_EQ(s.sample.v, static_cast<double>(t + static_cast<int64_t>(s.sample.ref)));
      ASSERT_FALSE(s.end < prev) << i;
      prev = s.end;
    }
  }

  Env* env_ = Env::Default();
  std::string root_, wal_dir_, pos_dir_;
};

TEST_P(WalWatcherTest, TailsLiveWritesAcrossSegmentsInOrder) {
  auto w = OpenWal(0);
  FakeConsumer c;
  WalWatcher watcher(env_, Options(), &c, nullptr);
  ASSERT_TRUE(watcher.Start().ok());
  EXPECT_EQ(watcher.SendFrom(), (WalPosition{0, 0}));  // first start: the live segment
  constexpr SeriesRef kSeries = 20;
  constexpr int64_t kCommits = 300;
  for (int64_t t = 0; t < kCommits; ++t) {
    std::vector<SeriesRef> fresh;
    if (t == 0) {
      for (SeriesRef r = 1; r <= kSeries; ++r) fresh.push_back(r);
    }
    Commit(w.get(), fresh, kSeries, t);
  }
  ASSERT_GT(w->CurrentSegment(), 3u);  // it rolled over several times
  ASSERT_TRUE(c.WaitFor([&] { return c.sent_.size() == kCommits * kSeries; }));
  watcher.Stop();
  std::lock_guard<std::mutex> lock(c.mu_);
  ExpectSamplesInOrder(c, 0, kCommits, kSeries);
  EXPECT_EQ(c.series_.size(), kSeries);
  EXPECT_EQ(c.sent_.back().end.segment, w->CurrentSegment());
}

TEST_P(WalWatcherTest, HandsHistogramRecordsOverInWalOrder) {
  auto w = OpenWal(0);
  FakeConsumer c;
  WalWatcher watcher(env_, Options(), &c, nullptr);
  ASSERT_TRUE(watcher.Start().ok());
  Commit(w.get(), {1, 2}, 2, 100);
  Histogram h;
  h.count = 3;
  h.positive_spans = {{0, 1}};
  h.positive_buckets = {3};
  FloatHistogram fh;
  fh.schema = kCustomBucketsSchema;
  fh.count = 2.5;
  fh.positive_spans = {{0, 1}};
  fh.positive_buckets = {2.5};
  fh.custom_values = {1, 2};
  std::string hrec, frec;
  const std::vector<wal::RefHistogramSample> hs = {{1, 200, h}, {2, 201, h}};
  wal::EncodeHistogramSamples(hs, &hrec);
  const wal::RefFloatHistogramSample f{2, 300, fh};
  wal::EncodeFloatHistogramSamples({&f, 1}, &frec);
  const std::vector<std::string_view> recs = {hrec, frec};
  ASSERT_TRUE(w->Log(recs).ok());
  Commit(w.get(), {}, 2, 400);
  ASSERT_TRUE(c.WaitFor([&] { return c.sent_.size() == 4 && c.histograms_.size() == 3; }));
  watcher.Stop();
  std::lock_guard<std::mutex> lock(c.mu_);
  EXPECT_EQ(c.histograms_, (std::vector<std::string>{"h ref=1 t=200 count=3", "h ref=2 t=201 count=3",
                                                     "fh ref=2 t=300 count=2.5 cv=2"}));
  // Positions follow WAL order: after the first samples, before the last.
  ASSERT_EQ(c.histogram_ends_.size(), 2u);
  EXPECT_TRUE(c.sent_[1].end < c.histogram_ends_[0]);
  EXPECT_TRUE(c.histogram_ends_[0] < c.histogram_ends_[1]);
  EXPECT_TRUE(c.histogram_ends_[1] < c.sent_[2].end);
}

TEST_P(WalWatcherTest, TornLiveTailWaitsThenNextSegmentMovesOn) {
  auto w = OpenWal(0);
  Commit(w.get(), {1}, 1, 10);
  ASSERT_TRUE(w->Close().ok());
  // A half-written frame at the end of segment 0, as a crash mid-append leaves.
  std::string torn;
  wal::AppendFrame("\x02 a record never finished", &torn);
  {
    auto f = env_->NewAppendableFile(wal::SegmentPath(wal_dir_, 0));
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->Append(torn.substr(0, torn.size() - 5)).ok());
    ASSERT_TRUE((*f)->Close().ok());
  }
  FakeConsumer c;
  WalWatcher watcher(env_, Options(), &c, nullptr);
  ASSERT_TRUE(watcher.Start().ok());
  ASSERT_TRUE(c.WaitFor([&] { return c.sent_.size() == 1; }));
  // The watcher waits on the torn tail without failing; then segment 1 appears.
  auto w2 = OpenWal(1);
  Commit(w2.get(), {2}, 2, 11);
  ASSERT_TRUE(c.WaitFor([&] { return c.sent_.size() == 3; }));
  watcher.Stop();
  EXPECT_EQ(c.sent_[2].end.segment, 1u);
}

TEST_P(WalWatcherTest, RolledBackBatchIsReadAgainFromWhereTheWriterContinues) {
  // The Wal truncates a segment back when a batch's write or sync fails
  // (wal.h); the next batch is written at the truncated size.
  const auto frame = [&](const std::vector<SeriesRef>& fresh, int64_t t) {
    std::string series_rec, samples_rec, payload, out;
    if (!fresh.empty()) {
      std::vector<wal::RefSeries> rs;
      for (SeriesRef r : fresh) rs.push_back({r, Labels{{"__name__", "m"}, {"id", std::to_string(r)}}});
      wal::EncodeSeries(rs, &series_rec);
      wal::CompressRecord(GetParam(), series_rec, &payload);
      wal::AppendFrame(payload, &out);
    }
    std::vector<wal::RefSample> ss = {{1, t, static_cast<double>(t)}};
    wal::EncodeSamples(ss, &samples_rec);
    wal::CompressRecord(GetParam(), samples_rec, &payload);
    wal::AppendFrame(payload, &out);
    return out;
  };
  const std::string path = wal::SegmentPath(wal_dir_, 0);
  ASSERT_TRUE(env_->CreateDirs(wal_dir_).ok());
  const std::string kept = wal::SegmentHeader() + frame({1}, 1);
  ASSERT_TRUE(WriteFileAtomically(env_, path, kept + frame({}, 2)).ok());
  FakeConsumer c;
  WalWatcher watcher(env_, Options(), &c, nullptr);
  ASSERT_TRUE(watcher.Start().ok());
  ASSERT_TRUE(c.WaitFor([&] { return c.sent_.size() == 2; }));
  ASSERT_TRUE(env_->TruncateFile(path, kept.size()).ok());  // batch t=2 rolled back
  bool rewound = false;
  for (int i = 0; i < 3000 && !rewound; ++i) {
    rewound = watcher.ReadPosition() == WalPosition{0, kept.size()};
    if (!rewound) std::this_thread::sleep_for(milliseconds(10));
  }
  ASSERT_TRUE(rewound);
  {
    auto f = env_->NewAppendableFile(path);
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->Append(frame({}, 3)).ok());
    ASSERT_TRUE((*f)->Close().ok());
  }
  ASSERT_TRUE(c.WaitFor([&] { return c.sent_.size() == 3; }));
  watcher.Stop();
  EXPECT_EQ(c.sent_[2].sample.t, 3);
  EXPECT_EQ(c.sent_[2].end.offset, kept.size() + frame({}, 3).size());
}

TEST_P(WalWatcherTest, FirstStartSendsOnlyFromTheLiveSegmentButKnowsAllSeries) {
  {
    auto old = OpenWal(0);
    for (int64_t t = 0; t < 50; ++t)
      Commit(old.get(), t == 0 ? std::vector<SeriesRef>{1, 2, 3} : std::vector<SeriesRef>{}, 3, t);
    ASSERT_TRUE(old->Close().ok());
  }
  auto segments = wal::ListSegments(env_, wal_dir_);
  ASSERT_TRUE(segments.ok());
  const uint64_t live = segments->back() + 1;
  auto w = OpenWal(live);
  FakeConsumer c;
  WalWatcher watcher(env_, Options(), &c, nullptr);
  ASSERT_TRUE(watcher.Start().ok());
  EXPECT_EQ(watcher.SendFrom(), (WalPosition{live, 0}));
  Commit(w.get(), {}, 3, 100);
  ASSERT_TRUE(c.WaitFor([&] { return c.sent_.size() == 3; }));
  watcher.Stop();
  EXPECT_EQ(c.sent_[0].sample.t, 100);
  EXPECT_EQ(c.series_.size(), 3u);  // series records of older segments were read
}

TEST_P(WalWatcherTest, RestartResumesAfterThePersistedPosition) {
  auto w = OpenWal(0);
  WalPosition acked;
  {
    FakeConsumer c;
    WalWatcher watcher(env_, Options(), &c, nullptr);
    ASSERT_TRUE(watcher.Start().ok());
    for (int64_t t = 0; t < 100; ++t)
      Commit(w.get(), t == 0 ? std::vector<SeriesRef>{1, 2} : std::vector<SeriesRef>{}, 2, t);
    ASSERT_TRUE(c.WaitFor([&] { return c.sent_.size() == 200; }));
    // Only the first 60 commits were acknowledged when the process stopped.
    {
      std::lock_guard<std::mutex> lock(c.mu_);
      c.acked_ = c.sent_[119].end;
      acked = c.acked_;
    }
    watcher.Stop();
  }
  for (int64_t t = 100; t < 150; ++t) Commit(w.get(), {}, 2, t);
  FakeConsumer c;
  WalWatcher watcher(env_, Options(), &c, nullptr);
  ASSERT_TRUE(watcher.Start().ok());
  EXPECT_EQ(watcher.SendFrom(), acked);
  ASSERT_TRUE(c.WaitFor([&] { return c.sent_.size() == 180; }));
  watcher.Stop();
  std::lock_guard<std::mutex> lock(c.mu_);
  ExpectSamplesInOrder(c, 60, 90, 2);  // nothing at or before the acknowledged record
  EXPECT_EQ(c.series_.size(), 2u);
}

TEST_P(WalWatcherTest, PositionIsPersistedPeriodicallyWhileRunning) {
  auto w = OpenWal(0);
  FakeConsumer c;
  WalWatcher watcher(env_, Options(), &c, nullptr);
  ASSERT_TRUE(watcher.Start().ok());
  Commit(w.get(), {1}, 1, 5);
  ASSERT_TRUE(c.WaitFor([&] { return c.sent_.size() == 1; }));
  c.AckAll();
  SendPositionFile file(env_, pos_dir_, Options().position_key);
  const WalPosition want = c.AcknowledgedPosition();
  bool seen = false;
  for (int i = 0; i < 3000 && !seen; ++i) {  // the persister saves it without a Stop (as before a SIGKILL)
    auto loaded = file.Load();
    seen = loaded.ok() && loaded->kind == LoadedPosition::Kind::kOk && loaded->position == want;
    if (!seen) std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_TRUE(seen);
  watcher.Stop();
}

TEST_P(WalWatcherTest, ForeignPositionFileIsIgnoredAndLeftInPlace) {
  auto w = OpenWal(0);
  Commit(w.get(), {1}, 1, 1);
  ASSERT_TRUE(w->CutSegment().ok());
  SendPositionFile file(env_, pos_dir_, Options().position_key);
  ASSERT_TRUE(env_->CreateDirs(pos_dir_).ok());
  ASSERT_TRUE(WriteFileAtomically(env_, file.path(), "not a position\n").ok());
  FakeConsumer c;
  WalWatcher watcher(env_, Options(), &c, nullptr);
  ASSERT_TRUE(watcher.Start().ok());
  EXPECT_EQ(watcher.SendFrom(), (WalPosition{1, 0}));  // as a first start
  Commit(w.get(), {}, 1, 2);
  ASSERT_TRUE(c.WaitFor([&] { return c.sent_.size() == 1; }));
  c.AckAll();
  watcher.Stop();
  EXPECT_EQ(*ReadFileToString(env_, file.path()), "not a position\n");
}

TEST_P(WalWatcherTest, DamagedPositionFileOfOursIsIgnoredThenReplaced) {
  auto w = OpenWal(0);
  Commit(w.get(), {1}, 1, 1);
  ASSERT_TRUE(w->CutSegment().ok());
  SendPositionFile file(env_, pos_dir_, Options().position_key);
  std::string bytes = SendPositionFile::Encode(Options().position_key, WalPosition{0, 8});
  bytes.back() ^= 0x7f;
  ASSERT_TRUE(env_->CreateDirs(pos_dir_).ok());
  ASSERT_TRUE(WriteFileAtomically(env_, file.path(), bytes).ok());
  FakeConsumer c;
  WalWatcher watcher(env_, Options(), &c, nullptr);
  ASSERT_TRUE(watcher.Start().ok());
  EXPECT_EQ(watcher.SendFrom(), (WalPosition{1, 0}));
  watcher.Stop();
  auto loaded = file.Load();
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->kind, LoadedPosition::Kind::kOk);
  EXPECT_EQ(loaded->position, (WalPosition{1, 0}));
}

TEST_P(WalWatcherTest, CheckpointMidRunResetsSeries) {
  auto w = OpenWal(0);
  FakeConsumer c;
  WalWatcher watcher(env_, Options(), &c, nullptr);
  ASSERT_TRUE(watcher.Start().ok());
  Commit(w.get(), {1, 2}, 2, 1);
  ASSERT_TRUE(w->CutSegment().ok());
  Commit(w.get(), {3}, 3, 2);
  ASSERT_TRUE(w->CutSegment().ok());
  Commit(w.get(), {}, 3, 3);
  ASSERT_TRUE(c.WaitFor([&] { return c.sent_.size() == 8; }));
  // The head drops series 2 and checkpoints segments 0..1.
  auto st = wal::Checkpoint(
      env_, wal_dir_, 0, 1, [](SeriesRef r) { return r != 2; }, 0, nullptr);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  ASSERT_TRUE(c.WaitFor([&] { return !c.resets_.empty(); }));
  watcher.Stop();
  EXPECT_EQ(c.resets_.front(), 1u);
  EXPECT_EQ(c.stored_from_segment_[1], 3u);     // series 1 and 3 from checkpoint.00000001 (3 also from segment 1)
  EXPECT_FALSE(c.series_segment_.contains(2));  // forgotten
  EXPECT_TRUE(c.series_segment_.contains(1));
}

TEST_P(WalWatcherTest, StartsAfterACheckpointAndSkipsDeletedSegments) {
  auto w = OpenWal(0);
  Commit(w.get(), {1}, 1, 1);
  ASSERT_TRUE(w->CutSegment().ok());
  Commit(w.get(), {2}, 2, 2);
  ASSERT_TRUE(w->CutSegment().ok());
  // Persisted at segment 0: the queue lagged, then segments 0..1 were checkpointed away.
  SendPositionFile file(env_, pos_dir_, Options().position_key);
  ASSERT_TRUE(file.Store(WalPosition{0, 8}).ok());
  ASSERT_TRUE(wal::Checkpoint(
                  env_, wal_dir_, 0, 1, [](SeriesRef) { return true; }, 0, nullptr)
                  .ok());
  Commit(w.get(), {}, 2, 3);
  FakeConsumer c;
  MetricsRegistry metrics;
  WalWatcher watcher(env_, Options(), &c, &metrics);
  ASSERT_TRUE(watcher.Start().ok());
  ASSERT_TRUE(c.WaitFor([&] { return c.sent_.size() == 2; }));
  watcher.Stop();
  EXPECT_EQ(c.series_.size(), 2u);  // from the checkpoint
  EXPECT_EQ(c.sent_[0].sample.t, 3);
  const std::string text = metrics.RenderText();
  EXPECT_NE(text.find("promethium_wal_watcher_segments_lost_total{consumer=\"q\"} 2\n"), std::string::npos) << text;
}

TEST_P(WalWatcherTest, RetentionFloorFollowsTheAcknowledgedSegment) {
  auto w = OpenWal(0);
  WalRetention retention;
  EXPECT_FALSE(retention.SegmentFloor().has_value());
  retention.Hold(true);  // start-up: the queues are not registered yet
  EXPECT_EQ(retention.SegmentFloor(), 0u);
  retention.Hold(false);
  EXPECT_FALSE(retention.SegmentFloor().has_value());
  FakeConsumer c;
  WalWatcherOptions opts = Options();
  opts.retention = &retention;
  WalWatcher watcher(env_, opts, &c, nullptr);
  ASSERT_TRUE(watcher.Start().ok());
  EXPECT_EQ(retention.SegmentFloor(), 0u);
  Commit(w.get(), {1}, 1, 1);
  ASSERT_TRUE(w->CutSegment().ok());
  ASSERT_TRUE(w->CutSegment().ok());
  Commit(w.get(), {}, 1, 2);
  ASSERT_TRUE(w->CutSegment().ok());
  Commit(w.get(), {}, 1, 3);
  ASSERT_TRUE(c.WaitFor([&] { return c.sent_.size() == 3; }));
  EXPECT_EQ(retention.SegmentFloor(), 0u);  // nothing acknowledged: everything kept
  {
    std::lock_guard<std::mutex> lock(c.mu_);
    c.acked_ = c.sent_[1].end;
  }
  EXPECT_EQ(retention.SegmentFloor(), 1u);
  c.AckAll();
  EXPECT_EQ(retention.SegmentFloor(), 2u);
  watcher.Stop();
  EXPECT_FALSE(retention.SegmentFloor().has_value());  // a stopped queue holds nothing
}

TEST_P(WalWatcherTest, ExemplarsWhenAsked) {
  auto w = OpenWal(0);
  FakeConsumer c;
  WalWatcherOptions opts = Options();
  opts.send_exemplars = true;
  WalWatcher watcher(env_, opts, &c, nullptr);
  ASSERT_TRUE(watcher.Start().ok());
  Commit(w.get(), {1}, 1, 1);
  std::string rec;
  wal::RefExemplar e{1, 1, 0.5, Labels{{"trace_id", "abc"}}};
  wal::EncodeExemplars(std::span<const wal::RefExemplar>(&e, 1), &rec);
  std::string_view v = rec;
  ASSERT_TRUE(w->Log({&v, 1}).ok());
  ASSERT_TRUE(c.WaitFor([&] { return c.exemplars_ == 1; }));
  watcher.Stop();
}

INSTANTIATE_TEST_SUITE_P(Compression, WalWatcherTest,
                         ::testing::Values(wal::Compression::kNone, wal::Compression::kSnappy, wal::Compression::kZstd),
                         [](const auto& info) { return std::string(wal::CompressionName(info.param)); });

}  // namespace
}  // namespace promethium::remote
