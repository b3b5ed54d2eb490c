#include "tsdb/block/block.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <thread>

#include "tsdb/block/compactor.h"
#include "tsdb/chunkenc/xor_chunk.h"
#include "tsdb/head/head.h"
#include "tsdb/wal/fault_env_for_test.h"

namespace promethium::tsdb {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

Matcher M(MatchType type, std::string name, std::string value) { return *Matcher::Make(type, name, value); }
Matchers All() { return {M(MatchType::kRegexMatch, "__name__", ".+")}; }

// Series labels -> samples, as a querier returns them.
using SeriesMap = std::map<std::string, std::vector<std::pair<int64_t, double>>>;

SeriesMap Query(Querier* q, const Matchers& ms) {
  SeriesMap out;
  auto set = q->Select(true, nullptr, ms);
  while (set->Next()) {
    auto& samples = out[set->At().labels().ToString()];
    auto it = set->At().Iterator(nullptr);
    while (it->Next() != ValueType::kNone) samples.emplace_back(it->At().t, it->At().v);
    EXPECT_TRUE(it->Err().ok()) << it->Err().ToString();
  }
  EXPECT_TRUE(set->Err().ok()) << set->Err().ToString();
  return out;
}

// First error a full query hits (Select or iteration), or OK.
Status QueryError(Querier* q) {
  auto set = q->Select(true, nullptr, All());
  while (set->Next()) {
    auto it = set->At().Iterator(nullptr);
    while (it->Next() != ValueType::kNone) {
    }
    if (!it->Err().ok()) return it->Err();
  }
  return set->Err();
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "block_test_XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

constexpr int64_t kStep = 15000;

// Realistic-ish scrape data: 15 s interval with ms jitter; counters,
// gauges and histogram buckets over a few jobs and instances.
void FillHead(Head* head, int series, int samples, int64_t start = 0, uint32_t seed = 1) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> jitter(-40, 40);
  std::vector<Labels> labels;
  for (int i = 0; i < series; ++i) {
    const std::string job = "job" + std::to_string(i % 3), inst = "host" + std::to_string(i % 7) + ":9100";
    switch (i % 3) {
      case 0:
        labels.push_back(Labels{
            {"__name__", "http_requests_total"}, {"job", job}, {"instance", inst}, {"code", std::to_string(200 + i)}});
        break;
      case 1:
        labels.push_back(Labels{
            {"__name__", "node_memory_free_bytes"}, {"job", job}, {"instance", inst}, {"id", std::to_string(i)}});
        break;
      default:
        labels.push_back(Labels{{"__name__", "request_duration_seconds_bucket"},
                                {"job", job},
                                {"instance", inst},
                                {"le", std::to_string(i * 0.05)}});
    }
  }
  std::vector<double> values(series, 0);
  for (int s = 0; s < samples; ++s) {
    auto app = head->NewAppender();
    for (int i = 0; i < series; ++i) {
      const int64_t t = start + s * kStep + jitter(rng);
      values[i] = (i % 3 == 1) ? 1e9 + (rng() % 1000000) * 4096.0 : values[i] + (rng() % 50);
      ASSERT_TRUE(app->Append(0, labels[i], t, values[i]).ok());
    }
    ASSERT_TRUE(app->Commit().ok());
  }
}

Result<BlockMeta> WriteFromHeads(Env* env, const std::string& dir, std::vector<Head*> heads, int64_t mint, int64_t maxt,
                                 const BlockWriteOptions& opts = {}) {
  std::vector<std::unique_ptr<IndexReader>> ixs;
  std::vector<std::unique_ptr<ChunkReader>> crs;
  std::vector<BlockSource> sources;
  for (Head* h : heads) {
    ixs.push_back(h->NewIndexReader());
    crs.push_back(h->NewChunkReader());
    sources.push_back({ixs.back().get(), crs.back().get()});
  }
  return WriteBlock(env, dir, sources, mint, maxt, BlockCompaction{}, opts);
}

std::shared_ptr<Block> OpenBlock(const std::string& dir) {
  auto b = Block::Open(Env::Default(), dir);
  EXPECT_TRUE(b.ok()) << b.status().ToString();
  return b.ok() ? *b : nullptr;
}

std::set<std::string> LabelSetsOf(IndexReader* ix, std::unique_ptr<Postings> p) {
  std::set<std::string> out;
  for (SeriesRef ref : ExpandPostings(p.get())) {
    Labels l;
    EXPECT_TRUE(ix->Series(ref, &l, nullptr).ok());
    out.insert(l.ToString());
  }
  return out;
}

class BlockTest : public ::testing::Test {
 protected:
  BlockTest() : head_(HeadOptions{}, nullptr) {}
  Env* env() { return Env::Default(); }
  TempDir tmp_;
  Head head_;
};

TEST_F(BlockTest, WriteFromHeadReadsBackEqual) {
  FillHead(&head_, 60, 500);
  auto meta = WriteFromHeads(env(), tmp_.path(), {&head_}, -1000, 500 * kStep + 1000);
  ASSERT_TRUE(meta.ok()) << meta.status().ToString();
  EXPECT_EQ(meta->stats.num_series, 60u);
  EXPECT_EQ(meta->stats.num_samples, 60u * 500);
  EXPECT_EQ(meta->compaction.level, 1);
  EXPECT_EQ(meta->compaction.sources, std::vector<std::string>{meta->ulid});
  ASSERT_TRUE(fs::exists(tmp_.path() + "/" + meta->ulid + "/chunks/000001"));
  auto block = OpenBlock(tmp_.path() + "/" + meta->ulid);
  ASSERT_NE(block, nullptr);
  EXPECT_EQ(block->meta().ulid, meta->ulid);
  EXPECT_EQ(block->meta().stats.num_chunks, meta->stats.num_chunks);
  EXPECT_GT(block->SizeBytes(), 0u);

  auto hq = head_.NewQuerier(kMinTime, kMaxTime);
  auto bq = block->NewQuerier(kMinTime, kMaxTime);
  SeriesMap want = Query(hq.get(), All());
  ASSERT_EQ(want.size(), 60u);
  EXPECT_EQ(Query(bq.get(), All()), want);
  // A selective query over a sub-range.
  Matchers sel = {M(MatchType::kEqual, "job", "job1"), M(MatchType::kRegexMatch, "instance", "host[0-3]:9100")};
  auto hq2 = head_.NewQuerier(100 * kStep, 200 * kStep);
  auto bq2 = block->NewQuerier(100 * kStep, 200 * kStep);
  EXPECT_EQ(Query(bq2.get(), sel), Query(hq2.get(), sel));
  EXPECT_FALSE(Query(bq2.get(), sel).empty());

  // Index lookups.
  EXPECT_EQ(*bq->LabelNames({}), *hq->LabelNames({}));
  EXPECT_EQ(*bq->LabelValues("instance", {}), *hq->LabelValues("instance", {}));
  EXPECT_EQ(*bq->LabelValues("le", {M(MatchType::kEqual, "job", "job2")}),
            *hq->LabelValues("le", {M(MatchType::kEqual, "job", "job2")}));
  auto hix = head_.NewIndexReader();
  auto bix = block->NewIndexReader();
  EXPECT_EQ(LabelSetsOf(bix.get(), bix->PostingsFor("job", {"job0", "job2", "nope"})),
            LabelSetsOf(hix.get(), hix->PostingsFor("job", {"job0", "job2", "nope"})));
  EXPECT_EQ(LabelSetsOf(bix.get(), bix->AllPostings()), LabelSetsOf(hix.get(), hix->AllPostings()));
  EXPECT_EQ(ExpandPostings(bix->PostingsFor("job", {"missing"}).get()).size(), 0u);
  // Refs ascend in label order.
  Labels prev;
  for (SeriesRef ref : ExpandPostings(bix->AllPostings().get())) {
    Labels l;
    ASSERT_TRUE(bix->Series(ref, &l, nullptr).ok());
    EXPECT_LT(prev, l);
    prev = l;
  }
}

TEST_F(BlockTest, ClipsToRangeAndKeepsSamplesPastChunkBoundaries) {
  FillHead(&head_, 20, 400);
  const int64_t mint = 100 * kStep + 7, maxt = 250 * kStep + 3;
  auto meta = WriteFromHeads(env(), tmp_.path(), {&head_}, mint, maxt);
  ASSERT_TRUE(meta.ok()) << meta.status().ToString();
  EXPECT_EQ(meta->min_time, mint);
  EXPECT_EQ(meta->max_time, maxt);
  auto block = OpenBlock(tmp_.path() + "/" + meta->ulid);
  ASSERT_NE(block, nullptr);
  auto hq = head_.NewQuerier(mint, maxt - 1);
  auto bq = block->NewQuerier(kMinTime, kMaxTime);
  SeriesMap want = Query(hq.get(), All());
  EXPECT_EQ(Query(bq.get(), All()), want);
  uint64_t n = 0;
  for (auto& [k, v] : want) n += v.size();
  EXPECT_EQ(meta->stats.num_samples, n);
}

TEST_F(BlockTest, MergesOverlappingSourcesDroppingDuplicates) {
  Head other(HeadOptions{}, nullptr);
  const Labels x{{"__name__", "x"}}, y{{"__name__", "y"}};
  std::map<int64_t, double> want_x;
  {
    auto app = head_.NewAppender();
    for (int64_t t = 0; t < 3000; t += 10) {
      ASSERT_TRUE(app->Append(0, x, t, 1).ok());
      want_x[t] = 1;
    }
    ASSERT_TRUE(app->Commit().ok());
  }
  {
    auto app = other.NewAppender();
    for (int64_t t = 1500; t < 5000; t += 5) {  // every other one duplicates a head_ timestamp
      ASSERT_TRUE(app->Append(0, x, t, 2).ok());
      want_x.emplace(t, 2);  // the first source wins on duplicates
      ASSERT_TRUE(app->Append(0, y, t, 3).ok());
    }
    ASSERT_TRUE(app->Commit().ok());
  }
  auto meta = WriteFromHeads(env(), tmp_.path(), {&head_, &other}, 0, 10000);
  ASSERT_TRUE(meta.ok()) << meta.status().ToString();
  EXPECT_EQ(meta->stats.num_series, 2u);
  auto block = OpenBlock(tmp_.path() + "/" + meta->ulid);
  ASSERT_NE(block, nullptr);
  auto q = block->NewQuerier(kMinTime, kMaxTime);
  SeriesMap got = Query(q.get(), All());
  std::vector<std::pair<int64_t, double>> want_vec(want_x.begin(), want_x.end());
  EXPECT_EQ(got[x.ToString()], want_vec);
  EXPECT_EQ(got[y.ToString()].size(), 700u);
  EXPECT_EQ(meta->stats.num_samples, want_vec.size() + 700);
  // Re-encoded chunks hold at most 120 samples and do not overlap.
  auto ix = block->NewIndexReader();
  auto cr = block->NewChunkReader();
  auto ps = ix->PostingsFor("__name__", {"x"});
  ASSERT_TRUE(ps->Next());
  Labels l;
  std::vector<ChunkMeta> chunks;
  ASSERT_TRUE(ix->Series(ps->At(), &l, &chunks).ok());
  for (size_t i = 0; i < chunks.size(); ++i) {
    std::string bytes;
    ASSERT_TRUE(cr->Chunk(chunks[i], &bytes).ok());
    auto c = XorChunk::FromBytes(bytes);
    ASSERT_TRUE(c.ok());
    EXPECT_LE(c->NumSamples(), 120);
    if (i > 0) {
      EXPECT_GT(chunks[i].min_time, chunks[i - 1].max_time);
    }
  }
}

// Randomised: three sources with overlapping series and time ranges, merged
// and clipped, against a model (first source wins on equal timestamps).
TEST_F(BlockTest, RandomMergeMatchesModel) {
  std::mt19937 rng(7);
  for (int round = 0; round < 5; ++round) {
    std::vector<std::unique_ptr<Head>> heads;
    std::map<std::string, std::map<int64_t, double>> model;
    const int64_t mint = static_cast<int64_t>(rng() % 3000), maxt = mint + 2000 + static_cast<int64_t>(rng() % 4000);
    for (int h = 0; h < 3; ++h) {
      heads.push_back(std::make_unique<Head>(HeadOptions{}, nullptr));
      auto app = heads.back()->NewAppender();
      for (int s = 0; s < 8; ++s) {
        if (rng() % 3 == 0) continue;  // this source lacks the series
        const Labels l{{"__name__", "m"}, {"s", std::to_string(s)}};
        int64_t t = static_cast<int64_t>(rng() % 2000);
        const int n = static_cast<int>(rng() % 400);
        for (int k = 0; k < n; ++k) {
          t += 1 + static_cast<int64_t>(rng() % 20);
          const double v = h * 1000 + k;
          ASSERT_TRUE(app->Append(0, l, t, v).ok());
          if (t >= mint && t < maxt) model[l.ToString()].emplace(t, v);  // emplace: first source wins
        }
      }
      ASSERT_TRUE(app->Commit().ok());
    }
    SeriesMap want;
    for (const auto& [name, samples] : model) want[name].assign(samples.begin(), samples.end());
    auto meta = WriteFromHeads(env(), tmp_.path(), {heads[0].get(), heads[1].get(), heads[2].get()}, mint, maxt);
    if (want.empty()) {
      EXPECT_EQ(meta.status().code(), Status::Code::kNotFound);
      continue;
    }
    ASSERT_TRUE(meta.ok()) << meta.status().ToString();
    EXPECT_EQ(meta->stats.num_series, want.size());
    auto block = OpenBlock(tmp_.path() + "/" + meta->ulid);
    ASSERT_NE(block, nullptr);
    auto q = block->NewQuerier(kMinTime, kMaxTime);
    EXPECT_EQ(Query(q.get(), All()), want) << "round " << round;
  }
}

TEST_F(BlockTest, EmptyResultWritesNothing) {
  FillHead(&head_, 3, 10);
  auto meta = WriteFromHeads(env(), tmp_.path(), {&head_}, 1000 * kStep, 2000 * kStep);
  ASSERT_FALSE(meta.ok());
  EXPECT_EQ(meta.status().code(), Status::Code::kNotFound);
  EXPECT_TRUE(fs::is_empty(tmp_.path()));
}

TEST_F(BlockTest, TombstonesHonouredByQueriesAndDroppedByRewrite) {
  FillHead(&head_, 30, 300);
  auto meta = WriteFromHeads(env(), tmp_.path(), {&head_}, kMinTime, kMaxTime);
  ASSERT_TRUE(meta.ok()) << meta.status().ToString();
  const std::string dir = tmp_.path() + "/" + meta->ulid;
  auto block = OpenBlock(dir);
  ASSERT_NE(block, nullptr);
  auto before = block->NewQuerier(kMinTime, kMaxTime);  // keeps its snapshot
  SeriesMap orig = Query(before.get(), All());

  const int64_t del_min = 50 * kStep, del_max = 80 * kStep;
  ASSERT_TRUE(block->Delete(del_min, del_max, {M(MatchType::kEqual, "job", "job0")}).ok());
  ASSERT_TRUE(block->Delete(kMinTime, kMaxTime, {M(MatchType::kEqual, "id", "1")}).ok());  // a whole series
  EXPECT_EQ(block->meta().stats.num_tombstones, 11u);                                      // 10 job0 series + 1
  EXPECT_TRUE(fs::exists(dir + "/tombstones"));

  SeriesMap want;
  for (const auto& [name, samples] : orig) {
    if (name.find("id=\"1\"") != std::string::npos) continue;
    auto& out = want[name];
    for (const auto& s : samples) {
      if (name.find("job0") != std::string::npos && s.first >= del_min && s.first <= del_max) continue;
      out.push_back(s);
    }
  }
  auto q = block->NewQuerier(kMinTime, kMaxTime);
  EXPECT_EQ(Query(q.get(), All()), want);
  EXPECT_EQ(Query(before.get(), All()), orig);  // an older querier is unaffected

  // Persisted: a reopened block sees the same.
  auto reopened = OpenBlock(dir);
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(reopened->meta().stats.num_tombstones, 11u);
  auto q2 = reopened->NewQuerier(kMinTime, kMaxTime);
  EXPECT_EQ(Query(q2.get(), All()), want);

  // Rewriting the block through its readers drops the deleted data for good.
  auto ix = reopened->NewIndexReader();
  auto cr = reopened->NewChunkReader();
  BlockSource src{ix.get(), cr.get()};
  BlockMeta parent = reopened->meta();
  auto rewritten = WriteBlock(env(), tmp_.path(), std::span(&src, 1), parent.min_time, parent.max_time,
                              CompactBlockMetas({parent}).compaction);
  ASSERT_TRUE(rewritten.ok()) << rewritten.status().ToString();
  EXPECT_EQ(rewritten->stats.num_tombstones, 0u);
  EXPECT_EQ(rewritten->stats.num_series, 29u);
  EXPECT_EQ(rewritten->compaction.level, 2);
  EXPECT_EQ(rewritten->compaction.sources, std::vector<std::string>{meta->ulid});
  auto fresh = OpenBlock(tmp_.path() + "/" + rewritten->ulid);
  ASSERT_NE(fresh, nullptr);
  EXPECT_FALSE(fs::exists(tmp_.path() + "/" + rewritten->ulid + "/tombstones"));
  auto q3 = fresh->NewQuerier(kMinTime, kMaxTime);
  EXPECT_EQ(Query(q3.get(), All()), want);
}

TEST_F(BlockTest, DeleteOutsideDataIsNoop) {
  FillHead(&head_, 3, 10);
  auto meta = WriteFromHeads(env(), tmp_.path(), {&head_}, kMinTime, kMaxTime);
  ASSERT_TRUE(meta.ok());
  auto block = OpenBlock(tmp_.path() + "/" + meta->ulid);
  ASSERT_TRUE(block->Delete(1000 * kStep, 2000 * kStep, All()).ok());
  EXPECT_EQ(block->NumTombstones(), 0u);
  EXPECT_FALSE(fs::exists(tmp_.path() + "/" + meta->ulid + "/tombstones"));
  EXPECT_FALSE(block->Delete(0, 1, {M(MatchType::kNotEqual, "job", "x")}).ok());  // no non-empty matcher
}

void FlipByte(const std::string& path, uint64_t offset) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset));
  char c;
  f.read(&c, 1);
  c ^= 0x20;
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(&c, 1);
}

TEST_F(BlockTest, CorruptionIsDetectedWithPathAndOffset) {
  FillHead(&head_, 10, 200);
  auto meta = WriteFromHeads(env(), tmp_.path(), {&head_}, kMinTime, kMaxTime);
  ASSERT_TRUE(meta.ok());
  const std::string dir = tmp_.path() + "/" + meta->ulid;
  const std::string copy = tmp_.path() + "/copy";
  fs::copy(dir, copy, fs::copy_options::recursive);
  auto reset = [&] {
    fs::remove_all(dir);
    fs::copy(copy, dir, fs::copy_options::recursive);
  };

  // Every byte position class of the index: header, symbols, series, postings, TOC.
  const uint64_t index_size = fs::file_size(dir + "/index");
  for (uint64_t off : {uint64_t{2}, uint64_t{20}, index_size / 2, index_size - 60, index_size - 10}) {
    reset();
    FlipByte(dir + "/index", off);
    auto b = Block::Open(env(), dir);
    ASSERT_FALSE(b.ok()) << "offset " << off;
    EXPECT_EQ(b.status().code(), Status::Code::kCorruption);
    EXPECT_THAT(b.status().message(), HasSubstr("corrupt: " + dir + "/index at offset "));
  }

  // A chunk group: Open succeeds (groups are verified on read), the query fails.
  reset();
  FlipByte(dir + "/chunks/000001", 40);
  auto b = Block::Open(env(), dir);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  auto q = (*b)->NewQuerier(kMinTime, kMaxTime);
  Status st = QueryError(q.get());
  EXPECT_EQ(st.code(), Status::Code::kCorruption);
  EXPECT_THAT(st.message(), HasSubstr("corrupt: " + dir + "/chunks/000001 at offset 8: group checksum mismatch"));

  // tombstones.
  reset();
  {
    auto blk = Block::Open(env(), dir);
    ASSERT_TRUE(blk.ok());
    ASSERT_TRUE((*blk)->Delete(0, 100 * kStep, All()).ok());
  }
  FlipByte(dir + "/tombstones", 7);
  auto t = Block::Open(env(), dir);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), Status::Code::kCorruption);
  EXPECT_THAT(t.status().message(), HasSubstr("corrupt: " + dir + "/tombstones at offset "));

  // meta.json.
  reset();
  FlipByte(dir + "/meta.json", 0);
  auto m = Block::Open(env(), dir);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), Status::Code::kCorruption);
  EXPECT_THAT(m.status().message(), HasSubstr("corrupt: " + dir + "/meta.json at offset 0"));
}

TEST_F(BlockTest, NoSpaceLeavesNoBlockBehind) {
  FillHead(&head_, 30, 300);
  wal::FaultInjectionEnv fault(Env::Default());
  for (int64_t budget : {0, 100, 5000, 20000}) {
    fault.SetWriteBudget(budget);
    auto meta = WriteFromHeads(&fault, tmp_.path(), {&head_}, kMinTime, kMaxTime);
    ASSERT_FALSE(meta.ok()) << budget;
    EXPECT_EQ(meta.status().code(), Status::Code::kIOError);
    EXPECT_TRUE(fs::is_empty(tmp_.path())) << budget;
  }
  fault.ClearFaults();
  fault.SetFailSync(true);
  ASSERT_FALSE(WriteFromHeads(&fault, tmp_.path(), {&head_}, kMinTime, kMaxTime).ok());
  EXPECT_TRUE(fs::is_empty(tmp_.path()));
  fault.ClearFaults();
  ASSERT_TRUE(WriteFromHeads(&fault, tmp_.path(), {&head_}, kMinTime, kMaxTime).ok());
  EXPECT_TRUE(IsTmpBlockDir("01ARZ3NDEKTSV4RRFFQ69G5FAV.tmp-for-creation"));
  EXPECT_FALSE(IsTmpBlockDir("01ARZ3NDEKTSV4RRFFQ69G5FAV"));
}

// Removing leftover tmp dirs is DB::Open's, after the data-dir survey
// proved them ours (tsdb/datadir/, db_compaction_test).
TEST_F(BlockTest, ListsBlocks) {
  FillHead(&head_, 3, 10);
  auto a = WriteFromHeads(env(), tmp_.path(), {&head_}, kMinTime, kMaxTime);
  auto b = WriteFromHeads(env(), tmp_.path(), {&head_}, kMinTime, kMaxTime);
  ASSERT_TRUE(a.ok() && b.ok());
  fs::create_directories(tmp_.path() + "/wal");
  fs::create_directories(tmp_.path() + "/" + NewUlid(5) + kTmpForCreationSuffix + "/chunks");
  fs::create_directories(tmp_.path() + "/" + NewUlid(6));  // no meta.json: not a block
  auto dirs = ListBlockDirs(env(), tmp_.path());
  ASSERT_TRUE(dirs.ok());
  EXPECT_EQ(*dirs, (std::vector<std::string>{std::min(a->ulid, b->ulid), std::max(a->ulid, b->ulid)}));
}

TEST_F(BlockTest, CutsSegmentsAndReadsAcrossThem) {
  FillHead(&head_, 40, 600);
  BlockWriteOptions opts;
  opts.chunks.zstd_level = 0;
  opts.chunks.group_target_bytes = 4096;
  opts.chunks.segment_max_bytes = (1 << 20) + (40 << 10);  // ~32 KiB of groups per segment
  auto meta = WriteFromHeads(env(), tmp_.path(), {&head_}, kMinTime, kMaxTime, opts);
  ASSERT_TRUE(meta.ok()) << meta.status().ToString();
  const std::string dir = tmp_.path() + "/" + meta->ulid;
  EXPECT_TRUE(fs::exists(dir + "/chunks/000002"));
  for (const auto& e : fs::directory_iterator(dir + "/chunks")) EXPECT_LE(e.file_size(), opts.chunks.segment_max_bytes);
  auto block = OpenBlock(dir);
  ASSERT_NE(block, nullptr);
  auto hq = head_.NewQuerier(kMinTime, kMaxTime);
  auto bq = block->NewQuerier(kMinTime, kMaxTime);
  EXPECT_EQ(Query(bq.get(), All()), Query(hq.get(), All()));
}

TEST_F(BlockTest, ConcurrentQueriesAndDroppedBlock) {
  FillHead(&head_, 30, 300);
  auto meta = WriteFromHeads(env(), tmp_.path(), {&head_}, kMinTime, kMaxTime);
  ASSERT_TRUE(meta.ok());
  auto block = OpenBlock(tmp_.path() + "/" + meta->ulid);
  auto hq = head_.NewQuerier(kMinTime, kMaxTime);
  const SeriesMap want = Query(hq.get(), All());
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      for (int k = 0; k < 5; ++k) {
        auto q = block->NewQuerier(kMinTime, kMaxTime);
        if (Query(q.get(), All()) != want) mismatches++;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(mismatches.load(), 0);
  auto q = block->NewQuerier(kMinTime, kMaxTime);
  block.reset();  // the DB drops the block; the querier keeps it alive
  EXPECT_EQ(Query(q.get(), All()), want);
}

}  // namespace
}  // namespace promethium::tsdb
