#include "tsdb/head/block_querier.h"

#include <algorithm>

#include "tsdb/api/series_list.h"
#include "tsdb/chunkenc/xor_chunk.h"
#include "tsdb/index/postings_for_matchers.h"

namespace promethium::tsdb {
namespace {

// Walks a series' chunks in order, decoding each lazily, and yields the
// samples with mint <= t <= maxt that are within each chunk's meta range.
class ChunkSeriesIterator final : public SampleIterator {
 public:
  ChunkSeriesIterator(std::vector<ChunkMeta> metas, ChunkReader* reader, int64_t mint, int64_t maxt)
      : metas_(std::move(metas)), reader_(reader), mint_(mint), maxt_(maxt) {}

  ValueType Next() override {
    while (!done_) {
      if (!open_ && !OpenNextChunk()) break;
      if (chunk_it_.Next() == ValueType::kNone) {
        if (!chunk_it_.Err().ok()) {
          err_ = chunk_it_.Err();
          break;
        }
        open_ = false;
        continue;
      }
      const Sample s = chunk_it_.At();
      if (s.t < mint_) continue;
      if (s.t > maxt_) break;  // later chunks are later still
      if (s.t > chunk_max_) {  // appended after the meta snapshot
        open_ = false;
        continue;
      }
      cur_ = s;
      has_cur_ = true;
      return ValueType::kFloat;
    }
    done_ = true;
    return ValueType::kNone;
  }

  ValueType Seek(int64_t t) override {
    if (done_) return ValueType::kNone;
    if (has_cur_ && cur_.t >= t) return ValueType::kFloat;
    // Skip whole chunks that end before t without decoding them.
    if (open_ && chunk_max_ < t) open_ = false;
    if (!open_) {
      while (next_chunk_ < metas_.size() && metas_[next_chunk_].max_time < t) ++next_chunk_;
    }
    while (Next() == ValueType::kFloat) {
      if (cur_.t >= t) return ValueType::kFloat;
    }
    return ValueType::kNone;
  }

  Sample At() const override { return cur_; }
  Status Err() const override { return err_; }

 private:
  bool OpenNextChunk() {
    while (next_chunk_ < metas_.size()) {
      const ChunkMeta& meta = metas_[next_chunk_++];
      if (meta.max_time < mint_) continue;
      if (meta.min_time > maxt_) return false;
      Status st = reader_->Chunk(meta, &bytes_);
      if (!st.ok()) {
        err_ = st;
        return false;
      }
      chunk_it_.Reset(bytes_);
      chunk_max_ = meta.max_time;
      open_ = true;
      return true;
    }
    return false;
  }

  const std::vector<ChunkMeta> metas_;
  ChunkReader* const reader_;
  const int64_t mint_;
  const int64_t maxt_;
  size_t next_chunk_ = 0;
  std::string bytes_;  // copy of the open chunk's bytes
  XorIterator chunk_it_;
  int64_t chunk_max_ = 0;
  bool open_ = false;
  bool done_ = false;
  bool has_cur_ = false;
  Sample cur_;
  Status err_;
};

class BlockSeries final : public Series {
 public:
  BlockSeries(Labels labels, std::vector<ChunkMeta> metas, ChunkReader* reader, int64_t mint, int64_t maxt)
      : labels_(std::move(labels)), metas_(std::move(metas)), reader_(reader), mint_(mint), maxt_(maxt) {}

  const Labels& labels() const override { return labels_; }
  std::unique_ptr<SampleIterator> Iterator(std::unique_ptr<SampleIterator> /*reuse*/) const override {
    return std::make_unique<ChunkSeriesIterator>(metas_, reader_, mint_, maxt_);
  }

 private:
  Labels labels_;
  std::vector<ChunkMeta> metas_;
  ChunkReader* reader_;
  int64_t mint_;
  int64_t maxt_;
};

class BlockSeriesSet final : public SeriesSet {
 public:
  struct Entry {
    SeriesRef ref;
    Labels labels;  // filled only when sorting needed them
  };

  BlockSeriesSet(std::vector<Entry> entries, IndexReader* index, ChunkReader* chunks, int64_t mint, int64_t maxt)
      : entries_(std::move(entries)), index_(index), chunks_(chunks), mint_(mint), maxt_(maxt) {}

  bool Next() override {
    std::vector<ChunkMeta> metas;
    Labels labels;
    while (++pos_ < entries_.size()) {
      metas.clear();
      Status st = index_->Series(entries_[pos_].ref, &labels, &metas);
      if (st.code() == Status::Code::kNotFound) continue;  // removed meanwhile
      if (!st.ok()) {
        err_ = st;
        return false;
      }
      std::erase_if(metas, [&](const ChunkMeta& m) { return m.max_time < mint_ || m.min_time > maxt_; });
      if (metas.empty()) continue;  // no samples in range: not part of the result
      cur_ = std::make_unique<BlockSeries>(std::move(labels), std::move(metas), chunks_, mint_, maxt_);
      return true;
    }
    return false;
  }
  const Series& At() const override { return *cur_; }
  Status Err() const override { return err_; }

 private:
  std::vector<Entry> entries_;
  IndexReader* index_;
  ChunkReader* chunks_;
  int64_t mint_;
  int64_t maxt_;
  size_t pos_ = static_cast<size_t>(-1);
  std::unique_ptr<BlockSeries> cur_;
  Status err_;
};

}  // namespace

std::unique_ptr<SeriesSet> BlockQuerier::Select(bool sorted, const SelectHints* hints, const Matchers& matchers) {
  int64_t mint = mint_, maxt = maxt_;
  if (hints != nullptr) {
    mint = std::max(mint, hints->start);
    maxt = std::min(maxt, hints->end);
  }
  auto postings = PostingsForMatchers(index_.get(), matchers);
  if (!postings.ok()) return ErrorSeriesSet(postings.status());
  if (mint > maxt) return ErrorSeriesSet(Status::OK());  // empty range: no series
  std::vector<BlockSeriesSet::Entry> entries;
  for (SeriesRef ref : ExpandPostings(postings->get())) entries.push_back({ref, Labels()});
  if (sorted) {
    // Postings are in ref order; sort by labels as Prometheus's head does.
    for (auto& e : entries) {
      if (!index_->Series(e.ref, &e.labels, nullptr).ok()) e.labels = Labels();
    }
    std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.labels < b.labels; });
  }
  return std::make_unique<BlockSeriesSet>(std::move(entries), index_.get(), chunks_.get(), mint, maxt);
}

bool BlockQuerier::OverlapsData() {
  int64_t min_time, max_time;
  index_->TimeRange(&min_time, &max_time);
  return mint_ <= maxt_ && min_time <= maxt_ && max_time >= mint_;
}

Result<std::vector<std::string>> BlockQuerier::LabelValues(std::string_view name, const Matchers& matchers) {
  // As Prometheus's head: nothing when the querier's range misses the data.
  if (!OverlapsData()) return std::vector<std::string>{};
  return LabelValuesForMatchers(index_.get(), name, matchers);
}

Result<std::vector<std::string>> BlockQuerier::LabelNames(const Matchers& matchers) {
  if (!OverlapsData()) return std::vector<std::string>{};
  return LabelNamesForMatchers(index_.get(), matchers);
}

}  // namespace promethium::tsdb
