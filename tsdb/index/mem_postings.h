// MemPostings: the head's in-memory inverted index, label name -> label
// value -> sorted list of series refs, plus the list of all series.
//
// The index keys double as the head's symbol table: AddInterned hands out
// pointers to the index's own copies of each label name and value, so every
// distinct string is stored once and series keep only pointers (std::map
// nodes never move, and an entry is removed only by Delete, once no series
// references it).
//
// Ownership: owns its maps. Lookups return copies so callers can iterate
// without holding the lock while appenders keep adding series.
// Thread-safety: all methods are safe to call concurrently (one internal
// reader-writer lock; adds are rare compared to sample appends since they
// happen only when a series is created).
#pragma once

#include <map>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tsdb/api/labels.h"
#include "tsdb/api/storage.h"
#include "tsdb/base/thread_annotations.h"

namespace promethium::tsdb {

// Cardinality statistics over the index, as Prometheus's PostingsStats
// (served by /api/v1/status/tsdb). Each list is sorted by count, descending
// (ties by name), and cut to the requested limit.
struct PostingsStats {
  struct Stat {
    std::string name;
    uint64_t count = 0;
  };
  std::vector<Stat> series_count_by_metric_name;
  std::vector<Stat> label_value_count_by_label_name;
  // Sum over values of len(value) * series with that value.
  std::vector<Stat> memory_in_bytes_by_label_name;
  std::vector<Stat> series_count_by_label_value_pair;  // name "label=value"
  uint64_t num_label_pairs = 0;
};

class MemPostings {
 public:
  // Indexes a new series under each of its labels. Refs are usually added in
  // ascending order; a late, smaller ref is inserted in place.
  void Add(SeriesRef ref, const Labels& labels);
  // As Add, and stores in symbols[2*i] and symbols[2*i+1] pointers to the
  // index's copies of label i's name and value (symbols must have room for
  // 2 * labels.size()). They stay valid for the MemPostings' lifetime.
  void AddInterned(SeriesRef ref, const Labels& labels, const std::string** symbols);

  // Removes the refs (sorted, unique) from the lists of `affected` label
  // pairs (every pair the removed series had, each once, grouped by name)
  // and from All(). Names and values left without series are dropped,
  // freeing their interned strings: the caller must have destroyed every
  // series pointing at them. The views may point at those interned keys.
  using LabelPair = std::pair<std::string_view, std::string_view>;
  void Delete(const std::vector<SeriesRef>& refs, std::span<const LabelPair> affected);

  std::vector<SeriesRef> All() const;
  // Sorted union of the lists of name=v for every v in values.
  std::vector<SeriesRef> Get(std::string_view name, const std::vector<std::string>& values) const;
  std::vector<std::string> LabelNames() const;
  std::vector<std::string> LabelValues(std::string_view name) const;
  // Top-`limit` cardinality statistics; `metric_label` is usually __name__.
  PostingsStats Stats(std::string_view metric_label, size_t limit) const;

 private:
  using ValueMap = std::map<std::string, std::vector<SeriesRef>, std::less<>>;
  static void InsertSorted(std::vector<SeriesRef>* list, SeriesRef ref);

  mutable Mutex mu_;
  std::map<std::string, ValueMap, std::less<>> index_ GUARDED_BY(mu_);
  std::vector<SeriesRef> all_ GUARDED_BY(mu_);
};

}  // namespace promethium::tsdb
