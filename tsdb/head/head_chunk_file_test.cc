#include "tsdb/head/head_chunk_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tsdb/wal/fault_env_for_test.h"

namespace promethium::tsdb {
namespace {

namespace fs = std::filesystem;

class HeadChunkFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (fs::temp_directory_path() / ("promethium_hchunks_" + std::to_string(::getpid()) + "_" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name()))
               .string();
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<HeadChunkFiles> Open(uint64_t segment_size, Env* env = Env::Default()) {
    HeadChunkFilesOptions opts;
    opts.segment_size = segment_size;
    auto files = HeadChunkFiles::Open(env, dir_, opts, &metrics_);
    EXPECT_TRUE(files.ok()) << files.status().ToString();
    return files.ok() ? std::move(*files) : nullptr;
  }
  std::vector<std::string> Files() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir_)) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }
  static std::string Chunk(int i, size_t size) {
    std::string s(size, '\0');
    for (size_t j = 0; j < size; ++j) s[j] = static_cast<char>((i * 31 + j * 7) & 0xff);
    return s;
  }

  std::string dir_;
  MetricsRegistry metrics_;
};

TEST_F(HeadChunkFilesTest, RoundTripBufferedAndWritten) {
  auto files = Open(128 << 20);
  std::vector<uint64_t> refs;
  // Enough to pass the write buffer several times: early records are read
  // from the file, late ones from the buffer.
  for (int i = 0; i < 300; ++i) {
    auto ref = files->Append(static_cast<SeriesRef>(i + 1), i * 1000, i * 1000 + 999, Chunk(i, 200 + i % 50));
    ASSERT_TRUE(ref.ok()) << ref.status().ToString();
    EXPECT_NE(*ref, 0u);
    refs.push_back(*ref);
  }
  EXPECT_GT(files->DiskBytes(), 0u);
  EXPECT_GT(files->BufferedBytes(), 0u);
  EXPECT_LT(files->BufferedBytes(), HeadChunkFiles::kWriteBuffer);
  for (int i = 0; i < 300; ++i) {
    std::string out;
    ASSERT_TRUE(files->Read(refs[i], &out).ok()) << i;
    EXPECT_EQ(out, Chunk(i, 200 + i % 50)) << i;
  }
  // A chunk larger than the speculative first read takes a second one.
  auto big = files->Append(7, 0, 1, Chunk(9, 5000));
  ASSERT_TRUE(big.ok());
  ASSERT_TRUE(files->Close().ok());  // everything is in the file now
  EXPECT_EQ(files->BufferedBytes(), 0u);
  std::string out;
  ASSERT_TRUE(files->Read(*big, &out).ok());
  EXPECT_EQ(out, Chunk(9, 5000));
  ASSERT_TRUE(files->Read(refs[299], &out).ok());
  EXPECT_EQ(out, Chunk(299, 200 + 299 % 50));
  EXPECT_EQ(files->Read(files->PackRef(42, 8), &out).code(), Status::Code::kNotFound);
}

TEST_F(HeadChunkFilesTest, RotatesAtSegmentSize) {
  auto files = Open(4096);
  std::vector<uint64_t> refs;
  for (int i = 0; i < 100; ++i) {
    auto ref = files->Append(1, i, i, Chunk(i, 300));
    ASSERT_TRUE(ref.ok());
    refs.push_back(*ref);
  }
  ASSERT_TRUE(files->Close().ok());
  // 333-byte records, 12 per 4 KiB segment (8-byte header).
  EXPECT_EQ(files->NumSegments(), 9u);
  EXPECT_EQ(Files().front(), "000001");
  EXPECT_EQ(Files().back(), "000009");
  for (const std::string& name : Files()) EXPECT_LE(fs::file_size(dir_ + "/" + name), 4096u) << name;
  EXPECT_EQ(HeadChunkFiles::RefSegment(refs[11]), 1u);
  EXPECT_EQ(HeadChunkFiles::RefSegment(refs[12]), 2u);
  EXPECT_EQ(HeadChunkFiles::RefOffset(refs[12]), HeadChunkFiles::kSegmentHeaderSize);
  for (int i = 0; i < 100; ++i) {
    std::string out;
    ASSERT_TRUE(files->Read(refs[i], &out).ok());
    EXPECT_EQ(out, Chunk(i, 300));
  }
}

TEST_F(HeadChunkFilesTest, TruncateDeletesOnlyOldSegments) {
  auto files = Open(4096);
  // Segment k holds chunks with max times 100*k .. 100*k + 11.
  std::vector<uint64_t> refs;
  for (int i = 0; i < 36; ++i) {
    auto ref = files->Append(1, 0, (i / 12) * 100 + i % 12, Chunk(i, 300));
    ASSERT_TRUE(ref.ok());
    refs.push_back(*ref);
  }
  ASSERT_EQ(files->NumSegments(), 3u);
  ASSERT_TRUE(files->Truncate(111).ok());  // segment 2's newest chunk ends at 111: kept
  EXPECT_EQ(Files(), (std::vector<std::string>{"000002", "000003"}));
  std::string out;
  EXPECT_EQ(files->Read(refs[0], &out).code(), Status::Code::kNotFound);
  ASSERT_TRUE(files->Read(refs[12], &out).ok());
  EXPECT_EQ(out, Chunk(12, 300));
  // The segment being written survives even when all its chunks are old.
  ASSERT_TRUE(files->Truncate(1000000).ok());
  EXPECT_EQ(Files(), (std::vector<std::string>{"000003"}));
  ASSERT_TRUE(files->Read(refs[35], &out).ok());
  EXPECT_EQ(out, Chunk(35, 300));
  EXPECT_LE(files->DiskBytes(), 4096u);
}

TEST_F(HeadChunkFilesTest, CorruptionReportsPathAndOffset) {
  auto files = Open(128 << 20);
  auto a = files->Append(1, 0, 10, Chunk(1, 100));
  auto b = files->Append(1, 11, 20, Chunk(2, 100));
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(files->Close().ok());
  const uint32_t off = HeadChunkFiles::RefOffset(*b);
  {
    std::fstream f(dir_ + "/000001", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(off + HeadChunkFiles::kRecordHeaderSize + 50);
    f.put('\x5a');
  }
  std::string out;
  ASSERT_TRUE(files->Read(*a, &out).ok());
  Status st = files->Read(*b, &out);
  EXPECT_EQ(st.code(), Status::Code::kCorruption);
  EXPECT_NE(st.ToString().find(dir_ + "/000001"), std::string::npos) << st.ToString();
  EXPECT_NE(st.ToString().find("offset " + std::to_string(off)), std::string::npos) << st.ToString();
  EXPECT_EQ(files->corruptions(), 1u);
  EXPECT_NE(metrics_.RenderText().find("prometheus_tsdb_mmap_chunk_corruptions_total 1"), std::string::npos);
}

TEST_F(HeadChunkFilesTest, ReopenClearsOldSegments) {
  {
    auto files = Open(4096);
    for (int i = 0; i < 30; ++i) ASSERT_TRUE(files->Append(1, i, i, Chunk(i, 300)).ok());
  }
  ASSERT_EQ(Files().size(), 3u);
  std::ofstream(dir_ + "/notes.txt") << "kept";
  auto files = Open(4096);
  EXPECT_EQ(Files(), (std::vector<std::string>{"notes.txt"}));
  auto ref = files->Append(1, 0, 0, Chunk(0, 10));
  ASSERT_TRUE(ref.ok());
  EXPECT_EQ(HeadChunkFiles::RefSegment(*ref), 1u);  // numbering starts over
}

TEST_F(HeadChunkFilesTest, FailedWriteKeepsRecordsReadable) {
  wal::FaultInjectionEnv env(Env::Default());
  auto files = Open(128 << 20, &env);
  std::vector<uint64_t> refs;
  for (int i = 0; i < 50; ++i) {  // under the write buffer: nothing written yet
    auto ref = files->Append(1, i, i, Chunk(i, 300));
    ASSERT_TRUE(ref.ok());
    refs.push_back(*ref);
  }
  env.SetWriteBudget(100);  // the flush tears after 100 bytes
  int failed = 0;
  for (int i = 50; i < 200; ++i) {
    auto ref = files->Append(1, i, i, Chunk(i, 300));
    if (!ref.ok()) {
      ++failed;
      continue;
    }
    refs.push_back(*ref);
  }
  EXPECT_GT(failed, 0);
  EXPECT_EQ(files->write_failures(), static_cast<uint64_t>(failed));
  // Every ref handed out still reads back: the torn segment's records stay
  // in memory.
  for (uint64_t ref : refs) {
    std::string out;
    ASSERT_TRUE(files->Read(ref, &out).ok())
        << HeadChunkFiles::RefSegment(ref) << ":" << HeadChunkFiles::RefOffset(ref);
  }
  env.ClearFaults();
  auto after = files->Append(1, 500, 500, Chunk(500, 300));
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_GT(HeadChunkFiles::RefSegment(*after), 1u);  // a fresh segment, not the torn one
  std::string out;
  ASSERT_TRUE(files->Read(*after, &out).ok());
  EXPECT_EQ(out, Chunk(500, 300));
}

// A ref is read through the file set that issued it; another set refuses
// it (different tags) rather than serving its own record at that offset.
TEST_F(HeadChunkFilesTest, RefsReadOnlyThroughTheirOwnFiles) {
  auto a = Open(128 << 20);
  HeadChunkFilesOptions opts;
  auto b = HeadChunkFiles::Open(Env::Default(), dir_ + "/b", opts, nullptr);
  ASSERT_TRUE(b.ok());
  auto ra = a->Append(1, 0, 0, Chunk(1, 50));
  auto rb = (*b)->Append(1, 0, 0, Chunk(2, 50));
  ASSERT_TRUE(ra.ok() && rb.ok());
  EXPECT_NE(*ra, *rb);  // same segment and offset, different tag
  EXPECT_EQ(HeadChunkFiles::RefSegment(*ra), HeadChunkFiles::RefSegment(*rb));
  EXPECT_EQ(HeadChunkFiles::RefOffset(*ra), HeadChunkFiles::RefOffset(*rb));
  std::string out;
  EXPECT_EQ(a->Read(*rb, &out).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ((*b)->Read(*ra, &out).code(), Status::Code::kInvalidArgument);
  ASSERT_TRUE((*b)->Read(*rb, &out).ok());
  EXPECT_EQ(out, Chunk(2, 50));
  b->reset();  // closing one set leaves the other readable
  ASSERT_TRUE(a->Read(*ra, &out).ok());
  EXPECT_EQ(out, Chunk(1, 50));
}

// No process-wide table limits how many file sets are open at once (it
// used to stop at 255).
TEST_F(HeadChunkFilesTest, ManyFileSetsOpenAtOnce) {
  std::vector<std::unique_ptr<HeadChunkFiles>> sets;
  std::vector<uint64_t> refs;
  for (int i = 0; i < 300; ++i) {
    auto files = HeadChunkFiles::Open(Env::Default(), dir_ + "/" + std::to_string(i), HeadChunkFilesOptions{}, nullptr);
    ASSERT_TRUE(files.ok()) << i << ": " << files.status().ToString();
    auto ref = (*files)->Append(1, 0, 0, Chunk(i, 40));
    ASSERT_TRUE(ref.ok());
    sets.push_back(std::move(*files));
    refs.push_back(*ref);
  }
  for (int i = 0; i < 300; ++i) {
    std::string out;
    ASSERT_TRUE(sets[i]->Read(refs[i], &out).ok()) << i;
    EXPECT_EQ(out, Chunk(i, 40)) << i;
  }
}

TEST_F(HeadChunkFilesTest, ConcurrentAppendsAndReads) {
  auto files = Open(16384);
  auto work = [&](int thread) {
    std::vector<std::pair<uint64_t, int>> mine;
    for (int i = 0; i < 400; ++i) {
      const int id = thread * 1000 + i;
      auto ref = files->Append(static_cast<SeriesRef>(thread), i, i, Chunk(id, 100 + i % 200));
      ASSERT_TRUE(ref.ok());
      mine.emplace_back(*ref, id);
      const auto& [r, want] = mine[static_cast<size_t>(i) / 2];  // an older one, maybe in a file by now
      std::string out;
      ASSERT_TRUE(files->Read(r, &out).ok());
      ASSERT_EQ(out, Chunk(want, 100 + (want % 1000) % 200));
    }
  };
  std::thread t1(work, 1), t2(work, 2);
  t1.join();
  t2.join();
  EXPECT_GT(files->NumSegments(), 2u);
}

}  // namespace
}  // namespace promethium::tsdb
