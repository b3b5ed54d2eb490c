// DB: the storage engine's front door, implementing Appendable and Queryable.
//
// The DB is an in-memory head (samples in compressed XOR chunks) made
// durable by a write-ahead log in <dir>/wal (tsdb/wal/, docs/format/wal.md):
// every Commit is logged before it becomes visible, and Open replays the WAL
// to restore the head exactly. There are no persisted blocks, compaction or
// WAL checkpoints yet (the next step), so the WAL grows until then.
//
// Ownership: the caller owns the DB. Appenders and queriers it hands out
// borrow from it and must be destroyed before it. The MetricsRegistry passed
// to Open must outlive the DB (its callback gauges read the head).
// Thread-safety: every method may be called from any thread concurrently;
// appends from many scrape threads run in parallel (lock stripes plus a lock
// per series, no global append lock).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "tsdb/api/storage.h"
#include "tsdb/base/metrics.h"
#include "tsdb/base/result.h"
#include "tsdb/base/status.h"
#include "tsdb/index/mem_postings.h"

namespace promethium {
class Env;
}

namespace promethium::tsdb {

class Head;
namespace wal {
class Wal;
}

struct DBOptions {
  // Out-of-order ingestion window. Only 0 (Prometheus's default: reject any
  // sample older than the series' newest one) is supported for now; a
  // positive value makes Open fail with "unsupported: ...".
  int64_t out_of_order_window_ms = 0;
  // Width of a head chunk range (Prometheus's min block duration, 2h). Chunks
  // are cut at multiples of it, and samples older than (head max time -
  // range/2) are rejected as out of bounds, as in Prometheus.
  int64_t chunk_range_ms = 2 * 60 * 60 * 1000;
  // Target number of samples per XOR chunk (Prometheus: 120).
  int samples_per_chunk = 120;
  // Appends whose label set has more labels than this fail with
  // ResourceExhausted. 0 means unlimited.
  size_t max_label_count = 0;
  // File system to use; nullptr means Env::Default().
  Env* env = nullptr;

  // --- write-ahead log
  // Off only for tests and benchmarks of the in-memory head: without it
  // nothing survives a restart.
  bool wal_enabled = true;
  // Segment files are cut at this size (Prometheus: 128 MiB).
  uint64_t wal_segment_size = 128ull << 20;
  // When commits are fsynced. The default, as Prometheus, never fsyncs per
  // commit: a commit is in the page cache once it returns, which survives a
  // process crash but not a power loss or kernel crash; segments are fsynced
  // when cut and on Close. kOnCommit fsyncs before every Commit returns;
  // kInterval fsyncs in the background every wal_sync_interval_ms.
  enum class WalSync { kNever, kOnCommit, kInterval };
  WalSync wal_sync = WalSync::kNever;
  int64_t wal_sync_interval_ms = 1000;
};

class DB final : public Appendable, public Queryable {
 public:
  // Creates `dir` (mkdir -p), replays its WAL into a new head (repairing a
  // torn or corrupt tail, see tsdb/wal/wal_reader.h) and opens the WAL for
  // appends. `metrics` may be null; when set, the prometheus_tsdb_head_* and
  // prometheus_tsdb_wal_* self-metrics are registered in it.
  static Result<std::unique_ptr<DB>> Open(const std::string& dir, const DBOptions& opts, MetricsRegistry* metrics);
  ~DB() override;

  DB(const DB&) = delete;
  DB& operator=(const DB&) = delete;

  std::unique_ptr<Appender> NewAppender() override;
  // A querier over [mint, maxt] (inclusive, ms); mint > maxt is not an error
  // and simply selects nothing, as in Prometheus.
  Result<std::unique_ptr<Querier>> NewQuerier(int64_t mint, int64_t maxt) override;

  // Marks the DB closed: later appenders fail every Append/Commit, then
  // fsyncs and closes the WAL. Idempotent.
  Status Close();

  struct HeadStats {
    uint64_t num_series = 0;
    uint64_t num_chunks = 0;
    // INT64_MAX and INT64_MIN while the head holds no sample (as Prometheus).
    int64_t min_time = 0;
    int64_t max_time = 0;
  };
  HeadStats Stats() const;
  // Top-`limit` cardinality statistics of the head (series per metric name,
  // values per label name, ...), as Prometheus's /api/v1/status/tsdb shows.
  PostingsStats CardinalityStats(size_t limit) const;

  const std::string& dir() const { return dir_; }

 private:
  DB(std::string dir, DBOptions opts, std::unique_ptr<wal::Wal> wal, std::unique_ptr<Head> head);
  // Replays <dir>/wal into `head` and opens the WAL writer after it.
  static Result<std::unique_ptr<wal::Wal>> ReplayAndOpenWal(const std::string& dir, const DBOptions& opts, Env* env,
                                                            Head* head, MetricsRegistry* metrics);

  std::string dir_;
  DBOptions opts_;
  std::unique_ptr<wal::Wal> wal_;  // declared before head_: outlives it
  std::unique_ptr<Head> head_;
};

}  // namespace promethium::tsdb
