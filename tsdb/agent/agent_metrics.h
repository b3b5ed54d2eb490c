// AgentMetrics: the agent storage's self-metrics, under Prometheus's
// prometheus_agent_* names (tsdb/agent/db.go). The registry owns them; with
// a null registry they live in a private one.
// Thread-safety: counters and gauges are atomics; safe from any thread.
#pragma once

#include <memory>

#include "tsdb/base/metrics.h"

namespace promethium::tsdb::agent {

struct AgentMetrics {
  explicit AgentMetrics(MetricsRegistry* registry);

  std::unique_ptr<MetricsRegistry> own;  // when no registry was given
  Gauge* active_series;
  Gauge* deleted_series;
  Counter* samples_appended;     // {type="float"}
  Counter* histograms_appended;  // samples_appended_total{type="histogram"}
  Counter* exemplars_appended;
  Counter* out_of_order_samples;
  // A summary without quantiles in Prometheus; a histogram here (same _sum
  // and _count series).
  HistogramMetric* truncate_duration;
  Counter* corruptions;
  Gauge* replay_duration;
  Counter* checkpoint_deletions_failed;
  Counter* checkpoint_deletions;
  Counter* checkpoint_creations_failed;
  Counter* checkpoint_creations;
};

inline AgentMetrics::AgentMetrics(MetricsRegistry* registry)
    : own(registry == nullptr ? std::make_unique<MetricsRegistry>() : nullptr) {
  MetricsRegistry* r = registry != nullptr ? registry : own.get();
  active_series =
      r->GetGauge("prometheus_agent_active_series", "Number of active series being tracked by the WAL storage");
  deleted_series = r->GetGauge("prometheus_agent_deleted_series", "Number of series pending deletion from the WAL");
  samples_appended = r->GetCounter("prometheus_agent_samples_appended_total",
                                   "Total number of samples appended to the storage", {{"type", "float"}});
  histograms_appended = r->GetCounter("prometheus_agent_samples_appended_total",
                                      "Total number of samples appended to the storage", {{"type", "histogram"}});
  exemplars_appended =
      r->GetCounter("prometheus_agent_exemplars_appended_total", "Total number of exemplars appended to the storage");
  out_of_order_samples = r->GetCounter("prometheus_agent_out_of_order_samples_total",
                                       "Total number of out of order samples ingestion failed attempts.");
  truncate_duration = r->GetHistogram("prometheus_agent_truncate_duration_seconds", "Duration of WAL truncation.",
                                      {0.01, 0.1, 1, 10, 60, 300});
  corruptions = r->GetCounter("prometheus_agent_corruptions_total", "Total number of WAL corruptions.");
  replay_duration =
      r->GetGauge("prometheus_agent_data_replay_duration_seconds", "Time taken to replay the data on disk.");
  checkpoint_deletions_failed = r->GetCounter("prometheus_agent_checkpoint_deletions_failed_total",
                                              "Total number of checkpoint deletions that failed.");
  checkpoint_deletions =
      r->GetCounter("prometheus_agent_checkpoint_deletions_total", "Total number of checkpoint deletions attempted.");
  checkpoint_creations_failed = r->GetCounter("prometheus_agent_checkpoint_creations_failed_total",
                                              "Total number of checkpoint creations that failed.");
  checkpoint_creations =
      r->GetCounter("prometheus_agent_checkpoint_creations_total", "Total number of checkpoint creations attempted.");
}

}  // namespace promethium::tsdb::agent
