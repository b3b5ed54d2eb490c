// DB: the storage engine's front door, implementing Appendable and Queryable.
//
// In this first slice the DB is an in-memory head only: samples live in
// compressed XOR chunks in memory and are lost when the process exits. There
// is no write-ahead log, no persisted blocks and no compaction yet (that is
// the next issue); Open still creates `dir` through Env so the on-disk layout
// can grow into it.
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
};

class DB final : public Appendable, public Queryable {
 public:
  // Creates `dir` (mkdir -p) and an empty head. `metrics` may be null; when
  // set, the prometheus_tsdb_head_* self-metrics are registered in it.
  static Result<std::unique_ptr<DB>> Open(const std::string& dir, const DBOptions& opts, MetricsRegistry* metrics);
  ~DB() override;

  DB(const DB&) = delete;
  DB& operator=(const DB&) = delete;

  std::unique_ptr<Appender> NewAppender() override;
  // A querier over [mint, maxt] (inclusive, ms); mint > maxt is not an error
  // and simply selects nothing, as in Prometheus.
  Result<std::unique_ptr<Querier>> NewQuerier(int64_t mint, int64_t maxt) override;

  // Marks the DB closed: later appenders fail every Append/Commit. Idempotent.
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
  DB(std::string dir, DBOptions opts, std::unique_ptr<Head> head);

  std::string dir_;
  DBOptions opts_;
  std::unique_ptr<Head> head_;
};

}  // namespace promethium::tsdb
