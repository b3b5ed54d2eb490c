// DB-level durability: what a Commit returned OK for is what a reopened DB
// holds, bit for bit, across segments, torn tails and injected ENOSPC.
#include <gtest/gtest.h>

#include <bit>
#include <map>
#include <thread>

#include "tsdb/base/env.h"
#include "tsdb/db.h"
#include "tsdb/wal/checkpoint.h"
#include "tsdb/wal/fault_env_for_test.h"
#include "tsdb/wal/segment.h"
#include "tsdb/wal/test_dir_for_test.h"

namespace promethium::tsdb {
namespace {

// Series labels -> its samples as (t, value bits), for exact comparison.
using Dump = std::map<std::string, std::vector<std::pair<int64_t, uint64_t>>>;

Dump DumpAll(DB* db) {
  Dump out;
  auto q = db->NewQuerier(kMinTime, kMaxTime);
  EXPECT_TRUE(q.ok());
  auto set = (*q)->Select(true, nullptr, {*Matcher::Make(MatchType::kRegexMatch, "__name__", ".+")});
  while (set->Next()) {
    auto& samples = out[set->At().labels().ToString()];
    auto it = set->At().Iterator(nullptr);
    while (it->Next() != ValueType::kNone) samples.emplace_back(it->At().t, std::bit_cast<uint64_t>(it->At().v));
  }
  EXPECT_TRUE(set->Err().ok());
  return out;
}

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
    Env::Default()->RemoveDirRecursively(dir_);
    opts_.wal_segment_size = 4096;
  }
  void TearDown() override { Env::Default()->RemoveDirRecursively(dir_); }

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

}  // namespace
}  // namespace promethium::tsdb
