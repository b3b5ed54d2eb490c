#include "tsdb/exemplar/circular_exemplar_storage.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <filesystem>
#include <string>
#include <tuple>
#include <vector>

#include "tsdb/base/env.h"
#include "tsdb/db.h"
#include "tsdb/exemplar/exemplar_appender.h"
#include "tsdb/head/wal_replayer.h"
#include "tsdb/wal/record.h"
#include "tsdb/wal/segment.h"
#include "tsdb/wal/test_dir_for_test.h"
#include "tsdb/wal/wal_reader.h"

namespace promethium::tsdb {
namespace {

Exemplar Ex(std::string trace, double v, int64_t ts) { return Exemplar{Labels{{"trace_id", trace}}, v, ts}; }

Matchers Eq(std::string name, std::string value) {
  return {Matcher::Make(MatchType::kEqual, std::move(name), std::move(value)).value()};
}

std::vector<int64_t> Timestamps(const ExemplarSeries& s) {
  std::vector<int64_t> out;
  for (const Exemplar& e : s.exemplars) out.push_back(e.ts);
  return out;
}

const Labels kA{{"__name__", "a"}};
const Labels kB{{"__name__", "b"}};

TEST(CircularExemplarStorage, StoresPerSeriesInOrderAndSelectsByTimeAndMatchers) {
  CircularExemplarStorage s(10, nullptr);
  ASSERT_TRUE(s.Add(kA, Ex("1", 1, 1000)).ok());
  ASSERT_TRUE(s.Add(kB, Ex("2", 2, 1500)).ok());
  ASSERT_TRUE(s.Add(kA, Ex("3", 3, 2000)).ok());
  ASSERT_TRUE(s.Add(kA, Ex("4", 4, 3000)).ok());

  auto all = s.SelectExemplars(kMinTime, kMaxTime, {Eq("__name__", "a"), Eq("__name__", "b")});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].series_labels, kA);
  EXPECT_EQ(Timestamps((*all)[0]), (std::vector<int64_t>{1000, 2000, 3000}));
  EXPECT_EQ((*all)[0].exemplars[1].labels, (Labels{{"trace_id", "3"}}));
  EXPECT_EQ((*all)[0].exemplars[1].value, 3);
  EXPECT_EQ((*all)[1].series_labels, kB);

  auto ranged = s.SelectExemplars(1500, 2000, {Eq("__name__", "a")});
  ASSERT_TRUE(ranged.ok());
  ASSERT_EQ(ranged->size(), 1u);
  EXPECT_EQ(Timestamps((*ranged)[0]), (std::vector<int64_t>{2000}));

  auto none = s.SelectExemplars(kMinTime, kMaxTime, {Eq("__name__", "c")});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  auto outside = s.SelectExemplars(5000, 6000, {Eq("__name__", "a")});
  EXPECT_TRUE(outside->empty());
}

TEST(CircularExemplarStorage, EvictsOldestWhenFull) {
  MetricsRegistry metrics;
  CircularExemplarStorage s(3, &metrics);
  ASSERT_TRUE(s.Add(kA, Ex("1", 1, 1000)).ok());
  ASSERT_TRUE(s.Add(kB, Ex("2", 2, 1100)).ok());
  ASSERT_TRUE(s.Add(kA, Ex("3", 3, 2000)).ok());
  ASSERT_TRUE(s.Add(kA, Ex("4", 4, 3000)).ok());  // evicts a@1000
  EXPECT_EQ(s.size(), 3u);
  auto r = s.SelectExemplars(kMinTime, kMaxTime, {Eq("__name__", "a")});
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ(Timestamps((*r)[0]), (std::vector<int64_t>{2000, 3000}));

  ASSERT_TRUE(s.Add(kA, Ex("5", 5, 4000)).ok());  // evicts b's only exemplar
  r = s.SelectExemplars(kMinTime, kMaxTime, {Eq("__name__", "b")});
  EXPECT_TRUE(r->empty());
  EXPECT_EQ(metrics.GetGauge("prometheus_tsdb_exemplar_series_with_exemplars_in_storage", "")->Value(), 1);
  // A series evicting its own only exemplar keeps a consistent index.
  ASSERT_TRUE(s.Add(kB, Ex("6", 6, 5000)).ok());  // evicts a@2000
  ASSERT_TRUE(s.Add(kB, Ex("7", 7, 6000)).ok());  // evicts a@3000
  ASSERT_TRUE(s.Add(kB, Ex("8", 8, 7000)).ok());  // evicts a@4000: a is gone
  r = s.SelectExemplars(kMinTime, kMaxTime, {Eq("__name__", "a"), Eq("__name__", "b")});
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ(Timestamps((*r)[0]), (std::vector<int64_t>{5000, 6000, 7000}));
  CircularExemplarStorage one(1, nullptr);
  ASSERT_TRUE(one.Add(kA, Ex("1", 1, 1)).ok());
  ASSERT_TRUE(one.Add(kA, Ex("2", 2, 2)).ok());
  r = one.SelectExemplars(kMinTime, kMaxTime, {Eq("__name__", "a")});
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ(Timestamps((*r)[0]), (std::vector<int64_t>{2}));

  EXPECT_EQ(metrics.GetCounter("prometheus_tsdb_exemplar_exemplars_appended_total", "")->Value(), 8);
  EXPECT_EQ(metrics.GetGauge("prometheus_tsdb_exemplar_exemplars_in_storage", "")->Value(), 3);
  EXPECT_EQ(metrics.GetGauge("prometheus_tsdb_exemplar_max_exemplars", "")->Value(), 3);
  // The oldest stored exemplar is b@5000.
  EXPECT_EQ(metrics.GetGauge("prometheus_tsdb_exemplar_last_exemplars_timestamp_seconds", "")->Value(), 5);
}

TEST(CircularExemplarStorage, RejectsDuplicatesOutOfOrderAndLongLabels) {
  MetricsRegistry metrics;
  CircularExemplarStorage s(10, &metrics);
  ASSERT_TRUE(s.Add(kA, Ex("1", 1, 1000)).ok());
  EXPECT_EQ(s.Add(kA, Ex("1", 1, 1000)).code(), Status::Code::kDuplicate);
  Status ooo = s.Add(kA, Ex("0", 1, 999));
  EXPECT_EQ(ooo.code(), Status::Code::kOutOfOrder);
  EXPECT_EQ(ooo.message(), "out of order exemplar");
  // Same timestamp: a smaller value is out of order, a larger one is kept.
  EXPECT_EQ(s.Add(kA, Ex("1", 0.5, 1000)).code(), Status::Code::kOutOfOrder);
  EXPECT_TRUE(s.Add(kA, Ex("1", 2, 1000)).ok());
  // Validate does not count; Add does.
  EXPECT_EQ(s.Validate(kA, Ex("0", 1, 10)).code(), Status::Code::kOutOfOrder);
  EXPECT_EQ(metrics.GetCounter("prometheus_tsdb_exemplar_out_of_order_exemplars_total", "")->Value(), 2);
  // Other series are independent.
  EXPECT_TRUE(s.Add(kB, Ex("0", 1, 10)).ok());

  // 128 runes (names + values) is the limit; multi-byte runes count once.
  std::string value(120, 'x');
  EXPECT_TRUE(s.Add(kB, Exemplar{Labels{{"trace_id", value}}, 1, 20}).ok());  // 8 + 120
  Status too_long = s.Add(kB, Exemplar{Labels{{"trace_id", value + "y"}}, 1, 30});
  EXPECT_EQ(too_long.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(too_long.message(), "label length for exemplar exceeds maximum of 128 UTF-8 characters");
  std::string runes;
  for (int i = 0; i < 120; ++i) runes += "\xc3\xa9";  // é, two bytes
  EXPECT_TRUE(s.Add(kB, Exemplar{Labels{{"trace_id", runes}}, 1, 40}).ok());
  EXPECT_EQ(s.size(), 5u);
}

TEST(CircularExemplarStorage, ZeroCapacityIsDisabled) {
  CircularExemplarStorage s(0, nullptr);
  Status st = s.Add(kA, Ex("1", 1, 1));
  EXPECT_EQ(st.code(), Status::Code::kUnsupported);
  EXPECT_TRUE(s.SelectExemplars(kMinTime, kMaxTime, {Eq("__name__", "a")})->empty());
}

TEST(ExemplarAppender, ExemplarsBecomeVisibleAtCommitOfTheDB) {
  const std::string dir =
      (std::filesystem::temp_directory_path() / ("promethium_exemplar_test_" + std::to_string(::getpid()))).string();
  DBOptions opts;
  opts.max_exemplars = 5;
  opts.wal_enabled = false;
  opts.background_compaction = false;
  auto db = DB::Open(dir, opts, nullptr);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  auto app = (*db)->NewAppender();
  auto ref = app->Append(0, kA, 1000, 1);
  ASSERT_TRUE(ref.ok());
  ASSERT_TRUE(app->AppendExemplar(*ref, kA, Ex("t", 1, 1000)).ok());
  auto before = (*db)->exemplars()->SelectExemplars(kMinTime, kMaxTime, {Eq("__name__", "a")});
  EXPECT_TRUE(before->empty());
  ASSERT_TRUE(app->Commit().ok());
  auto after = (*db)->exemplars()->SelectExemplars(kMinTime, kMaxTime, {Eq("__name__", "a")});
  ASSERT_EQ(after->size(), 1u);
  EXPECT_EQ((*after)[0].exemplars[0], Ex("t", 1, 1000));

  // Validation happens at append time; rollback drops pending exemplars.
  auto app2 = (*db)->NewAppender();
  EXPECT_EQ(app2->AppendExemplar(*ref, kA, Ex("t", 1, 10)).status().code(), Status::Code::kOutOfOrder);
  ASSERT_TRUE(app2->AppendExemplar(*ref, kA, Ex("u", 2, 2000)).ok());
  ASSERT_TRUE(app2->Rollback().ok());
  after = (*db)->exemplars()->SelectExemplars(kMinTime, kMaxTime, {Eq("__name__", "a")});
  EXPECT_EQ((*after)[0].exemplars.size(), 1u);
  ASSERT_TRUE((*db)->Close().ok());
  EXPECT_TRUE(Env::Default()->RemoveDirRecursively(dir).ok());
}

// --- exemplars in the WAL: logged at Commit, replayed by DB::Open.

// Every exemplar of every series, with value bits, for exact comparison.
using ExemplarDump = std::vector<std::tuple<std::string, int64_t, uint64_t, std::string>>;

ExemplarDump DumpExemplars(DB* db) {
  auto all = db->exemplars()->SelectExemplars(kMinTime, kMaxTime,
                                              {{Matcher::Make(MatchType::kRegexMatch, "__name__", ".+").value()}});
  EXPECT_TRUE(all.ok());
  ExemplarDump out;
  for (const ExemplarSeries& s : *all) {
    for (const Exemplar& e : s.exemplars) {
      out.emplace_back(s.series_labels.ToString(), e.ts, std::bit_cast<uint64_t>(e.value), e.labels.ToString());
    }
  }
  return out;
}

// Record types in the WAL directory, in WAL order.
std::vector<wal::RecordType> WalRecordTypes(const std::string& wal_dir) {
  std::vector<wal::RecordType> types;
  auto r = wal::ReplayAndRepair(
      Env::Default(), wal_dir,
      [&](std::string_view rec) -> Status {
        PROMETHIUM_ASSIGN_OR_RETURN(wal::RecordType t, wal::PeekRecordType(rec));
        types.push_back(t);
        return Status::OK();
      },
      nullptr);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return types;
}

class ExemplarWalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = wal::TestDirForTest("promethium_exemplar_wal_test_");
    EXPECT_TRUE(Env::Default()->RemoveDirRecursively(dir_).ok());
    opts_.max_exemplars = 1000;
    opts_.background_compaction = false;
    opts_.wal_segment_size = 4096;
  }
  void TearDown() override { EXPECT_TRUE(Env::Default()->RemoveDirRecursively(dir_).ok()); }

  std::unique_ptr<DB> Open() {
    auto db = DB::Open(dir_, opts_, &metrics_);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    return db.ok() ? std::move(db).value() : nullptr;
  }

  // Steps [from, to): one commit each, a sample per series, an exemplar for
  // every other series (odd ones), with NaN payloads and empty label sets.
  void AppendSteps(DB* db, int from, int to) {
    for (int step = from; step < to; ++step) {
      auto app = db->NewAppender();
      for (int i = 0; i < 6; ++i) {
        const Labels series{{"__name__", "m"}, {"i", std::to_string(i)}};
        auto ref = app->Append(0, series, step * 1000, step);
        ASSERT_TRUE(ref.ok()) << ref.status().ToString();
        if (i % 2 == 0) continue;
        double v = step * 0.5;
        if (step % 7 == 3) v = std::bit_cast<double>(uint64_t{0x7ff8000000000abcULL});
        Labels el = step % 5 == 0 ? Labels() : Labels{{"trace_id", std::to_string(step * 10 + i).append("_t")}};
        ASSERT_TRUE(app->AppendExemplar(*ref, series, Exemplar{el, v, step * 1000 + i}).ok());
      }
      ASSERT_TRUE(app->Commit().ok());
    }
  }

  std::string dir_;
  DBOptions opts_;
  MetricsRegistry metrics_;
};

TEST_F(ExemplarWalTest, ReopenRestoresExemplarsExactly) {
  for (int64_t ooo_window : {int64_t{0}, int64_t{60000}}) {  // parallel and single-threaded replay
    SCOPED_TRACE(ooo_window);
    EXPECT_TRUE(Env::Default()->RemoveDirRecursively(dir_).ok());
    opts_.out_of_order_window_ms = ooo_window;
    ExemplarDump before;
    {
      auto db = Open();
      ASSERT_NE(db, nullptr);
      AppendSteps(db.get(), 0, 40);
      before = DumpExemplars(db.get());
      ASSERT_TRUE(db->Close().ok());
    }
    ASSERT_EQ(before.size(), 40u * 3);
    ASSERT_GT(wal::ListSegments(Env::Default(), dir_ + "/wal")->size(), 1u);  // spans segments
    {
      auto db = Open();
      ASSERT_NE(db, nullptr);
      EXPECT_EQ(DumpExemplars(db.get()), before);
      AppendSteps(db.get(), 40, 45);  // appends continue after the replayed ones
      before = DumpExemplars(db.get());
      ASSERT_TRUE(db->Close().ok());
    }
    auto db = Open();
    ASSERT_NE(db, nullptr);
    EXPECT_EQ(DumpExemplars(db.get()), before);
    EXPECT_EQ(before.size(), 45u * 3);
  }
}

TEST_F(ExemplarWalTest, RingWrapAndRejectedExemplarsReplayAsTheyWere) {
  opts_.max_exemplars = 7;  // the ring wraps: only the newest 7 stay
  ExemplarDump before;
  {
    auto db = Open();
    ASSERT_NE(db, nullptr);
    AppendSteps(db.get(), 0, 10);
    // An exemplar of a series whose sample is the same as before (accepted,
    // nothing stored) is still logged, in a commit without samples.
    auto app = db->NewAppender();
    const Labels series{{"__name__", "m"}, {"i", "1"}};
    auto ref = app->Append(0, series, 9000, 9);
    ASSERT_TRUE(ref.ok());
    ASSERT_TRUE(app->AppendExemplar(*ref, series, Ex("late", 1, 9500)).ok());
    // Rejected at append (older than the newest): neither logged nor stored.
    EXPECT_EQ(app->AppendExemplar(*ref, series, Ex("old", 1, 10)).status().code(), Status::Code::kOutOfOrder);
    // Unknown ref: neither logged nor stored.
    EXPECT_EQ(app->AppendExemplar(987654, Labels{{"__name__", "x"}}, Ex("x", 1, 9600)).status().code(),
              Status::Code::kNotFound);
    ASSERT_TRUE(app->Commit().ok());
    before = DumpExemplars(db.get());
    ASSERT_TRUE(db->Close().ok());
  }
  ASSERT_EQ(before.size(), 7u);
  EXPECT_NE(
      std::find_if(before.begin(), before.end(), [](const auto& e) { return std::get<3>(e) == "{trace_id=\"late\"}"; }),
      before.end());
  const auto types = WalRecordTypes(dir_ + "/wal");
  ASSERT_GE(types.size(), 2u);
  EXPECT_EQ(types.back(), wal::RecordType::kExemplars);  // the last commit logged only an exemplar
  EXPECT_EQ(std::count(types.begin(), types.end(), wal::RecordType::kExemplars), 11);
  auto db = Open();
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(DumpExemplars(db.get()), before);
}

TEST_F(ExemplarWalTest, NothingIsLoggedWithExemplarStorageDisabled) {
  opts_.max_exemplars = 0;
  {
    auto db = Open();
    ASSERT_NE(db, nullptr);
    auto app = db->NewAppender();
    auto ref = app->Append(0, kA, 1000, 1);
    ASSERT_TRUE(ref.ok());
    EXPECT_EQ(app->AppendExemplar(*ref, kA, Ex("t", 1, 1000)).status().code(), Status::Code::kUnsupported);
    ASSERT_TRUE(app->Commit().ok());
    ASSERT_TRUE(db->Close().ok());
  }
  const auto types = WalRecordTypes(dir_ + "/wal");
  EXPECT_EQ(std::count(types.begin(), types.end(), wal::RecordType::kExemplars), 0);
  EXPECT_EQ(std::count(types.begin(), types.end(), wal::RecordType::kSamples), 1);
}

TEST_F(ExemplarWalTest, ExemplarsInTheWalAreDroppedWhenStorageIsDisabledAtReplay) {
  {
    auto db = Open();
    ASSERT_NE(db, nullptr);
    AppendSteps(db.get(), 0, 3);
    ASSERT_TRUE(db->Close().ok());
  }
  opts_.max_exemplars = 0;
  auto db = Open();
  ASSERT_NE(db, nullptr);
  EXPECT_TRUE(DumpExemplars(db.get()).empty());
  EXPECT_EQ(db->Stats().num_series, 6u);
}

TEST_F(ExemplarWalTest, TornExemplarRecordIsRepairedLikeAnyRecord) {
  ExemplarDump after_9;
  {
    auto db = Open();
    ASSERT_NE(db, nullptr);
    AppendSteps(db.get(), 0, 9);
    after_9 = DumpExemplars(db.get());
    AppendSteps(db.get(), 9, 10);
    ASSERT_TRUE(db->Close().ok());
  }
  const std::string wal_dir = dir_ + "/wal";
  const std::string path = wal::SegmentPath(wal_dir, wal::ListSegments(Env::Default(), wal_dir)->back());
  const uint64_t size = *Env::Default()->GetFileSize(path);
  ASSERT_TRUE(Env::Default()->TruncateFile(path, size - 3).ok());  // the last commit's exemplars record is torn
  auto db = Open();
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(DumpExemplars(db.get()), after_9);
  EXPECT_NE(metrics_.RenderText().find("prometheus_tsdb_wal_corruptions_total 1"), std::string::npos);
  AppendSteps(db.get(), 10, 11);  // start-up continued and appends work
  EXPECT_EQ(DumpExemplars(db.get()).size(), after_9.size() + 3);
}

// Replay skips exemplars of unknown refs (counted), ignores out-of-order and
// duplicate ones, and skips those below the head's MinValidTime.
TEST(ExemplarReplay, UnknownRefsDuplicatesAndOldExemplars) {
  for (size_t workers : {size_t{1}, size_t{2}}) {
    HeadOptions ho;
    ho.replay_workers = workers;
    Head head(ho, nullptr);
    head.SetMinValidTime(100);
    CircularExemplarStorage storage(10, nullptr);
    WalReplayStats stats;
    WalReplayer replayer(&head, &stats, &storage);
    std::string series, ex;
    wal::EncodeSeries(std::vector<wal::RefSeries>{{1, kA}, {2, kB}}, &series);
    wal::EncodeExemplars(std::vector<wal::RefExemplar>{{1, 1000, 1, Labels{{"trace_id", "a"}}},
                                                       {99, 1000, 2, Labels{{"trace_id", "unknown"}}},
                                                       {1, 1000, 1, Labels{{"trace_id", "a"}}},  // duplicate
                                                       {1, 500, 3, Labels{{"trace_id", "ooo"}}},
                                                       {2, 50, 4, Labels{{"trace_id", "too old"}}},
                                                       {2, 2000, 5, Labels{{"trace_id", "b"}}}},
                         &ex);
    ASSERT_TRUE(replayer.Apply(series).ok());
    ASSERT_TRUE(replayer.Apply(ex).ok());
    EXPECT_FALSE(replayer.Apply(ex.substr(0, ex.size() - 1)).ok());  // malformed: Corruption
    replayer.Finish();
    EXPECT_EQ(replayer.exemplar_stats().exemplars, 2u);
    EXPECT_EQ(replayer.exemplar_stats().unknown_refs, 1u);
    EXPECT_EQ(replayer.exemplar_stats().skipped, 3u);
    EXPECT_EQ(storage.size(), 2u);
    auto got = storage.SelectExemplars(kMinTime, kMaxTime, {Eq("__name__", "a"), Eq("__name__", "b")});
    ASSERT_EQ(got->size(), 2u);
    EXPECT_EQ((*got)[0].exemplars, std::vector<Exemplar>{Ex("a", 1, 1000)});
    EXPECT_EQ((*got)[1].exemplars, std::vector<Exemplar>{Ex("b", 5, 2000)});
  }
}

// Head::ReplayWalRecord (no exemplar storage) accepts exemplar records.
TEST(ExemplarReplay, HeadWithoutStorageDropsExemplarRecords) {
  Head head(HeadOptions{}, nullptr);
  WalReplayStats stats;
  std::string ex;
  wal::EncodeExemplars(std::vector<wal::RefExemplar>{{1, 1000, 1, Labels{{"trace_id", "a"}}}}, &ex);
  EXPECT_TRUE(head.ReplayWalRecord(ex, &stats).ok());
  EXPECT_EQ(head.ReplayWalRecord(ex.substr(0, ex.size() - 1), &stats).code(), Status::Code::kCorruption);
}

}  // namespace
}  // namespace promethium::tsdb
