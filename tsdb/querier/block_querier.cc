#include "tsdb/querier/block_querier.h"

#include <algorithm>

#include "tsdb/api/series_list.h"
#include "tsdb/chunkenc/chunk_encoding.h"
#include "tsdb/index/postings_for_matchers.h"

namespace promethium::tsdb {
namespace {

// Walks a series' chunks in order, decoding each lazily, and yields the
// samples with mint <= t <= maxt that are within each chunk's meta range.
// XOR chunks decode through an embedded XorIterator (the hot path);
// histogram chunks through the chunkenc iterator of their encoding. A
// series may switch encodings from one chunk to the next.
class ChunkSeriesIterator final : public SampleIterator {
 public:
  ChunkSeriesIterator(const std::vector<ChunkMeta>& metas, ChunkReader* reader, int64_t mint, int64_t maxt) {
    Reset(metas, reader, mint, maxt);
  }

  // Repositions before the first sample of another series, keeping the
  // buffers (metas, chunk bytes, iterators) of the previous one.
  void Reset(const std::vector<ChunkMeta>& metas, ChunkReader* reader, int64_t mint, int64_t maxt) {
    metas_.assign(metas.begin(), metas.end());
    reader_ = reader;
    mint_ = mint;
    maxt_ = maxt;
    next_chunk_ = 0;
    chunk_max_ = 0;
    open_ = done_ = false;
    cur_type_ = ValueType::kNone;
    cur_ = Sample();
    err_ = Status::OK();
  }

  ValueType Next() override {
    while (!done_) {
      if (!open_ && !OpenNextChunk()) break;
      SampleIterator* it = chunk_iterator();
      const ValueType type = it->Next();
      if (type == ValueType::kNone) {
        if (!it->Err().ok()) {
          err_ = it->Err();
          break;
        }
        open_ = false;
        continue;
      }
      const int64_t t = it->AtT();
      if (t < mint_) continue;
      if (t > maxt_) break;  // later chunks are later still
      if (t > chunk_max_) {  // appended after the meta snapshot
        open_ = false;
        continue;
      }
      cur_type_ = type;
      cur_ = type == ValueType::kFloat ? xor_it_.At() : Sample{t, 0};
      return type;
    }
    done_ = true;
    cur_type_ = ValueType::kNone;
    return ValueType::kNone;
  }

  ValueType Seek(int64_t t) override {
    if (done_) return ValueType::kNone;
    if (cur_type_ != ValueType::kNone && cur_.t >= t) return cur_type_;
    // Skip whole chunks that end before t without decoding them.
    if (open_ && chunk_max_ < t) open_ = false;
    if (!open_) {
      while (next_chunk_ < metas_.size() && metas_[next_chunk_].max_time < t) ++next_chunk_;
    }
    for (ValueType type = Next(); type != ValueType::kNone; type = Next()) {
      if (cur_.t >= t) return type;
    }
    return ValueType::kNone;
  }

  Sample At() const override { return cur_; }
  int64_t AtHistogram(Histogram* h) const override { return chunk_iterator()->AtHistogram(h); }
  int64_t AtFloatHistogram(FloatHistogram* fh) const override { return chunk_iterator()->AtFloatHistogram(fh); }
  int64_t AtT() const override { return cur_.t; }
  Status Err() const override { return err_; }

 private:
  SampleIterator* chunk_iterator() { return encoding_ == ChunkEncoding::kXor ? &xor_it_ : other_it_.get(); }
  const SampleIterator* chunk_iterator() const { return encoding_ == ChunkEncoding::kXor ? &xor_it_ : other_it_.get(); }

  bool OpenNextChunk() {
    while (next_chunk_ < metas_.size()) {
      const ChunkMeta& meta = metas_[next_chunk_++];
      if (meta.max_time < mint_) continue;
      if (meta.min_time > maxt_) return false;
      Status st = reader_->ReadChunk(meta, &bytes_, &encoding_);
      if (st.ok()) st = ResetChunkIterator();
      if (!st.ok()) {
        err_ = st;
        return false;
      }
      chunk_max_ = meta.max_time;
      open_ = true;
      return true;
    }
    return false;
  }

  Status ResetChunkIterator() {
    if (encoding_ == ChunkEncoding::kXor) {
      xor_it_.Reset(bytes_);
      return Status::OK();
    }
    PROMETHIUM_ASSIGN_OR_RETURN(other_it_, NewChunkIterator(encoding_, bytes_, std::move(other_it_)));
    return Status::OK();
  }

  std::vector<ChunkMeta> metas_;
  ChunkReader* reader_ = nullptr;
  int64_t mint_ = 0;
  int64_t maxt_ = 0;
  size_t next_chunk_ = 0;
  std::string bytes_;  // copy of the open chunk's bytes
  ChunkEncoding encoding_ = ChunkEncoding::kXor;
  XorIterator xor_it_;
  std::unique_ptr<SampleIterator> other_it_;  // histogram chunks
  int64_t chunk_max_ = 0;
  bool open_ = false;
  bool done_ = false;
  ValueType cur_type_ = ValueType::kNone;
  Sample cur_;  // the float sample, or the histogram sample's t
  Status err_;
};

// The current series of a BlockSeriesSet, refilled in place for each series
// (the set's contract ends its validity at the next Next()).
class BlockSeries final : public Series {
 public:
  BlockSeries(ChunkReader* reader, int64_t mint, int64_t maxt) : reader_(reader), mint_(mint), maxt_(maxt) {}

  Labels* mutable_labels() { return &labels_; }
  std::vector<ChunkMeta>* mutable_metas() { return &metas_; }

  const Labels& labels() const override { return labels_; }
  std::unique_ptr<SampleIterator> Iterator(std::unique_ptr<SampleIterator> reuse) const override {
    if (auto* it = dynamic_cast<ChunkSeriesIterator*>(reuse.get())) {
      it->Reset(metas_, reader_, mint_, maxt_);
      return reuse;
    }
    return std::make_unique<ChunkSeriesIterator>(metas_, reader_, mint_, maxt_);
  }

 private:
  Labels labels_;
  std::vector<ChunkMeta> metas_;
  ChunkReader* const reader_;
  const int64_t mint_;
  const int64_t maxt_;
};

// Reads a series' labels and the metas of its chunks overlapping
// [mint, maxt] (appended to *metas). NotFound when the series is gone.
Status ReadSeries(IndexReader* index, SeriesRef ref, int64_t mint, int64_t maxt, Labels* labels,
                  std::vector<ChunkMeta>* scratch, std::vector<ChunkMeta>* metas) {
  scratch->clear();
  PROMETHIUM_RETURN_IF_ERROR(index->Series(ref, labels, scratch));
  for (const ChunkMeta& m : *scratch) {
    if (m.max_time >= mint && m.min_time <= maxt) metas->push_back(m);
  }
  return Status::OK();
}

class BlockSeriesSet final : public SeriesSet {
 public:
  // What a Select read up front: nothing (unsorted: the series are read in
  // Next()), the labels to sort by, or labels and chunk metas (at
  // [meta_begin, meta_end) of one shared vector).
  enum class Preloaded { kNothing, kLabels, kLabelsAndMetas };
  struct Entry {
    SeriesRef ref = 0;
    Labels labels;
    size_t meta_begin = 0;
    size_t meta_end = 0;
  };

  BlockSeriesSet(std::vector<Entry> entries, std::vector<ChunkMeta> metas, Preloaded preloaded, IndexReader* index,
                 ChunkReader* chunks, int64_t mint, int64_t maxt)
      : entries_(std::move(entries)),
        metas_(std::move(metas)),
        preloaded_(preloaded),
        index_(index),
        mint_(mint),
        maxt_(maxt),
        cur_(chunks, mint, maxt) {}

  bool Next() override {
    std::vector<ChunkMeta>* metas = cur_.mutable_metas();
    while (++pos_ < entries_.size()) {
      Entry& e = entries_[pos_];
      metas->clear();
      if (preloaded_ == Preloaded::kLabelsAndMetas) {
        *cur_.mutable_labels() = std::move(e.labels);
        metas->assign(metas_.begin() + static_cast<ptrdiff_t>(e.meta_begin),
                      metas_.begin() + static_cast<ptrdiff_t>(e.meta_end));
        return true;
      }
      const bool have_labels = preloaded_ == Preloaded::kLabels;
      Status st = ReadSeries(index_, e.ref, mint_, maxt_, have_labels ? &scratch_labels_ : cur_.mutable_labels(),
                             &scratch_, metas);
      if (st.code() == Status::Code::kNotFound) continue;  // removed meanwhile
      if (!st.ok()) {
        err_ = st;
        return false;
      }
      if (metas->empty()) continue;  // no samples in range: not part of the result
      if (have_labels) *cur_.mutable_labels() = std::move(e.labels);
      return true;
    }
    return false;
  }
  const Series& At() const override { return cur_; }
  Status Err() const override { return err_; }

 private:
  std::vector<Entry> entries_;
  const std::vector<ChunkMeta> metas_;  // of preloaded entries
  const Preloaded preloaded_;
  IndexReader* index_;
  int64_t mint_;
  int64_t maxt_;
  size_t pos_ = static_cast<size_t>(-1);
  BlockSeries cur_;
  std::vector<ChunkMeta> scratch_;
  Labels scratch_labels_;
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
  using Preloaded = BlockSeriesSet::Preloaded;
  std::vector<BlockSeriesSet::Entry> entries;
  std::vector<ChunkMeta> metas;
  if (!sorted) {
    for (SeriesRef ref : ExpandPostings(postings->get())) entries.push_back({ref, Labels(), 0, 0});
    return std::make_unique<BlockSeriesSet>(std::move(entries), std::move(metas), Preloaded::kNothing, index_.get(),
                                            chunks_.get(), mint, maxt);
  }
  // Postings are in ref order; sort by labels as Prometheus's head does. One
  // read per series yields both the labels to sort by and the chunk metas,
  // and series without chunks in range are dropped before sorting. Past
  // max_preloaded_metas_ metas are no longer kept (memory stays bounded) and
  // Next() reads them again.
  Preloaded preloaded = Preloaded::kLabelsAndMetas;
  std::vector<ChunkMeta> scratch;
  for (SeriesRef ref : ExpandPostings(postings->get())) {
    BlockSeriesSet::Entry e{ref, Labels(), metas.size(), 0};
    Status st = ReadSeries(index_.get(), ref, mint, maxt, &e.labels, &scratch, &metas);
    if (st.code() == Status::Code::kNotFound) continue;  // removed meanwhile
    if (!st.ok()) return ErrorSeriesSet(st);
    e.meta_end = metas.size();
    if (e.meta_begin == e.meta_end) continue;  // no samples in range: not part of the result
    if (preloaded == Preloaded::kLabels) metas.clear();
    if (metas.size() > max_preloaded_metas_) {
      preloaded = Preloaded::kLabels;
      std::vector<ChunkMeta>().swap(metas);
    }
    entries.push_back(std::move(e));
  }
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.labels < b.labels; });
  return std::make_unique<BlockSeriesSet>(std::move(entries), std::move(metas), preloaded, index_.get(), chunks_.get(),
                                          mint, maxt);
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
