// MemoryStorage: a tiny in-memory Queryable for the promqltest runner,
// engine and rules tests and promtool-style rule unit tests, so they do not
// depend on the TSDB engine.
//
// Series are kept sorted by labels; Select applies every matcher and
// returns ListSeries restricted to the querier's [mint, maxt].
// Ownership: queriers copy the samples they return, so they stay valid even
// if the storage is cleared afterwards.
// Thread-safety: not thread-safe; load data before querying.
#pragma once

#include <map>
#include <memory>
#include <vector>

#include "tsdb/api/series_list.h"
#include "tsdb/api/storage.h"

namespace promethium {

class MemoryStorage final : public Queryable {
 public:
  // Adds a sample; samples of a series must arrive in increasing time order
  // (a sample at an existing timestamp replaces the old one).
  void Add(const Labels& labels, int64_t t, double v);
  void Clear() { series_.clear(); }
  size_t NumSeries() const { return series_.size(); }

  Result<std::unique_ptr<Querier>> NewQuerier(int64_t mint, int64_t maxt) override;

  const std::map<Labels, std::vector<Sample>>& series() const { return series_; }

 private:
  std::map<Labels, std::vector<Sample>> series_;
};

}  // namespace promethium
