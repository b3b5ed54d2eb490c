// The head with chunk files: full chunks leave the heap, and every reader
// and edit sees the same samples as a head that keeps them in memory.
#include <gtest/gtest.h>
#include <unistd.h>

#include <bit>
#include <filesystem>
#include <fstream>
#include <random>

#include "tsdb/db.h"
#include "tsdb/head/head.h"
#include "tsdb/head/head_chunk_file.h"
#include "tsdb/head/head_test_util.h"
#include "tsdb/wal/fault_env_for_test.h"

namespace promethium::tsdb {
namespace {

namespace fs = std::filesystem;
using namespace testing_util;

constexpr int64_t kRange = 100000;

class HeadChunksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (fs::temp_directory_path() / ("promethium_headchunks_" + std::to_string(::getpid()) + "_" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name()))
               .string();
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<HeadChunkFiles> OpenFiles(uint64_t segment_size, Env* env = Env::Default()) {
    HeadChunkFilesOptions opts;
    opts.segment_size = segment_size;
    auto files = HeadChunkFiles::Open(env, dir_ + "/chunks_head", opts, &metrics_);
    EXPECT_TRUE(files.ok()) << files.status().ToString();
    return files.ok() ? std::move(*files) : nullptr;
  }
  // Equal series, samples and value bits (Sample has no operator==).
  static ::testing::AssertionResult Same(const SeriesMap& a, const SeriesMap& b) {
    if (a.size() != b.size()) return ::testing::AssertionFailure() << a.size() << " vs " << b.size() << " series";
    for (auto ia = a.begin(), ib = b.begin(); ia != a.end(); ++ia, ++ib) {
      if (ia->first != ib->first) return ::testing::AssertionFailure() << ia->first << " vs " << ib->first;
      if (ia->second.size() != ib->second.size()) {
        return ::testing::AssertionFailure() << ia->first << ": " << ia->second.size() << " vs " << ib->second.size();
      }
      for (size_t j = 0; j < ia->second.size(); ++j) {
        const Sample& x = ia->second[j];
        const Sample& y = ib->second[j];
        if (x.t != y.t || std::bit_cast<uint64_t>(x.v) != std::bit_cast<uint64_t>(y.v)) {
          return ::testing::AssertionFailure() << ia->first << " sample " << j << ": " << x.t << " vs " << y.t;
        }
      }
    }
    return ::testing::AssertionSuccess();
  }
  static Labels Series(int i) { return Labels{{"__name__", "m"}, {"i", std::to_string(i)}}; }

  // Heap bytes of chunk buffers and chunks on disk, over every series.
  static void ChunkStats(Head* head, int series, size_t* heap, size_t* on_disk, size_t* total = nullptr) {
    *heap = *on_disk = 0;
    if (total != nullptr) *total = 0;
    for (int i = 0; i < series; ++i) {
      auto s = head->GetOrCreate(Series(i));
      ASSERT_TRUE(s.ok());
      SeriesLock lock((*s)->mu());
      *heap += (*s)->ChunkHeapBytes();
      *on_disk += (*s)->NumChunksOnDisk();
      if (total != nullptr) *total += (*s)->NumChunks();
    }
  }

  std::string dir_;
  MetricsRegistry metrics_;
};

// Random in-order appends, out-of-order inserts (into chunks on disk too),
// deletes and truncations, applied to a head with chunk files and one
// without: every query, full and range view, must agree.
TEST_F(HeadChunksTest, SameResultsWithAndWithoutChunkFiles) {
  auto files = OpenFiles(8192);  // rotate often
  HeadOptions with_opts = SmallHeadOptions(kRange, /*ooo_window_ms=*/kRange);
  with_opts.cut.samples_per_chunk = 12;
  HeadOptions plain_opts = with_opts;
  with_opts.cut.files = files.get();
  Head with(with_opts, nullptr);
  Head plain(plain_opts, nullptr);
  std::mt19937_64 rng(42);
  const int kSeries = 8;
  std::vector<int64_t> next(kSeries, 1000);
  int64_t truncated_to = kMinTime;
  auto both = [&](auto&& fn) {
    fn(&with);
    fn(&plain);
  };
  for (int round = 0; round < 60; ++round) {
    for (int k = 0; k < 40; ++k) {  // in-order appends, one commit per series batch
      const int i = static_cast<int>(rng() % kSeries);
      const int64_t t = next[i];
      next[i] += 1 + static_cast<int64_t>(rng() % 300);
      const double v = static_cast<double>(rng() % 1000) / 8;
      both([&](Head* h) { ASSERT_TRUE(AppendOne(h, Series(i), t, v).ok()); });
    }
    for (int k = 0; k < 6; ++k) {  // out-of-order inserts somewhere in the window
      const int i = static_cast<int>(rng() % kSeries);
      const int64_t lo = std::max<int64_t>({1000, next[i] - kRange / 2, truncated_to});
      if (next[i] <= lo) continue;
      const int64_t t = lo + static_cast<int64_t>(rng() % static_cast<uint64_t>(next[i] - lo));
      const double v = static_cast<double>(t % 97);
      Status a = AppendOne(&with, Series(i), t, v);
      Status b = AppendOne(&plain, Series(i), t, v);
      ASSERT_EQ(a.code(), b.code()) << a.ToString() << " vs " << b.ToString();
    }
    if (round % 7 == 3) {  // delete a random slice of one series
      const int i = static_cast<int>(rng() % kSeries);
      const int64_t mint = 1000 + static_cast<int64_t>(rng() % static_cast<uint64_t>(next[i]));
      const int64_t maxt = mint + static_cast<int64_t>(rng() % 5000);
      both([&](Head* h) {
        std::vector<HeadTombstone> stones;
        ASSERT_TRUE(h->Delete(mint, maxt, {Eq("i", std::to_string(i))}, &stones).ok());
      });
    }
    if (round % 5 == 1) {  // delete a series' newest samples: a chunk on disk becomes the open one
      const int i = static_cast<int>(rng() % kSeries);
      const int64_t mint = next[i] - 2000 - static_cast<int64_t>(rng() % 4000);
      both([&](Head* h) {
        std::vector<HeadTombstone> stones;
        ASSERT_TRUE(h->Delete(mint, next[i], {Eq("i", std::to_string(i))}, &stones).ok());
      });
    }
    if (round % 20 == 19) {  // truncate the oldest part away
      truncated_to = *std::min_element(next.begin(), next.end()) - kRange / 4;
      both([&](Head* h) { ASSERT_TRUE(h->Truncate(truncated_to).ok()); });
    }
    ASSERT_TRUE(Same(Query(&with, {Eq("__name__", "m")}), Query(&plain, {Eq("__name__", "m")}))) << "round " << round;
  }
  EXPECT_TRUE(Same(QueryRange(&with, {Eq("__name__", "m")}, 20000, 60000),
                   QueryRange(&plain, {Eq("__name__", "m")}, 20000, 60000)));
  size_t heap = 0, on_disk = 0;
  ChunkStats(&with, kSeries, &heap, &on_disk);
  EXPECT_GT(on_disk, 10u);  // the property ran over chunks on disk
  EXPECT_GT(files->NumSegments(), 1u);
  EXPECT_EQ(files->corruptions(), 0u);
}

TEST_F(HeadChunksTest, HeapBytesDropOnceChunksClose) {
  auto files = OpenFiles(128 << 20);
  HeadOptions opts = SmallHeadOptions(1 << 30);
  Head plain(opts, nullptr);
  opts.cut.files = files.get();
  Head with(opts, nullptr);
  const int kSeries = 20;
  for (Head* h : {&plain, &with}) {
    auto app = h->NewAppender();
    for (int64_t t = 0; t < 120 * 10; ++t) {  // 10 chunks of 120 samples each
      for (int i = 0; i < kSeries; ++i) ASSERT_TRUE(app->Append(0, Series(i), t * 15000, (t * i) % 17).ok());
      if (t % 100 == 99) {
        ASSERT_TRUE(app->Commit().ok());
        app = h->NewAppender();
      }
    }
    ASSERT_TRUE(app->Commit().ok());
  }
  size_t plain_heap = 0, with_heap = 0, plain_disk = 0, with_disk = 0, total = 0;
  ChunkStats(&plain, kSeries, &plain_heap, &plain_disk);
  ChunkStats(&with, kSeries, &with_heap, &with_disk, &total);
  EXPECT_EQ(plain_disk, 0u);
  EXPECT_GE(total, static_cast<size_t>(kSeries * 5));
  EXPECT_EQ(with_disk, total - kSeries);  // all but the open chunks
  EXPECT_LT(with_heap * 5, plain_heap) << with_heap << " vs " << plain_heap;
  EXPECT_GT(files->DiskBytes() + files->BufferedBytes(), plain_heap / 2);
  EXPECT_TRUE(Same(Query(&with, {Eq("__name__", "m")}), Query(&plain, {Eq("__name__", "m")})));
}

// Two heads, each with chunk files of its own, hold the same series with
// different values: each head's readers read its chunks through its own
// files (the ref says which segment and offset, the head says which files).
TEST_F(HeadChunksTest, EachHeadReadsItsOwnChunkFiles) {
  HeadChunkFilesOptions files_opts;
  auto files_a = HeadChunkFiles::Open(Env::Default(), dir_ + "/a", files_opts, nullptr);
  auto files_b = HeadChunkFiles::Open(Env::Default(), dir_ + "/b", files_opts, nullptr);
  ASSERT_TRUE(files_a.ok() && files_b.ok());
  HeadOptions opts = SmallHeadOptions(1 << 30);
  opts.cut.files = files_a->get();
  Head a(opts, nullptr);
  opts.cut.files = files_b->get();
  Head b(opts, nullptr);
  Head plain(SmallHeadOptions(1 << 30), nullptr);
  for (int64_t t = 0; t < 120 * 4; ++t) {
    ASSERT_TRUE(AppendOne(&a, Series(0), t * 15000, static_cast<double>(t)).ok());
    ASSERT_TRUE(AppendOne(&b, Series(0), t * 15000, static_cast<double>(-t)).ok());
    ASSERT_TRUE(AppendOne(&plain, Series(0), t * 15000, static_cast<double>(t)).ok());
  }
  size_t heap = 0, on_disk = 0;
  ChunkStats(&a, 1, &heap, &on_disk);
  EXPECT_GE(on_disk, 3u);
  ChunkStats(&b, 1, &heap, &on_disk);
  EXPECT_GE(on_disk, 3u);
  const SeriesMap got_a = Query(&a, {Eq("__name__", "m")});
  const SeriesMap got_b = Query(&b, {Eq("__name__", "m")});
  EXPECT_TRUE(Same(got_a, Query(&plain, {Eq("__name__", "m")})));
  ASSERT_EQ(got_b.size(), 1u);
  ASSERT_EQ(got_b.begin()->second.size(), 480u);
  for (const Sample& s : got_b.begin()->second) ASSERT_EQ(s.v, -static_cast<double>(s.t / 15000)) << s.t;
  EXPECT_EQ((*files_a)->corruptions() + (*files_b)->corruptions(), 0u);
}

TEST_F(HeadChunksTest, FailedWritesKeepChunksInHeap) {
  wal::FaultInjectionEnv env(Env::Default());
  auto files = OpenFiles(128 << 20, &env);
  HeadOptions opts = SmallHeadOptions(1 << 30);
  Head plain(opts, nullptr);
  opts.cut.files = files.get();
  Head with(opts, nullptr);
  const int kSeries = 40;
  auto append = [&](int64_t from, int64_t to) {
    for (Head* h : {&plain, &with}) {
      for (int64_t t = from; t < to; ++t) {
        auto app = h->NewAppender();
        for (int i = 0; i < kSeries; ++i) ASSERT_TRUE(app->Append(0, Series(i), t * 1000, (t + i) % 13).ok());
        ASSERT_TRUE(app->Commit().ok());
      }
    }
  };
  env.SetWriteBudget(0);  // no space from the first flush on
  append(0, 120 * 20);
  EXPECT_GT(files->write_failures(), 0u);
  EXPECT_TRUE(Same(Query(&with, {Eq("__name__", "m")}), Query(&plain, {Eq("__name__", "m")})));
  size_t heap_full = 0, disk_full = 0;
  ChunkStats(&with, kSeries, &heap_full, &disk_full);
  // Space is back: later chunks leave the heap again.
  env.ClearFaults();
  append(120 * 20, 120 * 40);
  size_t heap = 0, disk = 0;
  ChunkStats(&with, kSeries, &heap, &disk);
  EXPECT_GT(disk, disk_full + kSeries * 4);
  EXPECT_TRUE(Same(Query(&with, {Eq("__name__", "m")}), Query(&plain, {Eq("__name__", "m")})));
}

TEST_F(HeadChunksTest, HeadTruncationDeletesOldSegments) {
  auto files = OpenFiles(4096);
  HeadOptions opts = SmallHeadOptions(1 << 30);
  opts.cut.files = files.get();
  Head head(opts, nullptr);
  for (int64_t t = 0; t < 120 * 100; ++t) {
    auto app = head.NewAppender();
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(app->Append(0, Series(i), t * 1000, (t + i) % 9).ok());
    ASSERT_TRUE(app->Commit().ok());
  }
  ASSERT_TRUE(files->Close().ok());  // write everything, so DiskBytes counts it all
  const size_t segments = files->NumSegments();
  const uint64_t bytes = files->DiskBytes();
  ASSERT_GT(segments, 5u);
  ASSERT_TRUE(head.Truncate(120 * 50 * 1000).ok());
  EXPECT_LT(files->NumSegments(), segments * 2 / 3);
  EXPECT_LT(files->DiskBytes(), bytes * 2 / 3);
  const SeriesMap got = Query(&head, {Eq("__name__", "m")});
  ASSERT_EQ(got.size(), 3u);
  for (const auto& [name, samples] : got) {
    ASSERT_FALSE(samples.empty());
    EXPECT_LE(samples.front().t, 120 * 50 * 1000) << name;  // the chunk holding mint stays
    EXPECT_EQ(samples.back().t, (120 * 100 - 1) * 1000) << name;
    for (size_t j = 1; j < samples.size(); ++j) ASSERT_EQ(samples[j].t, samples[j - 1].t + 1000) << name;
  }
}

TEST_F(HeadChunksTest, CorruptChunkIsReportedNotServed) {
  auto files = OpenFiles(128 << 20);
  HeadOptions opts = SmallHeadOptions(1 << 30);
  opts.cut.files = files.get();
  Head head(opts, nullptr);
  for (int64_t t = 0; t < 360; ++t) ASSERT_TRUE(AppendOne(&head, Series(1), t * 1000, 1).ok());
  ASSERT_TRUE(files->Close().ok());
  {
    std::fstream f(dir_ + "/chunks_head/000001", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(HeadChunkFiles::kSegmentHeaderSize + HeadChunkFiles::kRecordHeaderSize + 20);
    f.put('\x77');
  }
  auto s = head.GetOrCreate(Series(1));
  ASSERT_TRUE(s.ok());
  std::string bytes;
  {
    SeriesLock lock((*s)->mu());
    EXPECT_FALSE((*s)->CopyChunk(0, files.get(), &bytes));  // the corrupt first chunk
    EXPECT_TRUE((*s)->CopyChunk(1, files.get(), &bytes));
    // A chunk on disk needs the head's files: without them it is not served.
    EXPECT_FALSE((*s)->CopyChunk(1, nullptr, &bytes));
  }
  EXPECT_EQ(files->corruptions(), 1u);
}

TEST_F(HeadChunksTest, DBReopenReturnsSameDataFromWal) {
  DBOptions opts;
  opts.background_compaction = false;
  opts.head_chunk_segment_size = 16384;
  SeriesMap before;
  {
    auto db = DB::Open(dir_, opts, nullptr);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    auto app = (*db)->NewAppender();
    for (int64_t t = 0; t < 1200; ++t) {
      for (int i = 0; i < 5; ++i) ASSERT_TRUE(app->Append(0, Series(i), t * 15000, t * 0.5 + i).ok());
    }
    ASSERT_TRUE(app->Commit().ok());
    EXPECT_TRUE(fs::exists(dir_ + "/chunks_head/000001"));  // written to (buffered)
    auto q = (*db)->NewQuerier(kMinTime, kMaxTime);
    ASSERT_TRUE(q.ok());
    before = ReadAll(q->get(), {Eq("__name__", "m")});
    ASSERT_EQ(before.size(), 5u);
    ASSERT_EQ(before.begin()->second.size(), 1200u);
    ASSERT_TRUE((*db)->Close().ok());
  }
  auto db = DB::Open(dir_, opts, nullptr);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  auto q = (*db)->NewQuerier(kMinTime, kMaxTime);
  ASSERT_TRUE(q.ok());
  EXPECT_TRUE(Same(ReadAll(q->get(), {Eq("__name__", "m")}), before));
  // Replay wrote the chunks again, into files numbered from 1.
  EXPECT_TRUE(fs::exists(dir_ + "/chunks_head/000001"));
}

}  // namespace
}  // namespace promethium::tsdb
