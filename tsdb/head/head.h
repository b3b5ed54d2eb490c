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
// a WalReplayer (wal_replayer.h: sample records applied on worker threads)
// or ReplayWalRecord (head_replay.cc: all on the calling thread).
//
// Truncation (head_truncate.cc): Truncate(mint) drops chunks wholly before
// mint and garbage-collects series left without chunks (Prometheus's
// truncateMemory + gc). Appenders pin the series they hold between Append
// and Commit (MemSeries::Pin, taken under a stripe lock), and GC frees only
// unpinned series while holding both stripe locks exclusively; readers look
// series up and read them under the ref-stripe lock, so a removed series is
// simply NotFound to them.
//
// Out-of-order samples (ooo_window_ms > 0) are merged into the series'
// chunks at commit (MemSeries::InsertOutOfOrder), so every reader, the range
// view for compaction included, sees plain sorted chunks.
//
// Ownership: the Head owns its series, postings and (when none is given) a
// private MetricsRegistry. A MemSeries pointer from GetByRef/GetOrCreate is
// valid only until the next Truncate (tests and single-threaded use).
// Thread-safety: all public methods are safe to call concurrently. There is
// no global lock on the append path: a stripe lock guards lookups/creation
// and each series' own lock guards its chunks. Lock order: hash stripe, ref
// stripe, series.
#pragma once

#include <atomic>
#include <cstdint>
#include <limits>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tsdb/api/storage.h"
#include "tsdb/base/log_throttle.h"
#include "tsdb/base/metrics.h"
#include "tsdb/base/result.h"
#include "tsdb/base/thread_annotations.h"
#include "tsdb/head/mem_series.h"
#include "tsdb/head/read_tracker.h"
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
  // cut.files: where full chunks go (borrowed; must outlive the head), null
  // to keep every chunk in the heap. Truncate deletes its old segments.
  ChunkCutOptions cut;
  size_t max_label_count = 0;  // 0: unlimited
  size_t stripe_count = 4096;  // rounded up to a power of two
  // Out-of-order window: 0 rejects samples older than the series' newest
  // (prometheus_tsdb_out_of_order_samples_total); > 0 accepts them when no
  // older than the head's max time minus this window.
  int64_t ooo_window_ms = 0;
  // How long Truncate waits for open queriers (NewQuerier) and range
  // readers that may read the chunks it drops. Past it, truncation goes on
  // (logged) and such a reader gets NotFound for a dropped chunk.
  int64_t truncate_reader_wait_ms = 60000;
  // Threads that apply sample records during WAL replay (WalReplayer):
  // 0 is one per hardware thread (at least 2); 1 applies them on the
  // reading thread. With an out-of-order window replay always uses 1,
  // because admission then depends on the head's max time across series.
  size_t replay_workers = 0;
  // A run of failed commits (a full disk fails every one) is logged once per
  // this interval, with the number of failures in between.
  int64_t commit_failure_log_interval_ms = 10000;
};

// Samples of one series removed by Head::Delete, as a WAL tombstone
// (Prometheus's tombstones.Stone): the interval is clamped to the series'
// time range.
struct HeadTombstone {
  SeriesRef ref = 0;
  int64_t mint = 0;
  int64_t maxt = 0;
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
  // (later refs continue past the largest one), samples are admitted as a
  // commit admits them (out-of-order window, MinValidTime), tombstones are
  // applied (ApplyTombstone). Corruption for a record that does not decode. Replay runs
  // before the head is shared: not meant to race with appends.
  Status ReplayWalRecord(std::string_view record, WalReplayStats* stats);
  // Frees replay-only lookup tables; call once replay is done.
  void FinishWalReplay();

  // --- reads (head_read.cc)
  std::unique_ptr<IndexReader> NewIndexReader();
  std::unique_ptr<ChunkReader> NewChunkReader();
  // A querier over [mint, maxt], clipped below to MinTime() (Truncate
  // raises it first: data under it lives in a block). Registered with the
  // ReadTracker so truncation waits for it.
  std::unique_ptr<Querier> NewQuerier(int64_t mint, int64_t maxt);
  // The range view for compaction (Prometheus's RangeHead): Series() lists
  // only chunks overlapping [mint, maxt], TimeRange() is clipped to it, and
  // the paired chunk reader clips a chunk that straddles the bounds (only an
  // out-of-order insert into a gap can make one) to the samples in range.
  // Postings are all series: a series without a chunk in range has an empty
  // chunk list (the block writer skips it), as Prometheus's RangeHead.
  std::unique_ptr<IndexReader> NewRangeIndexReader(int64_t mint, int64_t maxt);
  std::unique_ptr<ChunkReader> NewRangeChunkReader(int64_t mint, int64_t maxt);

  // --- truncation (head_truncate.cc)
  // Drops every chunk whose samples are all < mint, garbage-collects series
  // left without chunks (and unpinned), removes them from the postings, and
  // raises MinValidTime() (appends below it fail as out of bounds) and
  // MinTime() to mint. Safe against concurrent appends and queries: after
  // raising MinTime (new queriers start at or above it), it first waits
  // (up to truncate_reader_wait_ms) for open queriers and range readers
  // that start below mint. Do not call it while holding such a reader.
  Status Truncate(int64_t mint);
  // How many Truncate calls are blocked right now waiting for open readers
  // (lets tests observe the wait instead of inferring it from a pause).
  size_t TruncationsWaitingForReaders() const { return reads_.waiting(); }
  // Whether a series with this ref is in the head (for WAL checkpoints).
  bool SeriesExists(SeriesRef ref) const;
  // Appends below this time are rejected as out of bounds (in order or
  // not). Raise-only; queries are not affected. The DB may raise it to the
  // end of a block range before reading that range for compaction, so no
  // out-of-order sample lands there afterwards, and before WAL replay to
  // skip samples already in blocks.
  void SetMinValidTime(int64_t t);
  int64_t MinValidTime() const { return min_valid_time_.load(std::memory_order_acquire); }

  // --- deletion (head_delete.cc)
  // Removes the samples in [mint, maxt] of every series matching all
  // matchers by re-encoding their chunks; appends to *deleted one tombstone
  // per series whose time range overlapped, for the DB to log to the WAL.
  Status Delete(int64_t mint, int64_t maxt, const Matchers& matchers, std::vector<HeadTombstone>* deleted);
  // Replays a tombstone: removes [mint, maxt] from one series. OK when the
  // series no longer exists.
  Status ApplyTombstone(SeriesRef ref, int64_t mint, int64_t maxt);

  // Marks the head closed; later appends fail. Reads keep working.
  void Close() { closed_.store(true, std::memory_order_release); }
  bool closed() const { return closed_.load(std::memory_order_acquire); }

  uint64_t NumSeries() const { return num_series_.load(std::memory_order_relaxed); }
  uint64_t NumChunks() const { return num_chunks_.load(std::memory_order_relaxed); }
  // INT64_MAX / INT64_MIN while the head holds no sample (as Prometheus).
  int64_t MinTime() const { return min_time_.load(std::memory_order_relaxed); }
  int64_t MaxTime() const { return max_time_.load(std::memory_order_relaxed); }

  const HeadOptions& options() const { return opts_; }
  // Where this head's full chunks live (HeadOptions::cut.files; null when
  // they stay in the heap). Readers of a chunk on disk read it through
  // these files: a chunk ref means nothing without the head it came from.
  HeadChunkFiles* chunk_files() const { return opts_.cut.files; }
  // Cardinality statistics of the head's index (for /api/v1/status/tsdb).
  PostingsStats CardinalityStats(size_t limit) const { return postings_.Stats(kMetricName, limit); }

 private:
  friend class HeadAppender;
  friend class HeadIndexReader;
  friend class HeadChunkReader;
  friend class WalReplayer;

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
    Counter* ooo_appended;
    Counter* too_old;
    Counter* truncations;
    Counter* truncations_failed;
    Counter* series_removed;
    Counter* chunks_removed;
    HistogramMetric* gc_duration;
    Counter* failed_commits;
    Counter* failed_commit_samples;
  };
  // What committing samples did (head_append.cc).
  struct CommitCounts {
    int64_t min_t = std::numeric_limits<int64_t>::max();
    int64_t max_t = std::numeric_limits<int64_t>::min();
    uint64_t appended = 0;
    uint64_t chunks_cut = 0;
    uint64_t out_of_order = 0;  // rejected as out of order (window 0)
    uint64_t ooo_appended = 0;  // accepted into the out-of-order window
    uint64_t out_of_bound = 0;  // below MinValidTime or half a chunk range
    uint64_t too_old = 0;       // older than the out-of-order window
  };
  enum class Admit {
    kInOrder,
    kOutOfOrder,
    kSameSample,
    kRejectOutOfOrder,
    kRejectTooOld,
    kRejectOutOfBounds,
    kRejectDuplicate
  };

  // Looks up a series and pins it (caller unpins), or null.
  MemSeries* GetByRefPinned(SeriesRef ref) const;
  // As GetOrCreate, and pins the series.
  Result<MemSeries*> GetOrCreatePinned(const Labels& labels);
  // Runs fn(series) under the ref-stripe (shared) and series locks; false
  // when there is no such series.
  template <typename Fn>
  bool WithSeries(SeriesRef ref, Fn fn) const;
  // Decides where (t, v) goes in `s` given the head's current bounds.
  Admit AdmitSample(const MemSeries& s, int64_t t, double v, int64_t in_order_min) const REQUIRES(s.mu());
  // Admits and stores (t, v) in `s` (commit and replay share it); false when
  // it was not stored.
  bool ApplySample(MemSeries* s, int64_t t, double v, CommitCounts* counts) REQUIRES(s->mu());
  // Admits and stores a histogram sample (exactly one of h, fh) in `s`:
  // in order only (head_histogram.cc). False when it was not stored.
  bool ApplyHistogram(MemSeries* s, int64_t t, const Histogram* h, const FloatHistogram* fh, CommitCounts* counts)
      REQUIRES(s->mu());
  // Replays a histogram or float histogram samples record.
  Status ReplayHistogramRecord(std::string_view record, WalReplayStats* stats);
  // Called by appenders after a commit, and by replay (replayed samples are
  // not counted as appended, as in Prometheus).
  void OnCommitted(const CommitCounts& counts, bool replayed);
  // A commit whose WAL write failed (nothing of it was applied): counted,
  // and logged at most once per commit_failure_log_interval_ms. The next
  // good commit logs that ingestion resumed.
  void OnCommitFailed(size_t samples, const Status& st);
  void OnCommitSucceeded();
  // GC of one hash stripe: unlinks and returns the removable series.
  void CollectGarbage(HashStripe& hstripe, std::vector<MemSeries*>* removed);

  // Creates a series with the given ref, or returns the existing one for
  // these labels (replay of a duplicated series record).
  Result<MemSeries*> CreateWithRef(SeriesRef ref, const Labels& labels);
  MemSeries* ReplayLookup(SeriesRef ref) const;
  // The series a sample record's ref resolves to (or null) and the ref it
  // was created under, which shards parallel replay (an alias resolves to
  // the series of another ref).
  MemSeries* ReplayResolve(SeriesRef ref, SeriesRef* shard_key) const;
  Status ReplaySeriesRecord(std::string_view record, WalReplayStats* stats);
  // Indexes `labels` under `ref` in the postings and builds a series whose
  // labels point at the postings' interned strings. Caller publishes it.
  std::unique_ptr<MemSeries> NewIndexedSeries(SeriesRef ref, const Labels& labels);
  void PublishSeries(std::unique_ptr<MemSeries> series, HashStripe& hstripe, uint64_t hash) REQUIRES(hstripe.mu);
  MemSeries* FindByHash(const HashStripe& stripe, uint64_t hash, const Labels& labels) const REQUIRES_SHARED(stripe.mu);

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
  std::atomic<int64_t> min_valid_time_{std::numeric_limits<int64_t>::min()};
  Mutex truncate_mu_;  // one Truncate at a time
  std::atomic<bool> closed_{false};
  mutable ReadTracker reads_;
  wal::Wal* wal_ = nullptr;
  // Replay only (single-threaded, before the head is shared): series by ref
  // for dense refs, sparing a stripe lookup per sample, and refs of series
  // records whose labels were already known under another ref (never written
  // by this code; tolerated as Prometheus does).
  std::vector<MemSeries*> replay_by_ref_;
  std::unordered_map<SeriesRef, MemSeries*> replay_ref_aliases_;

  std::unique_ptr<MetricsRegistry> own_metrics_;
  Metrics metrics_;
  LogThrottle commit_failure_log_;
};

// NO_THREAD_SAFETY_ANALYSIS: fn runs with s->mu() held (series_lock), but
// clang cannot tie the lambdas' REQUIRES(s.mu()) to this `s`.
template <typename Fn>
bool Head::WithSeries(SeriesRef ref, Fn fn) const NO_THREAD_SAFETY_ANALYSIS {
  const RefStripe& stripe = ref_stripes_[ref & stripe_mask_];
  ReaderMutexLock lock(&stripe.mu);  // GC needs it exclusively to free a series
  MemSeries* s = stripe.series.Find(ref, [ref](const MemSeries& s) { return s.ref() == ref; });
  if (s == nullptr) return false;
  SeriesLock series_lock(s->mu());
  fn(*s);
  return true;
}

}  // namespace promethium::tsdb
