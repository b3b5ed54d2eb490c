// Native-histogram chunks in blocks: written and read back with their
// encoding in both block formats, merged, clipped and tombstoned by the
// block writer and readers without losing a sample or its type, and counted
// apart in meta.json.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <bit>
#include <filesystem>
#include <map>

#include "tsdb/block/block.h"
#include "tsdb/block/compactor.h"
#include "tsdb/chunkenc/chunk_encoding.h"
#include "tsdb/index/postings.h"
#include "tsdb/querier/typed_samples_for_test.h"

namespace promethium::tsdb {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "block_histogram_test_XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct FakeChunk {
  ChunkEncoding encoding;
  std::string bytes;
  int64_t min_time, max_time;
};

// Encodes points of one type (ascending) into one chunk.
FakeChunk EncodeChunk(const std::vector<Point>& points) {
  FakeChunk c{ChunkEncoding::kXor, "", points.front().t, points.back().t};
  if (points.front().type == ValueType::kFloat) {
    XorChunk chunk;
    XorAppender app(&chunk);
    for (const Point& p : points) app.Append(p.t, p.v);
    c.bytes = chunk.Bytes();
  } else if (points.front().type == ValueType::kHistogram) {
    HistogramChunk chunk;
    HistogramAppender app(&chunk);
    for (const Point& p : points) EXPECT_EQ(app.Append(p.t, p.h, true)->kind, AppendKind::kAppended);
    c.encoding = ChunkEncoding::kHistogram;
    c.bytes = chunk.Bytes();
  } else {
    FloatHistogramChunk chunk;
    FloatHistogramAppender app(&chunk);
    for (const Point& p : points) EXPECT_EQ(app.Append(p.t, p.fh, true)->kind, AppendKind::kAppended);
    c.encoding = ChunkEncoding::kFloatHistogram;
    c.bytes = chunk.Bytes();
  }
  return c;
}

// An in-memory source of series and chunks for WriteBlock. Chunk refs are
// series index << 16 | chunk index.
class FakeSource final : public IndexReader, public ChunkReader {
 public:
  void Add(Labels labels, std::vector<FakeChunk> chunks) { series_.push_back({std::move(labels), std::move(chunks)}); }

  std::unique_ptr<Postings> AllPostings() override {
    std::vector<SeriesRef> refs;
    for (size_t i = 0; i < series_.size(); ++i) refs.push_back(i);
    return std::make_unique<ListPostings>(std::move(refs));
  }
  std::unique_ptr<Postings> PostingsFor(std::string_view, const std::vector<std::string>&) override {
    return AllPostings();
  }
  std::vector<std::string> LabelValues(std::string_view) override { return {}; }
  std::vector<std::string> LabelNames() override { return {}; }
  Status Series(SeriesRef ref, Labels* labels, std::vector<ChunkMeta>* chunks) override {
    *labels = series_[ref].first;
    if (chunks == nullptr) return Status::OK();
    chunks->clear();
    for (size_t i = 0; i < series_[ref].second.size(); ++i) {
      const FakeChunk& c = series_[ref].second[i];
      chunks->push_back({(ref << 16) | i, c.min_time, c.max_time});
    }
    return Status::OK();
  }
  void TimeRange(int64_t* min_time, int64_t* max_time) override {
    *min_time = INT64_MIN;
    *max_time = INT64_MAX;
  }
  Status ReadChunk(const ChunkMeta& meta, std::string* bytes, ChunkEncoding* encoding) override {
    const FakeChunk& c = series_[meta.ref >> 16].second[meta.ref & 0xffff];
    *bytes = c.bytes;
    *encoding = c.encoding;
    return Status::OK();
  }

 private:
  std::vector<std::pair<Labels, std::vector<FakeChunk>>> series_;
};

std::vector<Point> Floats(int64_t from, int64_t to, int64_t step) {
  std::vector<Point> out;
  for (int64_t t = from; t <= to; t += step) out.push_back(FloatPoint(t, 0.25 * static_cast<double>(t)));
  return out;
}
std::vector<Point> Histograms(int64_t from, int64_t to, int64_t step) {
  std::vector<Point> out;
  for (int64_t t = from; t <= to; t += step) {
    out.push_back(HistogramPoint(t, CounterHistogram(static_cast<int>(t / step))));
  }
  return out;
}
std::vector<Point> FloatHistograms(int64_t from, int64_t to, int64_t step) {
  std::vector<Point> out;
  for (int64_t t = from; t <= to; t += step) {
    out.push_back(FloatHistogramPoint(t, GaugeFloatHistogram(static_cast<int>(t / step))));
  }
  return out;
}
std::vector<Point> Concat(std::initializer_list<std::vector<Point>> parts) {
  std::vector<Point> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
std::vector<Point> Between(const std::vector<Point>& in, int64_t mint, int64_t maxt) {
  std::vector<Point> out;
  for (const Point& p : in) {
    if (p.t >= mint && p.t <= maxt) out.push_back(p);
  }
  return out;
}

std::vector<Point> ReadSeries(Querier* q) { return ReadTypedSeries(q, "mixed"); }

const Labels kMixed({{"__name__", "mixed"}});

class BlockHistogramTest : public ::testing::TestWithParam<BlockFormat> {
 protected:
  BlockWriteOptions Options() const {
    BlockWriteOptions opts;
    opts.format = GetParam();
    opts.samples_per_chunk = 50;
    return opts;
  }
  std::shared_ptr<Block> Write(std::span<const BlockSource> sources, int64_t mint, int64_t maxt) {
    auto meta = WriteBlock(Env::Default(), dir_.path(), sources, mint, maxt, BlockCompaction{}, Options());
    EXPECT_TRUE(meta.ok()) << meta.status().ToString();
    if (!meta.ok()) return nullptr;
    auto block = Block::Open(Env::Default(), dir_.path() + "/" + meta->ulid);
    EXPECT_TRUE(block.ok()) << block.status().ToString();
    return block.ok() ? *block : nullptr;
  }

  TempDir dir_;
};

// A series that switches float -> histogram -> float histogram -> float is
// written with each chunk's encoding and read back sample for sample; the
// stats count floats and histograms apart.
TEST_P(BlockHistogramTest, MixedSeriesRoundTrip) {
  const auto floats = Floats(0, 90'000, 10'000);
  const auto hists = Histograms(100'000, 290'000, 10'000);
  const auto fhists = FloatHistograms(300'000, 390'000, 10'000);
  const auto tail = Floats(400'000, 450'000, 10'000);
  FakeSource src;
  src.Add(kMixed, {EncodeChunk(floats), EncodeChunk(hists), EncodeChunk(fhists), EncodeChunk(tail)});
  const BlockSource sources[] = {{&src, &src}};
  auto block = Write(sources, 0, 1'000'000);
  ASSERT_NE(block, nullptr);
  EXPECT_EQ(block->meta().stats.num_samples, 46u);
  EXPECT_EQ(block->meta().stats.num_float_samples, 16u);
  EXPECT_EQ(block->meta().stats.num_histogram_samples, 30u);
  EXPECT_EQ(block->meta().stats.num_chunks, 4u);  // copied verbatim, one for one
  auto q = block->NewQuerier(INT64_MIN, INT64_MAX);
  ExpectSamePoints(ReadSeries(q.get()), Concat({floats, hists, fhists, tail}));

  // The XOR-only read refuses a histogram chunk instead of misreading it.
  auto index = block->NewIndexReader();
  auto chunks = block->NewChunkReader();
  auto postings = index->AllPostings();
  ASSERT_TRUE(postings->Next());
  Labels ls;
  std::vector<ChunkMeta> metas;
  ASSERT_TRUE(index->Series(postings->At(), &ls, &metas).ok());
  ASSERT_EQ(metas.size(), 4u);
  std::string bytes;
  ChunkEncoding encoding = ChunkEncoding::kNone;
  ASSERT_TRUE(chunks->ReadChunk(metas[1], &bytes, &encoding).ok());
  EXPECT_EQ(encoding, ChunkEncoding::kHistogram);
  ASSERT_TRUE(chunks->ReadChunk(metas[2], &bytes, &encoding).ok());
  EXPECT_EQ(encoding, ChunkEncoding::kFloatHistogram);
  EXPECT_EQ(chunks->Chunk(metas[1], &bytes).code(), Status::Code::kUnsupported);
  EXPECT_TRUE(chunks->Chunk(metas[0], &bytes).ok());
}

// Overlapping chunks of two sources are merged per timestamp (the first
// source wins a duplicate) and re-encoded with a new chunk at each type
// change; a block range cuts chunks at its bounds, histograms included.
TEST_P(BlockHistogramTest, MergeAndClipMixedChunks) {
  const auto hists = Histograms(0, 990'000, 10'000);  // 100 samples
  const auto floats = Floats(1'000'000, 1'200'000, 10'000);
  FakeSource a, b;
  a.Add(kMixed, {EncodeChunk(Between(hists, 0, 490'000)), EncodeChunk(floats)});
  // b overlaps a's first chunk with the other half of the histograms and a
  // duplicate of a's first sample that carries another value.
  std::vector<Point> b_hists = Between(hists, 500'000, 990'000);
  Point dup = hists[10];
  dup.h.sum = 12345;
  std::vector<Point> b_first = {dup};
  b.Add(kMixed, {EncodeChunk(b_first), EncodeChunk(b_hists)});
  const BlockSource sources[] = {{&a, &a}, {&b, &b}};
  // [50 s, 1.1e6 ms): clips the first histograms and the last floats.
  auto block = Write(sources, 50'000, 1'100'000);
  ASSERT_NE(block, nullptr);
  auto q = block->NewQuerier(INT64_MIN, INT64_MAX);
  const auto want = Concat({Between(hists, 50'000, 990'000), Between(floats, 0, 1'099'999)});
  ExpectSamePoints(ReadSeries(q.get()), want);
  EXPECT_EQ(block->meta().stats.num_histogram_samples, 95u);
  EXPECT_EQ(block->meta().stats.num_float_samples, 10u);
}

// Deleting a range inside a histogram chunk: queries skip the deleted
// samples (the chunk is re-encoded on read), and rewriting the block drops
// them for good, keeping the rest of the chunk as histograms.
TEST_P(BlockHistogramTest, TombstonesInsideHistogramChunks) {
  const auto hists = Histograms(0, 390'000, 10'000);
  const auto fhists = FloatHistograms(400'000, 790'000, 10'000);
  FakeSource src;
  src.Add(kMixed, {EncodeChunk(hists), EncodeChunk(fhists)});
  const BlockSource sources[] = {{&src, &src}};
  auto block = Write(sources, 0, 1'000'000);
  ASSERT_NE(block, nullptr);
  ASSERT_TRUE(block->Delete(100'000, 149'999, {*Matcher::Make(MatchType::kEqual, "__name__", "mixed")}).ok());
  ASSERT_TRUE(block->Delete(600'000, 600'000, {*Matcher::Make(MatchType::kEqual, "__name__", "mixed")}).ok());
  std::vector<Point> want;
  for (const Point& p : Concat({hists, fhists})) {
    if ((p.t < 100'000 || p.t > 149'999) && p.t != 600'000) want.push_back(p);
  }
  auto q = block->NewQuerier(INT64_MIN, INT64_MAX);
  ExpectSamePoints(ReadSeries(q.get()), want);

  auto index = block->NewIndexReader();
  auto chunks = block->NewChunkReader();
  const BlockSource rewrite[] = {{index.get(), chunks.get()}};
  auto rewritten = Write(rewrite, 0, 1'000'000);
  ASSERT_NE(rewritten, nullptr);
  EXPECT_EQ(rewritten->meta().stats.num_histogram_samples, want.size());
  auto q2 = rewritten->NewQuerier(INT64_MIN, INT64_MAX);
  ExpectSamePoints(ReadSeries(q2.get()), want);
}

INSTANTIATE_TEST_SUITE_P(Formats, BlockHistogramTest,
                         ::testing::Values(BlockFormat::kPromethium, BlockFormat::kPrometheus),
                         [](const auto& info) { return std::string(BlockFormatName(info.param)); });

}  // namespace
}  // namespace promethium::tsdb
