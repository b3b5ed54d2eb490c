// AgentDB: the WAL-only storage of agent mode (--agent), as Prometheus's
// tsdb/agent.DB. It keeps no blocks, no head chunks and answers no queries:
// every committed batch is written to <dir>/wal in our WAL format
// (tsdb/wal: series records for new series, then samples, then exemplars),
// where the remote write WAL watchers read it, and it remembers per series
// only its labels, ref and newest timestamp (to reject out-of-order
// samples and to keep refs stable).
//
// Open replays the newest checkpoint and the segments after it to rebuild
// the series map with the logged refs (a torn or corrupt tail of ours is cut
// off as the head's replay does; files not provably ours stop start-up
// untouched). A background thread truncates the WAL every
// truncate_frequency_ms (see Truncate).
//
// Ownership: the AgentDB owns its Wal, lock file and thread; the Env and
// MetricsRegistry are borrowed and must outlive it.
// Thread-safety: NewAppender, Truncate and the accessors are safe from any
// thread; an Appender is used by one thread at a time. Close from the owning
// thread, after every appender is gone.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>

#include "tsdb/agent/agent_metrics.h"
#include "tsdb/agent/series_map.h"
#include "tsdb/api/storage.h"
#include "tsdb/base/cond_var.h"
#include "tsdb/base/env.h"
#include "tsdb/base/metrics.h"
#include "tsdb/base/result.h"
#include "tsdb/base/thread_annotations.h"
#include "tsdb/wal/compression.h"
#include "tsdb/wal/wal.h"

namespace promethium::tsdb::agent {

struct AgentOptions {
  uint64_t wal_segment_size = 128ull << 20;                  // --storage.agent.wal-segment-size
  wal::Compression compression = wal::Compression::kSnappy;  // --storage.agent.wal-compression(-type)
  int64_t truncate_frequency_ms = 2LL * 3600 * 1000;         // --storage.agent.wal-truncate-frequency
  int64_t min_wal_time_ms = 5LL * 60 * 1000;                 // --storage.agent.retention.min-time
  int64_t max_wal_time_ms = 4LL * 3600 * 1000;               // --storage.agent.retention.max-time
  int64_t out_of_order_window_ms = 0;                        // storage.tsdb.out_of_order_time_window
  bool no_lockfile = false;                                  // --storage.agent.no-lockfile
  // The lowest WAL segment some remote write queue has not acknowledged
  // (remote::WalRetention::SegmentFloor); nullopt or null: no queue.
  std::function<std::optional<uint64_t>()> segment_floor;
  // Wall clock in ms (tests replace it); null means the system clock.
  std::function<int64_t()> now_ms;
  bool start_truncation_thread = true;  // tests call Truncate() themselves
};

// What one Truncate did (for tests and logs).
struct TruncateOutcome {
  size_t gc_series = 0;                // series dropped from the map
  bool checkpointed = false;           // a checkpoint was written
  uint64_t checkpoint_last = 0;        // segments <= this were checkpointed and deleted
  std::optional<uint64_t> floor_used;  // the queues' floor, when there were queues
};

class AgentDB : public Appendable, public Queryable {
 public:
  // Opens (creating) `dir` and its wal/ subdirectory and replays it.
  // `metrics` may be null.
  static Result<std::unique_ptr<AgentDB>> Open(Env* env, const std::string& dir, AgentOptions opts,
                                               MetricsRegistry* metrics);
  ~AgentDB() override;
  AgentDB(const AgentDB&) = delete;
  AgentDB& operator=(const AgentDB&) = delete;

  std::unique_ptr<Appender> NewAppender() override;
  // Agent mode keeps nothing to query: always "unsupported operation with
  // WAL-only storage", as Prometheus's agent answers.
  Result<std::unique_ptr<Querier>> NewQuerier(int64_t mint, int64_t maxt) override;

  // One truncation now: drops series with no sample since now -
  // min_wal_time_ms, starts a new segment, and checkpoints (then deletes)
  // the lower two thirds of the older segments, but never a segment at or
  // above the queues' floor, unless all its samples are older than now -
  // max_wal_time_ms; with no queue, never a segment holding samples newer
  // than now - min_wal_time_ms. The checkpoint keeps the series records of
  // live series (and of dropped ones still referenced by kept segments) and
  // their samples newer than the GC time.
  Result<TruncateOutcome> Truncate();
  // Stops the truncation thread and closes the WAL. Idempotent.
  Status Close();

  std::string wal_dir() const { return wal_dir_; }
  size_t NumSeries() const { return series_.size(); }
  uint64_t CurrentSegment() const { return wal_->CurrentSegment(); }

 private:
  friend class AgentAppender;
  AgentDB(Env* env, std::string dir, AgentOptions opts, MetricsRegistry* metrics);

  Status Replay();
  Status CheckWalDirIsOurs();
  int64_t NowMs() const;
  SeriesRef NewRef() { return next_ref_.fetch_add(1, std::memory_order_relaxed); }
  // Records that the samples of a batch logged while the WAL was between
  // segments [from, to] reach `max_ts`.
  void NoteSegmentMaxTime(uint64_t from, uint64_t to, int64_t max_ts);
  // The highest segment s in [first, below) such that every segment in
  // [first, s] holds only samples older than `cutoff`, or nullopt.
  std::optional<uint64_t> LastSegmentOlderThan(int64_t cutoff, uint64_t first, uint64_t below) const;
  void TruncateLoop() EXCLUDES(stop_mu_);

  Env* const env_;
  const std::string dir_;
  const std::string wal_dir_;
  const AgentOptions opts_;
  AgentMetrics metrics_;
  int lock_fd_ = -1;
  std::unique_ptr<wal::Wal> wal_;
  SeriesMap series_;
  std::atomic<SeriesRef> next_ref_{1};

  // Each series' newest exemplar, to drop exact repeats (as Prometheus).
  Mutex exemplars_mu_;
  std::unordered_map<SeriesRef, Exemplar> latest_exemplar_ GUARDED_BY(exemplars_mu_);

  mutable Mutex segments_mu_;
  std::map<uint64_t, int64_t> segment_max_ts_ GUARDED_BY(segments_mu_);

  Mutex truncate_mu_;  // one Truncate at a time
  // Dropped series whose records must stay in checkpoints while segments up
  // to the mapped one exist (Prometheus's agent db.deleted).
  std::unordered_map<SeriesRef, uint64_t> deleted_ GUARDED_BY(truncate_mu_);

  Mutex stop_mu_;
  CondVar stop_cv_;  // with stop_mu_: stop_ was set
  bool stop_ GUARDED_BY(stop_mu_) = false;
  std::thread truncator_;
  bool closed_ = false;
};

}  // namespace promethium::tsdb::agent
