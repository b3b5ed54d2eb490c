// Head::Delete and Head::ApplyTombstone: exact deletion of samples by
// re-encoding the affected chunks in memory (MemSeries::DeleteRange), in
// place of Prometheus's in-memory tombstones. The deleted intervals come back
// as tombstones (clamped to each series' time range, as Prometheus's
// Head.Delete) for the DB to log to the WAL; replay applies them with
// ApplyTombstone in WAL order, which reproduces the same head.
#include "tsdb/head/head.h"
#include "tsdb/index/postings_for_matchers.h"

namespace promethium::tsdb {

Status Head::Delete(int64_t mint, int64_t maxt, const Matchers& matchers, std::vector<HeadTombstone>* deleted) {
  if (mint > maxt) return Status::OK();
  auto index = NewIndexReader();
  PROMETHIUM_ASSIGN_OR_RETURN(auto postings, PostingsForMatchers(index.get(), matchers));
  uint64_t chunks_removed = 0;
  for (SeriesRef ref : ExpandPostings(postings.get())) {
    WithSeries(ref, [&](MemSeries& s) REQUIRES(s.mu()) {
      if (s.Empty() || s.MaxTime() < mint || s.MinTime() > maxt) return;
      const HeadTombstone stone{ref, std::max(mint, s.MinTime()), std::min(maxt, s.MaxTime())};
      size_t dropped = 0;
      s.DeleteRange(stone.mint, stone.maxt, opts_.cut, &dropped);
      chunks_removed += dropped;
      if (deleted != nullptr) deleted->push_back(stone);
    });
  }
  if (chunks_removed > 0) {
    num_chunks_.fetch_sub(chunks_removed, std::memory_order_relaxed);
    metrics_.chunks->Set(static_cast<double>(NumChunks()));
    metrics_.chunks_removed->Inc(static_cast<double>(chunks_removed));
  }
  return Status::OK();
}

Status Head::ApplyTombstone(SeriesRef ref, int64_t mint, int64_t maxt) {
  if (mint > maxt) return Status::OK();
  // During replay the series may live under an aliased ref.
  if (auto alias = replay_ref_aliases_.find(ref); alias != replay_ref_aliases_.end()) ref = alias->second->ref();
  size_t dropped = 0;
  WithSeries(ref, [&](MemSeries& s) REQUIRES(s.mu()) { s.DeleteRange(mint, maxt, opts_.cut, &dropped); });
  if (dropped > 0) {
    num_chunks_.fetch_sub(dropped, std::memory_order_relaxed);
    metrics_.chunks->Set(static_cast<double>(NumChunks()));
  }
  return Status::OK();
}

}  // namespace promethium::tsdb
