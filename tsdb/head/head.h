// Head: the in-memory, appendable part of the TSDB. It owns every series
// (MemSeries) and the postings index over their labels, hands out
// Appenders (head_append.cc) and reads like a block through an IndexReader
// and a ChunkReader (head_read.cc), so the same BlockQuerier will serve the
// head and persisted blocks alike.
//
// Series registry: series live in N lock stripes keyed by ref (which own
// them) and are found by label hash in N stripes of hash -> series; both are
// intrusive hash tables (series_table.h) to save per-series memory. Refs
// are assigned from a monotonically increasing counter and never reused.
//
// Durability: when a WAL is set (SetWal), every Commit logs its batch there
// before applying it, and DB::Open rebuilds a head from the WAL through
// ReplayWalRecord (head_replay.cc).
//
// Ownership: the Head owns its series, postings and (when none is given) a
// private MetricsRegistry. MemSeries pointers stay valid for the Head's
// lifetime (series are never removed yet: no head truncation/GC so far).
// Thread-safety: all public methods are safe to call concurrently. There is
// no global lock on the append path: a stripe lock guards lookups/creation
// and each series' own lock guards its chunks.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tsdb/api/storage.h"
#include "tsdb/base/metrics.h"
#include "tsdb/base/result.h"
#include "tsdb/base/thread_annotations.h"
#include "tsdb/head/mem_series.h"
#include "tsdb/head/series_table.h"
#include "tsdb/index/index_reader.h"
#include "tsdb/index/mem_postings.h"

namespace promethium::tsdb {

namespace wal {
class Wal;
}

// What replaying the WAL into the head did (head_replay.cc).
struct WalReplayStats {
  uint64_t series = 0;           // series records applied
  uint64_t samples = 0;          // samples appended
  uint64_t skipped_samples = 0;  // out of order / duplicate at replay: dropped
  uint64_t unknown_refs = 0;     // samples whose series record was missing
};

struct HeadOptions {
  ChunkCutOptions cut;
  size_t max_label_count = 0;  // 0: unlimited
  size_t stripe_count = 4096;  // rounded up to a power of two
};

class Head {
 public:
  // `metrics` may be null; the Head then keeps its metrics privately.
  Head(const HeadOptions& opts, MetricsRegistry* metrics);
  ~Head();
  Head(const Head&) = delete;
  Head& operator=(const Head&) = delete;

  // --- series registry (head.cc)
  // The series with this ref, or null.
  MemSeries* GetByRef(SeriesRef ref) const;
  // The series with these labels, created (and indexed) when new. Fails with
  // InvalidArgument for an empty label set and ResourceExhausted above
  // max_label_count.
  Result<MemSeries*> GetOrCreate(const Labels& labels);

  // --- appends (head_append.cc)
  std::unique_ptr<Appender> NewAppender();

  // --- write-ahead log (head_replay.cc)
  // Commits log to `wal` (borrowed; it must outlive the head's appenders)
  // before their samples become visible. Set once, before appends start.
  void SetWal(wal::Wal* wal) { wal_ = wal; }
  // Applies one WAL record: series are recreated with their original refs
  // (later refs continue past the largest one), samples are appended unless
  // out of order. Corruption for a record that does not decode. Replay runs
  // before the head is shared: not meant to race with appends.
  Status ReplayWalRecord(std::string_view record, WalReplayStats* stats);
  // Frees replay-only lookup tables; call once replay is done.
  void FinishWalReplay();

  // --- reads (head_read.cc)
  std::unique_ptr<IndexReader> NewIndexReader();
  std::unique_ptr<ChunkReader> NewChunkReader();
  std::unique_ptr<Querier> NewQuerier(int64_t mint, int64_t maxt);

  // Marks the head closed; later appends fail. Reads keep working.
  void Close() { closed_.store(true, std::memory_order_release); }
  bool closed() const { return closed_.load(std::memory_order_acquire); }

  uint64_t NumSeries() const { return num_series_.load(std::memory_order_relaxed); }
  uint64_t NumChunks() const { return num_chunks_.load(std::memory_order_relaxed); }
  // INT64_MAX / INT64_MIN while the head holds no sample (as Prometheus).
  int64_t MinTime() const { return min_time_.load(std::memory_order_relaxed); }
  int64_t MaxTime() const { return max_time_.load(std::memory_order_relaxed); }

  const HeadOptions& options() const { return opts_; }
  // Cardinality statistics of the head's index (for /api/v1/status/tsdb).
  PostingsStats CardinalityStats(size_t limit) const { return postings_.Stats(kMetricName, limit); }

 private:
  friend class HeadAppender;
  friend class HeadIndexReader;

  struct RefStripe {
    mutable Mutex mu;
    SeriesTable<SeriesByRef> series GUARDED_BY(mu);  // owns its series (~Head deletes them)
  };
  struct HashStripe {
    mutable Mutex mu;
    // Distinct label sets with colliding hashes share a chain.
    SeriesTable<SeriesByHash> series GUARDED_BY(mu);
  };
  struct Metrics {
    Gauge* series;
    Counter* series_created;
    Counter* samples_appended;
    Counter* out_of_order;
    Counter* out_of_bound;
    Gauge* chunks;
    Counter* chunks_created;
    Gauge* min_time;
    Gauge* max_time;
  };

  // Creates a series with the given ref, or returns the existing one for
  // these labels (replay of a duplicated series record).
  Result<MemSeries*> CreateWithRef(SeriesRef ref, const Labels& labels);
  MemSeries* ReplayLookup(SeriesRef ref) const;
  // Indexes `labels` under `ref` in the postings and builds a series whose
  // labels point at the postings' interned strings. Caller publishes it.
  std::unique_ptr<MemSeries> NewIndexedSeries(SeriesRef ref, const Labels& labels);
  void PublishSeries(std::unique_ptr<MemSeries> series, HashStripe& hstripe, uint64_t hash) REQUIRES(hstripe.mu);
  MemSeries* FindByHash(const HashStripe& stripe, uint64_t hash, const Labels& labels) const REQUIRES_SHARED(stripe.mu);
  // Called by appenders after a commit, and by replay (replayed samples are
  // not counted as appended, as in Prometheus).
  void OnCommitted(int64_t batch_min_t, int64_t batch_max_t, uint64_t samples, uint64_t chunks_cut,
                   uint64_t out_of_order, bool replayed = false);

  const HeadOptions opts_;
  const size_t stripe_mask_;
  std::unique_ptr<RefStripe[]> ref_stripes_;
  std::unique_ptr<HashStripe[]> hash_stripes_;
  MemPostings postings_;

  std::atomic<SeriesRef> last_ref_{0};
  std::atomic<uint64_t> num_series_{0};
  std::atomic<uint64_t> num_chunks_{0};
  std::atomic<int64_t> min_time_;
  std::atomic<int64_t> max_time_;
  std::atomic<bool> closed_{false};
  wal::Wal* wal_ = nullptr;
  // Replay only (single-threaded, before the head is shared): series by ref
  // for dense refs, sparing a stripe lookup per sample, and refs of series
  // records whose labels were already known under another ref (never written
  // by this code; tolerated as Prometheus does).
  std::vector<MemSeries*> replay_by_ref_;
  std::unordered_map<SeriesRef, MemSeries*> replay_ref_aliases_;

  std::unique_ptr<MetricsRegistry> own_metrics_;
  Metrics metrics_;
};

}  // namespace promethium::tsdb
