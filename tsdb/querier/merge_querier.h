// MergeQuerier: one Querier over several (persisted blocks and the head), as
// Prometheus's storage.NewMergeQuerier. The DB hands one out per query.
//
// Select asks every sub-querier for sorted series and merges them by labels;
// series present in several sub-queriers (a block and the head overlap
// between a head compaction and the head truncation that follows it, and
// vertically overlapping blocks may exist until compaction merges them)
// become one series whose samples are the union by timestamp. For equal
// timestamps the sample of the earlier sub-querier wins, so the DB passes
// blocks oldest first and the head last. LabelNames/LabelValues are the sorted
// union. An error from any sub-querier fails the whole Select; warnings are
// concatenated.
//
// Ownership: owns its sub-queriers and the keep-alive handles (e.g. the
// blocks the sub-queriers read), released after the sub-queriers. SeriesSets
// borrow the MergeQuerier.
// Thread-safety: one thread at a time, as every Querier.
#pragma once

#include <memory>
#include <vector>

#include "tsdb/api/storage.h"

namespace promethium::tsdb {

class MergeQuerier final : public Querier {
 public:
  MergeQuerier(std::vector<std::unique_ptr<Querier>> queriers, std::vector<std::shared_ptr<const void>> keep_alive)
      : keep_alive_(std::move(keep_alive)), queriers_(std::move(queriers)) {}

  std::unique_ptr<SeriesSet> Select(bool sorted, const SelectHints* hints, const Matchers& matchers) override;
  Result<std::vector<std::string>> LabelValues(std::string_view name, const Matchers& matchers) override;
  Result<std::vector<std::string>> LabelNames(const Matchers& matchers) override;

 private:
  // Declared first so it is destroyed last: sub-queriers may read from it.
  std::vector<std::shared_ptr<const void>> keep_alive_;
  std::vector<std::unique_ptr<Querier>> queriers_;
};

// Merges series sets that are each sorted by labels into one sorted set
// (exposed for tests and for other merges).
std::unique_ptr<SeriesSet> MergeSortedSeriesSets(std::vector<std::unique_ptr<SeriesSet>> sets);

}  // namespace promethium::tsdb
