// The head's read side: an IndexReader over the postings and series
// registry and a ChunkReader that copies chunk bytes out under the series
// lock, so the head reads exactly like a persisted block and is queried by
// the shared BlockQuerier. The same two readers, given a [mint, maxt], are
// the range view that compaction writes a block from.
//
// A series' chunk metas are a snapshot taken under its lock; the querier
// clips each chunk to its snapshot max time, so samples committed after the
// snapshot are not half-visible within one series. Series are read under
// the ref-stripe lock (Head::WithSeries), so head GC never frees one under
// a reader; a series removed meanwhile is NotFound.
#include <algorithm>
#include <atomic>
#include <limits>
#include <optional>
#include <string>

#include "tsdb/chunkenc/chunk_encoding.h"
#include "tsdb/head/head.h"
#include "tsdb/querier/block_querier.h"
#include "tsdb/querier/chunk_rewrite.h"

namespace promethium::tsdb {
namespace {
constexpr int64_t kAllTime = std::numeric_limits<int64_t>::min();
constexpr int64_t kNoEnd = std::numeric_limits<int64_t>::max();
}  // namespace

class HeadIndexReader final : public IndexReader {
 public:
  HeadIndexReader(Head* head, int64_t mint, int64_t maxt) : head_(head), mint_(mint), maxt_(maxt) {}
  // A reader registered as reading from max(read_from, *floor) on, so
  // Truncate waits for it (queriers and range readers).
  HeadIndexReader(Head* head, int64_t mint, int64_t maxt, int64_t read_from, const std::atomic<int64_t>* floor)
      : head_(head), mint_(mint), maxt_(maxt) {
    registration_.emplace(&head->reads_, read_from, floor);
  }
  // Where a registered reader reads from.
  int64_t read_from() const { return registration_ ? registration_->mint() : mint_; }
  // Series() lists only the chunks overlapping [mint, maxt] (as they are,
  // never clipped): a querier's range, so a query near the head's end never
  // looks at the chunks (nor the bytes) of the rest of the day.
  void SetChunkFilter(int64_t mint, int64_t maxt) {
    filter_mint_ = mint;
    filter_maxt_ = maxt;
  }

  std::unique_ptr<Postings> AllPostings() override { return std::make_unique<ListPostings>(head_->postings_.All()); }
  std::unique_ptr<Postings> PostingsFor(std::string_view name, const std::vector<std::string>& values) override {
    return std::make_unique<ListPostings>(head_->postings_.Get(name, values));
  }
  std::vector<std::string> LabelValues(std::string_view name) override { return head_->postings_.LabelValues(name); }
  std::vector<std::string> LabelNames() override { return head_->postings_.LabelNames(); }

  Status Series(SeriesRef ref, Labels* labels, std::vector<ChunkMeta>* chunks) override {
    if (chunks != nullptr) chunks->clear();
    const bool found = head_->WithSeries(ref, [&](const MemSeries& s) REQUIRES(s.mu()) {
      *labels = s.labels();
      if (chunks != nullptr) {
        s.ChunkMetas(std::max(mint_, filter_mint_), std::min(maxt_, filter_maxt_), chunks);
        if (mint_ > kAllTime || maxt_ < kNoEnd) ClipStraddlingMetas(s, chunks);
      }
    });
    if (!found) return Status::NotFound("series " + std::to_string(ref) + " not found");
    return Status::OK();
  }

  // Narrows the metas of chunks that straddle [mint_, maxt_] to the times
  // of their samples inside it (dropping those with none), to match what
  // HeadChunkReader::ClipToRange serves for them.
  void ClipStraddlingMetas(const MemSeries& s, std::vector<ChunkMeta>* chunks) const REQUIRES(s.mu()) {
    std::string bytes;
    std::vector<TypedSample> samples;
    std::erase_if(*chunks, [&](ChunkMeta& m) REQUIRES(s.mu()) {
      if (m.min_time >= mint_ && m.max_time <= maxt_) return false;
      ChunkEncoding encoding = ChunkEncoding::kXor;
      if (!s.CopyAnyChunk(HeadChunkId(m.ref), head_->chunk_files(), &bytes, &encoding)) return true;
      int64_t lo = std::numeric_limits<int64_t>::max(), hi = std::numeric_limits<int64_t>::min();
      if (encoding == ChunkEncoding::kXor) {
        XorIterator it(bytes);
        while (it.Next() != ValueType::kNone) {
          const int64_t t = it.At().t;
          if (t < mint_ || t > maxt_) continue;
          lo = std::min(lo, t);
          hi = std::max(hi, t);
        }
      } else {
        samples.clear();
        bool clipped = false;
        // Our own encoder wrote the chunk; a decode error leaves what decoded.
        DecodeTypedChunk(encoding, bytes, mint_, maxt_, 0, &samples, &clipped).IgnoreError();
        if (!samples.empty()) {
          lo = samples.front().t;
          hi = samples.back().t;
        }
      }
      if (lo > hi) return true;
      m.min_time = lo;
      m.max_time = hi;
      return false;
    });
  }

  void TimeRange(int64_t* min_time, int64_t* max_time) override {
    *min_time = std::max(head_->MinTime(), mint_);
    *max_time = std::min(head_->MaxTime(), maxt_);
  }

 private:
  Head* head_;
  const int64_t mint_;
  const int64_t maxt_;
  int64_t filter_mint_ = kAllTime;
  int64_t filter_maxt_ = kNoEnd;
  std::optional<ReadTracker::Registration> registration_;
};

// Copies chunk bytes. A range reader clips a chunk that straddles its
// bounds to the samples inside them (re-encoded), so a block written from
// the range holds exactly the range's samples.
class HeadChunkReader final : public ChunkReader {
 public:
  HeadChunkReader(Head* head, int64_t mint, int64_t maxt) : head_(head), mint_(mint), maxt_(maxt) {}

  Status ReadChunk(const ChunkMeta& meta, std::string* bytes, ChunkEncoding* encoding) override {
    bool have_chunk = false;
    const bool found = head_->WithSeries(HeadChunkSeries(meta.ref), [&](const MemSeries& s) REQUIRES(s.mu()) {
      have_chunk = s.CopyAnyChunk(HeadChunkId(meta.ref), head_->chunk_files(), bytes, encoding);
    });
    if (!found) return Status::NotFound("series for chunk " + std::to_string(meta.ref) + " not found");
    if (!have_chunk) return Status::NotFound("head chunk " + std::to_string(meta.ref) + " not found");
    if (mint_ == std::numeric_limits<int64_t>::min() && maxt_ == std::numeric_limits<int64_t>::max()) {
      return Status::OK();
    }
    if (*encoding == ChunkEncoding::kXor) {
      ClipToRange(bytes);
      return Status::OK();
    }
    bool dropped = false;
    return FilterChunk([this](int64_t t) { return t >= mint_ && t <= maxt_; }, encoding, bytes, &dropped);
  }

 private:
  void ClipToRange(std::string* bytes) const {
    XorIterator it(*bytes);
    XorChunk clipped;
    XorAppender app(&clipped);
    bool dropped = false;
    while (it.Next() != ValueType::kNone) {
      const Sample s = it.At();
      if (s.t < mint_ || s.t > maxt_) {
        dropped = true;
        continue;
      }
      app.Append(s.t, s.v);
    }
    if (dropped) bytes->assign(clipped.Bytes());
  }

  Head* head_;
  const int64_t mint_;
  const int64_t maxt_;
};

std::unique_ptr<IndexReader> Head::NewIndexReader() {
  return std::make_unique<HeadIndexReader>(this, kAllTime, kNoEnd);
}
std::unique_ptr<ChunkReader> Head::NewChunkReader() {
  return std::make_unique<HeadChunkReader>(this, kAllTime, kNoEnd);
}

std::unique_ptr<IndexReader> Head::NewRangeIndexReader(int64_t mint, int64_t maxt) {
  return std::make_unique<HeadIndexReader>(this, mint, maxt, mint, nullptr);
}
std::unique_ptr<ChunkReader> Head::NewRangeChunkReader(int64_t mint, int64_t maxt) {
  return std::make_unique<HeadChunkReader>(this, mint, maxt);
}

std::unique_ptr<Querier> Head::NewQuerier(int64_t mint, int64_t maxt) {
  // As Prometheus's DB querier: never read below MinTime(), which Truncate
  // raises to its mint before dropping anything (those samples live in a
  // block by then), so a truncation never pulls chunks from under a query.
  auto index = std::make_unique<HeadIndexReader>(this, kAllTime, kNoEnd, mint, &min_time_);
  mint = index->read_from();
  index->SetChunkFilter(mint, maxt);
  return std::make_unique<BlockQuerier>(std::move(index), NewChunkReader(), mint, maxt);
}

}  // namespace promethium::tsdb
