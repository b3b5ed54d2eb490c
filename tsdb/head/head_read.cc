// The head's read side: an IndexReader over the postings and series
// registry and a ChunkReader that copies chunk bytes out under the series
// lock, so the head reads exactly like a persisted block and is queried by
// the shared BlockQuerier.
//
// A series' chunk metas are a snapshot taken under its lock; the querier
// clips each chunk to its snapshot max time, so samples committed after the
// snapshot are not half-visible within one series.
#include <algorithm>
#include <limits>
#include <string>

#include "tsdb/head/block_querier.h"
#include "tsdb/head/head.h"

namespace promethium::tsdb {

class HeadIndexReader final : public IndexReader {
 public:
  explicit HeadIndexReader(Head* head) : head_(head) {}

  std::unique_ptr<Postings> AllPostings() override { return std::make_unique<ListPostings>(head_->postings_.All()); }
  std::unique_ptr<Postings> PostingsFor(std::string_view name, const std::vector<std::string>& values) override {
    return std::make_unique<ListPostings>(head_->postings_.Get(name, values));
  }
  std::vector<std::string> LabelValues(std::string_view name) override { return head_->postings_.LabelValues(name); }
  std::vector<std::string> LabelNames() override { return head_->postings_.LabelNames(); }

  Status Series(SeriesRef ref, Labels* labels, std::vector<ChunkMeta>* chunks) override {
    MemSeries* s = head_->GetByRef(ref);
    if (s == nullptr) return Status::NotFound("series " + std::to_string(ref) + " not found");
    *labels = s->labels();
    if (chunks != nullptr) {
      chunks->clear();
      SeriesLock lock(s->mu());
      s->ChunkMetas(std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(), chunks);
    }
    return Status::OK();
  }

  void TimeRange(int64_t* min_time, int64_t* max_time) override {
    *min_time = head_->MinTime();
    *max_time = head_->MaxTime();
  }

 private:
  Head* head_;
};

class HeadChunkReader final : public ChunkReader {
 public:
  explicit HeadChunkReader(Head* head) : head_(head) {}

  Status Chunk(const ChunkMeta& meta, std::string* bytes) override {
    MemSeries* s = head_->GetByRef(HeadChunkSeries(meta.ref));
    if (s == nullptr) return Status::NotFound("series for chunk " + std::to_string(meta.ref) + " not found");
    SeriesLock lock(s->mu());
    if (!s->CopyChunk(HeadChunkId(meta.ref), bytes)) {
      return Status::NotFound("head chunk " + std::to_string(meta.ref) + " not found");
    }
    return Status::OK();
  }

 private:
  Head* head_;
};

std::unique_ptr<IndexReader> Head::NewIndexReader() { return std::make_unique<HeadIndexReader>(this); }
std::unique_ptr<ChunkReader> Head::NewChunkReader() { return std::make_unique<HeadChunkReader>(this); }

std::unique_ptr<Querier> Head::NewQuerier(int64_t mint, int64_t maxt) {
  return std::make_unique<BlockQuerier>(NewIndexReader(), NewChunkReader(), mint, maxt);
}

}  // namespace promethium::tsdb
