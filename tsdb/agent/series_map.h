// SeriesMap: the agent's in-memory series, keyed both by ref and by label
// hash, with each series' newest committed timestamp (Prometheus's agent
// stripeSeries). The labels of a series are stored once, in its Series, as
// one compact byte string (only ever compared: series records are written
// from the appender's labels, and checkpoints copy them from the WAL).
//
// Ownership: the ref stripes own the Series; the hash stripes point at them.
// A Series is freed only by Gc/Remove, after it left both maps.
// Thread-safety: every method is safe from any thread. Each stripe has its
// own mutex; a Series is only touched while one of the stripe locks that
// reach it is held (the timestamp is atomic, so Append checks and Commit
// updates need no per-series lock). Lock order: hash stripe, then ref stripe.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tsdb/api/labels.h"
#include "tsdb/api/storage.h"
#include "tsdb/base/thread_annotations.h"

namespace promethium::tsdb::agent {

class SeriesMap {
 public:
  struct Series {
    Series(SeriesRef r, std::string k, uint64_t h, int64_t ts) : ref(r), key(std::move(k)), hash(h), last_ts(ts) {}
    const SeriesRef ref;
    const std::string key;         // LabelsKey(labels)
    const uint64_t hash;           // labels.Hash()
    std::atomic<int64_t> last_ts;  // newest committed sample's timestamp (ms)
    Series* hash_next = nullptr;   // next series with the same label hash (guarded by its hash stripe)
  };

  // The series' ref and newest timestamp, read under its stripe lock.
  struct Found {
    SeriesRef ref = 0;
    int64_t last_ts = 0;
    bool created = false;
  };

  // Looks up by ref; nullopt when unknown.
  std::optional<Found> ByRef(SeriesRef ref) const;
  // Looks up by labels, creating the series (with `new_ref()` and last_ts =
  // `initial_ts`) when absent.
  Found GetOrCreate(const Labels& labels, const std::function<SeriesRef()>& new_ref, int64_t initial_ts);
  // Adds a series read from the WAL under its logged ref. When the labels
  // already have a series (a duplicate record), returns that series' ref.
  SeriesRef AddReplayed(SeriesRef ref, const Labels& labels, int64_t initial_ts);
  // Raises the series' newest timestamp to t; false if it was already >= t
  // (out of order at commit time). Unknown refs are ignored (true).
  bool UpdateTimestamp(SeriesRef ref, int64_t t);
  bool Contains(SeriesRef ref) const;
  // Removes every series whose newest timestamp is < mint; returns their refs.
  std::vector<SeriesRef> Gc(int64_t mint);
  size_t size() const { return size_.load(std::memory_order_relaxed); }

 private:
  static constexpr size_t kStripes = 64;
  struct RefStripe {
    mutable Mutex mu;
    std::unordered_map<SeriesRef, std::unique_ptr<Series>> by_ref GUARDED_BY(mu);
  };
  struct HashStripe {
    mutable Mutex mu;
    std::unordered_map<uint64_t, Series*> by_hash GUARDED_BY(mu);  // chain through hash_next
  };
  RefStripe& RefStripeFor(SeriesRef ref) const { return ref_stripes_[ref % kStripes]; }
  HashStripe& HashStripeFor(uint64_t hash) const { return hash_stripes_[(hash >> 7) % kStripes]; }
  // Labels as one string: per label uvarint length + name, uvarint length +
  // value. Equal labels give equal keys and vice versa.
  static std::string LabelsKey(const Labels& labels);
  // The series with exactly this key in the hash stripe, or null.
  static Series* FindLocked(HashStripe& hs, uint64_t hash, std::string_view key) REQUIRES(hs.mu);
  // Inserts a new series into both maps; the hash stripe lock is held.
  Series* InsertLocked(HashStripe& hs, uint64_t hash, SeriesRef ref, std::string key, int64_t ts) REQUIRES(hs.mu);
  void UnlinkFromHash(Series* s);

  mutable std::array<RefStripe, kStripes> ref_stripes_;
  mutable std::array<HashStripe, kStripes> hash_stripes_;
  std::atomic<size_t> size_{0};
};

}  // namespace promethium::tsdb::agent
