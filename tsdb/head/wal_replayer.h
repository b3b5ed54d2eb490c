// WalReplayer: replays WAL records into a Head with sample records applied
// by worker threads, sharded by series (as Prometheus's loadWAL does).
//
// The reading thread (the caller of Apply) decodes every record. Series
// records are applied at once on it. Samples of a sample record are resolved
// to their series, split by series ref into one shard per worker and handed
// over in batches through bounded queues; each worker applies its shard in
// WAL order with Head::ApplySample, so every series sees its samples in the
// order a single-threaded replay gives. A tombstone record first waits until
// the workers have applied everything queued before it. Decode errors are
// returned by Apply at once, as Head::ReplayWalRecord returns them.
//
// Exemplar records are applied on the reading thread, in WAL order, into
// the exemplar storage given (as Prometheus's loadWAL): exemplars older
// than the head's MinValidTime are skipped, those of refs with no series are
// counted as unknown, and the storage's rejections (out of order, duplicate)
// are ignored and counted as skipped. Their series record precedes them, so
// the lookup needs no drain of the sample workers. Without a storage (or
// with a disabled one) exemplar records are decoded and dropped.
//
// With one worker (HeadOptions::replay_workers == 1, or an out-of-order
// window) Apply is just Head::ReplayWalRecord on the calling thread.
//
// Ownership: borrows the head, the stats and the exemplar storage, which
// must outlive it.
// Thread-safety: Apply and Finish are called from one thread; the workers
// are internal. The head must not be shared until Finish returns.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "tsdb/exemplar/circular_exemplar_storage.h"
#include "tsdb/head/head.h"

namespace promethium::tsdb {

struct ExemplarReplayStats {
  uint64_t exemplars = 0;     // added to the storage
  uint64_t skipped = 0;       // older than MinValidTime, rejected by the storage, or no storage
  uint64_t unknown_refs = 0;  // exemplars whose series record was missing
};

class WalReplayer {
 public:
  // `exemplars` may be null: exemplar records are then dropped.
  WalReplayer(Head* head, WalReplayStats* stats, CircularExemplarStorage* exemplars = nullptr);
  ~WalReplayer();  // Finish()
  WalReplayer(const WalReplayer&) = delete;
  WalReplayer& operator=(const WalReplayer&) = delete;

  // Applies one WAL record (see the header comment). Not thread-safe.
  Status Apply(std::string_view record);
  // Waits until the workers applied everything, stops them and adds their
  // counts to the stats. Idempotent; Apply must not be called after it.
  void Finish();
  // Worker threads in use (0: records are applied on the calling thread).
  size_t workers() const { return workers_.size(); }
  const ExemplarReplayStats& exemplar_stats() const { return exemplar_stats_; }

 private:
  struct Item {
    MemSeries* series;
    int64_t t;
    double v;
  };
  struct Worker;

  void StartWorkers(size_t n);
  Status ApplySamples(std::string_view record);
  Status ApplyExemplars(std::string_view record);
  void Flush(size_t shard);
  void Drain();  // flushes every shard and waits until all are applied
  static void Run(Head* head, Worker* w);

  Head* head_;
  WalReplayStats* stats_;
  CircularExemplarStorage* exemplars_;
  ExemplarReplayStats exemplar_stats_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::vector<Item>> pending_;  // per shard, not yet queued
  bool finished_ = false;
};

}  // namespace promethium::tsdb
