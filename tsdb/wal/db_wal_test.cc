// DB-level durability: what a Commit returned OK for is what a reopened DB
// holds, bit for bit, across segments, torn tails and injected ENOSPC.
#include <gtest/gtest.h>

#include <bit>
#include <map>
#include <thread>

#include "tsdb/base/env.h"
#include "tsdb/db.h"
#include "tsdb/db_dump_for_test.h"
#include "tsdb/head/wal_replayer.h"
#include "tsdb/wal/checkpoint.h"
#include "tsdb/wal/fault_env_for_test.h"
#include "tsdb/wal/record.h"
#include "tsdb/wal/segment.h"
#include "tsdb/wal/test_dir_for_test.h"

namespace promethium::tsdb {
namespace {

Labels SeriesLabels(int i) {
  return Labels{{"__name__", "metric_" + std::to_string(i % 3)}, {"instance", "host-" + std::to_string(i)}};
}

double ValueFor(int series, int step) {
  if (step % 17 == 5) return StaleNaN();
  if (step % 13 == 7) return std::bit_cast<double>(uint64_t{0x7ff8000000000abcULL});  // NaN with a payload
  return series * 1000.0 + step * 0.25;
}

class DBWalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = wal::TestDirForTest("promethium_db_wal_test_");
    EXPECT_TRUE(Env::Default()->RemoveDirRecursively(dir_).ok());
    opts_.wal_segment_size = 4096;
  }
  void TearDown() override { EXPECT_TRUE(Env::Default()->RemoveDirRecursively(dir_).ok()); }

  std::unique_ptr<DB> Open() {
    auto db = DB::Open(dir_, opts_, &metrics_);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    return db.ok() ? std::move(db).value() : nullptr;
  }

  // One commit per step, one sample per series.
  void AppendSteps(DB* db, int series, int from, int to) {
    for (int step = from; step < to; ++step) {
      auto app = db->NewAppender();
      for (int i = 0; i < series; ++i) {
        ASSERT_TRUE(app->Append(0, SeriesLabels(i), step * 15000, ValueFor(i, step)).ok());
      }
      ASSERT_TRUE(app->Commit().ok());
    }
  }

  std::string dir_;
  DBOptions opts_;
  MetricsRegistry metrics_;
};

TEST_F(DBWalTest, ReopenRestoresExactSamplesAcrossSegments) {
  Dump before;
  DB::HeadStats stats_before;
  SeriesRef ref_of_7 = 0;
  {
    auto db = Open();
    ASSERT_NE(db, nullptr);
    AppendSteps(db.get(), 20, 0, 150);
    auto app = db->NewAppender();
    auto ref = app->Append(0, SeriesLabels(7), 150 * 15000, 1.0);
    ASSERT_TRUE(ref.ok());
    ref_of_7 = *ref;
    ASSERT_TRUE(app->Commit().ok());
    before = DumpAll(db.get());
    stats_before = db->Stats();
    ASSERT_TRUE(db->Close().ok());
  }
  ASSERT_GT(wal::ListSegments(Env::Default(), dir_ + "/wal")->size(), 3u);
  auto db = Open();
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(DumpAll(db.get()), before);
  ASSERT_EQ(before.size(), 20u);
  EXPECT_EQ(before.begin()->second.size() >= 150, true);
  const DB::HeadStats stats = db->Stats();
  EXPECT_EQ(stats.num_series, stats_before.num_series);
  EXPECT_EQ(stats.num_chunks, stats_before.num_chunks);
  EXPECT_EQ(stats.min_time, stats_before.min_time);
  EXPECT_EQ(stats.max_time, stats_before.max_time);
  // Refs survive: a cached ref still names the same series, and a new
  // series gets a ref past every replayed one.
  auto app = db->NewAppender();
  auto again = app->Append(ref_of_7, SeriesLabels(7), 151 * 15000, 2.0);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, ref_of_7);
  auto fresh = app->Append(0, SeriesLabels(1000), 151 * 15000, 3.0);
  ASSERT_TRUE(fresh.ok());
  EXPECT_GT(*fresh, 20u);
  ASSERT_TRUE(app->Commit().ok());
  EXPECT_NE(metrics_.RenderText().find("prometheus_tsdb_wal_segment_current"), std::string::npos);
}

TEST_F(DBWalTest, SeveralRestartsKeepEverythingOnce) {
  Dump expected;
  for (int round = 0; round < 3; ++round) {
    auto db = Open();
    ASSERT_NE(db, nullptr);
    EXPECT_EQ(DumpAll(db.get()), expected) << "round " << round;
    AppendSteps(db.get(), 5, round * 10, round * 10 + 10);
    expected = DumpAll(db.get());
    ASSERT_TRUE(db->Close().ok());
  }
  auto db = Open();
  EXPECT_EQ(DumpAll(db.get()), expected);
  EXPECT_EQ(expected.begin()->second.size(), 30u);
}

TEST_F(DBWalTest, TornTailLosesOnlyTheLastCommit) {
  Dump after_29;
  {
    auto db = Open();
    ASSERT_NE(db, nullptr);
    AppendSteps(db.get(), 4, 0, 29);
    after_29 = DumpAll(db.get());
    AppendSteps(db.get(), 4, 29, 30);
    ASSERT_TRUE(db->Close().ok());
  }
  const std::string wal_dir = dir_ + "/wal";
  const uint64_t last = wal::ListSegments(Env::Default(), wal_dir)->back();
  const std::string path = wal::SegmentPath(wal_dir, last);
  const uint64_t size = *Env::Default()->GetFileSize(path);
  ASSERT_TRUE(Env::Default()->TruncateFile(path, size - 3).ok());  // the last commit's samples record is torn
  auto db = Open();
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(DumpAll(db.get()), after_29);
  EXPECT_NE(metrics_.RenderText().find("prometheus_tsdb_wal_corruptions_total 1"), std::string::npos);
  AppendSteps(db.get(), 4, 30, 31);  // start-up continued and appends work
}

TEST_F(DBWalTest, CommitFailsWithIOErrorOnENOSPCAndRecovers) {
  wal::FaultInjectionEnv fault(Env::Default());
  opts_.env = &fault;
  auto db = Open();
  ASSERT_NE(db, nullptr);
  AppendSteps(db.get(), 3, 0, 10);
  const Dump good = DumpAll(db.get());

  fault.SetWriteBudget(5);
  auto app = db->NewAppender();
  ASSERT_TRUE(app->Append(0, SeriesLabels(0), 10 * 15000, 42).ok());
  ASSERT_TRUE(app->Append(0, SeriesLabels(99), 10 * 15000, 43).ok());  // a new series too
  Status st = app->Commit();
  EXPECT_EQ(st.code(), Status::Code::kIOError) << st.ToString();
  EXPECT_NE(st.message().find("No space left on device"), std::string::npos);
  EXPECT_EQ(DumpAll(db.get()), good);  // nothing of the failed batch is visible

  fault.ClearFaults();
  AppendSteps(db.get(), 3, 10, 12);
  auto app2 = db->NewAppender();
  ASSERT_TRUE(app2->Append(0, SeriesLabels(99), 12 * 15000, 44).ok());
  ASSERT_TRUE(app2->Commit().ok());
  const Dump final_state = DumpAll(db.get());
  ASSERT_TRUE(db->Close().ok());
  db.reset();

  auto reopened = Open();
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(DumpAll(reopened.get()), final_state);
  EXPECT_NE(metrics_.RenderText().find("prometheus_tsdb_wal_corruptions_total 0"), std::string::npos);
}

TEST_F(DBWalTest, SyncOnCommitFailureFailsCommit) {
  wal::FaultInjectionEnv fault(Env::Default());
  opts_.env = &fault;
  opts_.wal_sync = DBOptions::WalSync::kOnCommit;
  auto db = Open();
  ASSERT_NE(db, nullptr);
  AppendSteps(db.get(), 2, 0, 3);
  const Dump good = DumpAll(db.get());
  fault.SetFailSync(true);
  auto app = db->NewAppender();
  ASSERT_TRUE(app->Append(0, SeriesLabels(0), 3 * 15000, 1).ok());
  EXPECT_EQ(app->Commit().code(), Status::Code::kIOError);
  EXPECT_EQ(DumpAll(db.get()), good);
  fault.ClearFaults();
  ASSERT_TRUE(db->Close().ok());
  db.reset();
  auto reopened = Open();
  EXPECT_EQ(DumpAll(reopened.get()), good);
}

TEST_F(DBWalTest, ConcurrentAppendersAllSurvive) {
  constexpr int kThreads = 4, kSeriesPerThread = 10, kSteps = 100;
  {
    auto db = Open();
    ASSERT_NE(db, nullptr);
    std::vector<std::thread> threads;
    for (int th = 0; th < kThreads; ++th) {
      threads.emplace_back([&, th] {
        for (int step = 0; step < kSteps; ++step) {
          auto app = db->NewAppender();
          for (int i = 0; i < kSeriesPerThread; ++i) {
            EXPECT_TRUE(app->Append(0, SeriesLabels(th * 100 + i), step * 1000, step).ok());
          }
          EXPECT_TRUE(app->Commit().ok());
        }
      });
    }
    for (auto& t : threads) t.join();
    ASSERT_TRUE(db->Close().ok());
  }
  auto db = Open();
  ASSERT_NE(db, nullptr);
  const Dump all = DumpAll(db.get());
  ASSERT_EQ(all.size(), static_cast<size_t>(kThreads * kSeriesPerThread));
  for (const auto& [series, samples] : all) {
    ASSERT_EQ(samples.size(), static_cast<size_t>(kSteps)) << series;
    for (int step = 0; step < kSteps; ++step) EXPECT_EQ(samples[step].first, step * 1000);
  }
}

TEST_F(DBWalTest, DisabledWalWritesNothing) {
  opts_.wal_enabled = false;
  auto db = Open();
  ASSERT_NE(db, nullptr);
  AppendSteps(db.get(), 1, 0, 2);
  EXPECT_FALSE(Env::Default()->FileExists(dir_ + "/wal"));
}

// A DB whose old segments were checkpointed (keeping everything) reopens
// exactly as before, goes on writing after the checkpoint, and reopens
// exactly again.
TEST_F(DBWalTest, ReopenFromCheckpointPlusSegmentsRestoresExactly) {
  const std::string wal_dir = dir_ + "/wal";
  Dump before;
  {
    auto db = Open();
    ASSERT_NE(db, nullptr);
    AppendSteps(db.get(), 20, 0, 150);
    before = DumpAll(db.get());
    ASSERT_TRUE(db->Close().ok());
  }
  auto range = wal::SegmentRange(Env::Default(), wal_dir);
  ASSERT_TRUE(range.ok());
  auto plan = wal::CheckpointSegmentsFor(range->first, range->second);
  ASSERT_TRUE(plan.has_value());
  auto stats = wal::Checkpoint(
      Env::Default(), wal_dir, plan->first, plan->second, [](SeriesRef) { return true; }, kMinTime, &metrics_);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->dropped_samples, 0u);
  EXPECT_EQ(wal::ListSegments(Env::Default(), wal_dir)->front(), plan->second + 1);

  Dump after_more;
  {
    auto db = Open();
    ASSERT_NE(db, nullptr);
    EXPECT_EQ(DumpAll(db.get()), before);
    AppendSteps(db.get(), 25, 150, 160);  // five new series too
    after_more = DumpAll(db.get());
    ASSERT_TRUE(db->Close().ok());
  }
  auto db = Open();
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(DumpAll(db.get()), after_more);
  EXPECT_EQ(after_more.size(), 25u);
}

// Dropping a series and old samples in the checkpoint is what the reopened
// DB shows: the series is gone, the others start at mint.
TEST_F(DBWalTest, CheckpointDropsWhatTheHeadNoLongerHas) {
  const std::string wal_dir = dir_ + "/wal";
  SeriesRef dropped_ref = 0;
  {
    auto db = Open();
    ASSERT_NE(db, nullptr);
    auto app = db->NewAppender();
    auto ref = app->Append(0, SeriesLabels(3), 0, 1.0);
    ASSERT_TRUE(ref.ok());
    dropped_ref = *ref;
    ASSERT_TRUE(app->Commit().ok());
    AppendSteps(db.get(), 5, 1, 100);
    ASSERT_TRUE(db->Close().ok());
  }
  const auto range = *wal::SegmentRange(Env::Default(), wal_dir);
  // Everything (the open segment was closed by Close) up to the last segment.
  const int64_t mint = 40 * 15000;
  auto stats = wal::Checkpoint(
      Env::Default(), wal_dir, range.first, range.second, [&](SeriesRef r) { return r != dropped_ref; }, mint, nullptr);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  auto db = Open();
  ASSERT_NE(db, nullptr);
  const Dump got = DumpAll(db.get());
  EXPECT_EQ(got.count(SeriesLabels(3).ToString()), 0u);
  ASSERT_EQ(got.size(), 4u);
  for (const auto& [series, samples] : got) {
    ASSERT_FALSE(samples.empty());
    EXPECT_EQ(samples.front().first, mint) << series;
    EXPECT_EQ(samples.back().first, 99 * 15000) << series;
  }
}

// Head contents as (t, value bits) per series, for exact comparison.
Dump DumpHead(Head* head) {
  Dump out;
  auto q = head->NewQuerier(kMinTime, kMaxTime);
  auto set = q->Select(true, nullptr, {*Matcher::Make(MatchType::kRegexMatch, "__name__", ".+")});
  while (set->Next()) {
    auto& samples = out[set->At().labels().ToString()];
    auto it = set->At().Iterator(nullptr);
    while (it->Next() != ValueType::kNone) samples.emplace_back(it->At().t, std::bit_cast<uint64_t>(it->At().v));
  }
  EXPECT_TRUE(set->Err().ok());
  return out;
}

// A WAL of 3000 series created over time, samples in random series order
// with out-of-order and duplicate ones, samples of unknown refs and below
// MinValidTime, and tombstones in between.
std::vector<std::string> MixedWalRecords() {
  std::vector<std::string> records;
  uint64_t x = 42;
  auto next = [&x] { return (x = x * 6364136223846793005ull + 1442695040888963407ull) >> 33; };
  SeriesRef created = 0;
  for (int round = 0; round < 60; ++round) {
    std::vector<wal::RefSeries> series;
    for (int i = 0; i < 50; ++i, ++created) series.push_back({created + 1, SeriesLabels(static_cast<int>(created))});
    std::string rec;
    wal::EncodeSeries(series, &rec);
    records.push_back(rec);
    for (int batch = 0; batch < 5; ++batch) {
      std::vector<wal::RefSample> samples;
      for (int i = 0; i < 2000; ++i) {
        const SeriesRef ref = 1 + next() % (created + 20);  // a few unknown refs
        const int64_t t = 1000 + round * 1000 + batch * 200 + static_cast<int64_t>(next() % 400) - 150;
        samples.push_back({ref, t, static_cast<double>(next() % 4)});
      }
      rec.clear();
      wal::EncodeSamples(samples, &rec);
      records.push_back(rec);
    }
    if (round % 7 == 3) {
      std::vector<wal::Tombstone> stones;
      for (int i = 0; i < 40; ++i) {
        const int64_t mint = 1000 + round * 1000 + static_cast<int64_t>(next() % 800);
        stones.push_back({1 + next() % created, mint, mint + 100});
      }
      rec.clear();
      wal::EncodeTombstones(stones, &rec);
      records.push_back(rec);
    }
  }
  return records;
}

struct ReplayOutcome {
  WalReplayStats stats;
  Dump dump;
  uint64_t series = 0, chunks = 0;
  int64_t min_t = 0, max_t = 0;
};

ReplayOutcome ReplayWith(size_t workers, const std::vector<std::string>& records) {
  HeadOptions opts;
  opts.cut.chunk_range_ms = 5000;
  opts.cut.samples_per_chunk = 60;
  opts.stripe_count = 16;
  opts.replay_workers = workers;
  Head head(opts, nullptr);
  head.SetMinValidTime(1500);
  ReplayOutcome out;
  {
    WalReplayer replayer(&head, &out.stats);
    EXPECT_EQ(replayer.workers(), workers == 1 ? 0u : workers);
    for (const std::string& rec : records) EXPECT_TRUE(replayer.Apply(rec).ok());
    replayer.Finish();
  }
  head.FinishWalReplay();
  out.dump = DumpHead(&head);
  out.series = head.NumSeries();
  out.chunks = head.NumChunks();
  out.min_t = head.MinTime();
  out.max_t = head.MaxTime();
  return out;
}

// Sharded replay on worker threads rebuilds exactly the head (every sample
// of every series) and the counts a single-threaded replay gives.
TEST(DbWal, ParallelReplayEqualsSingleThreaded) {
  const std::vector<std::string> records = MixedWalRecords();
  const ReplayOutcome serial = ReplayWith(1, records);
  EXPECT_EQ(serial.stats.series, 3000u);
  EXPECT_GT(serial.stats.samples, 100000u);
  EXPECT_GT(serial.stats.skipped_samples, 10000u);  // out of order, duplicates, below MinValidTime
  EXPECT_GT(serial.stats.unknown_refs, 0u);
  for (size_t workers : {2u, 3u, 8u}) {
    const ReplayOutcome parallel = ReplayWith(workers, records);
    EXPECT_EQ(parallel.stats.series, serial.stats.series) << workers;
    EXPECT_EQ(parallel.stats.samples, serial.stats.samples) << workers;
    EXPECT_EQ(parallel.stats.skipped_samples, serial.stats.skipped_samples) << workers;
    EXPECT_EQ(parallel.stats.unknown_refs, serial.stats.unknown_refs) << workers;
    EXPECT_EQ(parallel.series, serial.series);
    EXPECT_EQ(parallel.chunks, serial.chunks);
    EXPECT_EQ(parallel.min_t, serial.min_t);
    EXPECT_EQ(parallel.max_t, serial.max_t);
    EXPECT_TRUE(parallel.dump == serial.dump) << workers;
  }
}

// A record that does not decode fails Apply with the error the
// single-threaded replay gives, and Finish still joins the workers.
TEST(DbWal, ParallelReplayReportsDecodeErrors) {
  std::vector<std::string> records = MixedWalRecords();
  std::string bad = records[1].substr(0, records[1].size() / 2);
  for (size_t workers : {1u, 2u}) {
    HeadOptions opts;
    opts.replay_workers = workers;
    Head head(opts, nullptr);
    WalReplayStats stats;
    WalReplayer replayer(&head, &stats);
    ASSERT_TRUE(replayer.Apply(records[0]).ok());
    ASSERT_TRUE(replayer.Apply(records[1]).ok());
    const Status st = replayer.Apply(bad);
    EXPECT_EQ(st.code(), Status::Code::kCorruption) << workers;
    Head ref_head(opts, nullptr);
    WalReplayStats ref_stats;
    EXPECT_EQ(st.ToString(), ref_head.ReplayWalRecord(bad, &ref_stats).ToString());
    replayer.Finish();
    EXPECT_GT(stats.samples, 0u);
  }
}

}  // namespace
}  // namespace promethium::tsdb
