// QueueMetrics: the prometheus_remote_storage_* self-metrics of one remote
// write queue, under Prometheus's names, labelled remote_name and url (the
// process-wide samples_in_total and highest_timestamp_in_seconds carry no
// labels).
//
// Ownership: the registry owns the metrics; this struct only points at them,
// so a queue restarted with the same name and URL continues its counters.
// Thread-safety: the metrics are atomics; safe from any thread.
#pragma once

#include <string>

#include "tsdb/base/metrics.h"

namespace promethium::remote {

struct QueueMetrics {
  QueueMetrics(MetricsRegistry* registry, const std::string& remote_name, const std::string& url);

  Counter* samples_total;
  Counter* exemplars_total;
  Counter* histograms_total;
  Counter* metadata_total;
  Counter* samples_failed_total;
  Counter* exemplars_failed_total;
  Counter* histograms_failed_total;
  Counter* metadata_failed_total;
  Counter* samples_retried_total;
  Counter* exemplars_retried_total;
  Counter* histograms_retried_total;
  Counter* metadata_retried_total;
  Counter* samples_dropped_too_old;
  Counter* samples_dropped_series;                // relabeled away
  Counter* samples_dropped_unintentional_series;  // unknown series ref
  Counter* exemplars_dropped_too_old;
  Counter* exemplars_dropped_series;
  Counter* exemplars_dropped_unintentional_series;
  Counter* histograms_dropped_too_old;
  Counter* histograms_dropped_series;
  Counter* histograms_dropped_unintentional_series;
  Counter* enqueue_retries_total;
  HistogramMetric* sent_batch_duration_seconds;
  Gauge* queue_highest_timestamp_seconds;
  Gauge* queue_highest_sent_timestamp_seconds;
  Gauge* samples_pending;
  Gauge* exemplars_pending;
  Gauge* histograms_pending;
  Gauge* shard_capacity;
  Gauge* shards;
  Gauge* shards_max;
  Gauge* shards_min;
  Gauge* shards_desired;
  Gauge* max_samples_per_send;
  Counter* bytes_total;
  Counter* metadata_bytes_total;
  // Process-wide (no labels).
  Counter* samples_in_total;
  Counter* exemplars_in_total;
  Counter* histograms_in_total;
  Gauge* highest_timestamp_in_seconds;
};

// Raises `gauge` to `value` if higher (lock-free).
void SetGaugeToMax(Gauge* gauge, double value);

}  // namespace promethium::remote
