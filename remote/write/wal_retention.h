// WalRetention: the lowest WAL segment any remote write queue still needs,
// for the head's WAL truncation (DBOptions::wal_segment_floor).
//
// Each running WalWatcher registers a floor function (its queue's
// acknowledged segment, wal_watcher.h) for as long as it runs. The DB's
// compaction thread asks SegmentFloor() before it checkpoints and deletes
// segments, and keeps the segments at and above the floor (within the bound
// documented in docs/REMOTE.md, "Durability and WAL retention").
//
// Ownership: the server owns one WalRetention that outlives the DB and every
// watcher. Thread-safety: all methods are safe from any thread; the floor
// functions are called under the internal mutex and must not call back.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>

#include "tsdb/base/thread_annotations.h"

namespace promethium::remote {

class WalRetention {
 public:
  using FloorFn = std::function<uint64_t()>;

  // Returns a handle for Remove.
  uint64_t Add(FloorFn floor);
  void Remove(uint64_t handle);

  // While held (server start-up: the DB is open but the queues have not
  // started yet, so their saved positions are not registered), the floor is
  // 0: truncation keeps everything (within the DB's bound). Release once the
  // remote write config is applied.
  void Hold(bool held);

  // 0 while held, else the minimum of the registered floors; nullopt when
  // none is registered.
  std::optional<uint64_t> SegmentFloor() const;

 private:
  mutable Mutex mu_;
  uint64_t next_handle_ GUARDED_BY(mu_) = 1;
  bool held_ GUARDED_BY(mu_) = false;
  std::map<uint64_t, FloorFn> floors_ GUARDED_BY(mu_);
};

}  // namespace promethium::remote
