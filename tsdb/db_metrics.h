// DB::Metrics: the DB's own self-metrics (blocks, compactions, retention),
// with Prometheus's names. Private to the db*.cc files.
//
// Ownership: the pointers are owned by the MetricsRegistry (the DB's, or a
// private one when the DB got none).
// Thread-safety: the metric types are atomic.
#pragma once

#include "tsdb/base/metrics.h"
#include "tsdb/db.h"
#include "tsdb/wal/compression.h"

namespace promethium::tsdb {

struct DB::Metrics {
  explicit Metrics(MetricsRegistry* r);

  Counter* compactions;         // prometheus_tsdb_compactions_total
  Counter* compactions_failed;  // prometheus_tsdb_compactions_failed_total
  Counter* compactions_triggered;
  HistogramMetric* compaction_duration;
  Counter* head_truncations_failed;
  Counter* reloads;
  Counter* reloads_failed;
  Counter* time_retentions;
  Counter* size_retentions;
  Counter* quarantined;  // promethium_tsdb_blocks_quarantined_total
  Gauge* blocks_loaded;
  Gauge* blocks_bytes;
  Gauge* lowest_timestamp;
  Gauge* retention_limit_bytes;
  Gauge* retention_limit_seconds;
};

// The WAL's compression for the DB's option.
wal::Compression ToWalCompression(DBOptions::WalCompression c);

}  // namespace promethium::tsdb
