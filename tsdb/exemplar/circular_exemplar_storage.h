// CircularExemplarStorage: the in-memory exemplar store, as Prometheus's
// tsdb/exemplar.go. A fixed-capacity ring buffer of exemplars; each series
// with exemplars has an index entry linking its exemplars oldest to newest
// through the ring. When the ring is full the globally oldest exemplar is
// overwritten (and unlinked from its series). The ring lives in memory; the
// exemplars committed through ExemplarAppender are also in the WAL, and
// DB::Open re-adds them in WAL order, so they survive a restart.
//
// Ownership: owns its buffer and index; results are copies.
// Thread-safety: every method is safe to call from any thread (one mutex).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "tsdb/api/storage.h"
#include "tsdb/base/metrics.h"
#include "tsdb/base/status.h"
#include "tsdb/base/thread_annotations.h"

namespace promethium::tsdb {

class CircularExemplarStorage final : public ExemplarQueryable {
 public:
  // `max_exemplars` is the ring's capacity; 0 disables storage (every add
  // fails Unsupported). `metrics` may be null; when set, the
  // prometheus_tsdb_exemplar_* metrics are registered in it.
  CircularExemplarStorage(size_t max_exemplars, MetricsRegistry* metrics);

  // Checks an exemplar for the series without storing it: label set length
  // (InvalidArgument), duplicate of the series' newest exemplar (Duplicate),
  // older than it (OutOfOrder, not counted here).
  Status Validate(const Labels& series, const Exemplar& e) const;
  // Validates and stores (moving from `e`). Duplicates return Duplicate and store nothing;
  // out-of-order exemplars return OutOfOrder and are counted.
  Status Add(const Labels& series, Exemplar e);

  Result<std::vector<ExemplarSeries>> SelectExemplars(int64_t start, int64_t end,
                                                      const std::vector<Matchers>& selectors) const override;

  size_t capacity() const { return ring_capacity_; }
  size_t size() const;

 private:
  static constexpr int64_t kNone = -1;
  struct IndexEntry {
    const Labels* series = nullptr;  // the key of this entry in index_ (stable)
    int64_t oldest = kNone;
    int64_t newest = kNone;
  };
  struct Slot {
    Exemplar exemplar;
    int64_t next = kNone;          // the series' next newer exemplar
    IndexEntry* series = nullptr;  // null while the slot is unused
  };
  Status ValidateLocked(const IndexEntry* idx, const Exemplar& e) const REQUIRES(mu_);
  // Unlinks the exemplar in slot `i` (the oldest of its series).
  void EvictLocked(int64_t i) REQUIRES(mu_);
  void UpdateGaugesLocked() REQUIRES(mu_);

  const size_t ring_capacity_;
  mutable Mutex mu_;
  std::vector<Slot> ring_ GUARDED_BY(mu_);
  size_t next_ GUARDED_BY(mu_) = 0;
  size_t stored_ GUARDED_BY(mu_) = 0;
  struct LabelsHash {
    size_t operator()(const Labels& l) const { return static_cast<size_t>(l.Hash()); }
  };
  std::unordered_map<Labels, std::unique_ptr<IndexEntry>, LabelsHash> index_ GUARDED_BY(mu_);

  std::unique_ptr<MetricsRegistry> own_registry_;  // when none is given
  Counter* appended_;
  Counter* out_of_order_;
  Gauge* in_storage_;
  Gauge* series_;
  Gauge* last_ts_;
  Gauge* max_;
};

}  // namespace promethium::tsdb
