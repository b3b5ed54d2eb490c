// GroupMetrics: the self-metrics of one rule group, under Prometheus's names
// and its rule_group="<file>;<name>" label:
//   prometheus_rule_evaluations_total, prometheus_rule_evaluation_failures_total,
//   prometheus_rule_group_iterations_total, prometheus_rule_group_iterations_missed_total,
//   prometheus_rule_group_interval_seconds, prometheus_rule_group_last_duration_seconds,
//   prometheus_rule_group_last_evaluation_timestamp_seconds, prometheus_rule_group_rules,
//   prometheus_rule_group_last_evaluation_samples, prometheus_rule_group_last_rule_duration_sum_seconds,
//   prometheus_rule_group_last_restore_duration_seconds,
// and, shared by all groups and unlabelled, the histograms
// prometheus_rule_evaluation_duration_histogram_seconds and
// prometheus_rule_group_duration_histogram_seconds (buckets .01 .1 1 10) and the
// summaries prometheus_rule_evaluation_duration_seconds and
// prometheus_rule_group_duration_seconds (quantiles 0.5 0.9 0.99 over 10 minutes,
// computed exactly, see tsdb/base/summary.h).
//
// Ownership: the metrics belong to the registry (or, without one, to this
// object). Each GroupMetrics holds its rule_group series in the registry and
// releases them when destroyed, so once the last group of a key is gone (a
// group removed by a reload; a replaced group hands its series to the new
// one, which holds them too) its series stop being exported, as Prometheus
// deletes them. The registry must outlive this object.
// Thread-safety: the metric updates are lock-free (the summaries take a
// short lock).
#pragma once

#include <memory>
#include <string>

#include "tsdb/base/metrics.h"

namespace promethium::rules {

struct GroupMetrics {
  GroupMetrics(MetricsRegistry* registry, const std::string& group_key);
  ~GroupMetrics();  // releases the rule_group series
  GroupMetrics(const GroupMetrics&) = delete;
  GroupMetrics& operator=(const GroupMetrics&) = delete;

  std::unique_ptr<MetricsRegistry> own;  // when no registry was given
  Counter* evaluations = nullptr;
  Counter* failures = nullptr;
  Counter* iterations = nullptr;
  Counter* iterations_missed = nullptr;
  Gauge* interval_seconds = nullptr;
  Gauge* last_duration_seconds = nullptr;
  Gauge* last_evaluation_timestamp_seconds = nullptr;
  Gauge* rules = nullptr;
  Gauge* last_evaluation_samples = nullptr;
  Gauge* last_rule_duration_sum_seconds = nullptr;
  Gauge* last_restore_duration_seconds = nullptr;
  HistogramMetric* eval_duration = nullptr;
  HistogramMetric* group_duration = nullptr;
  Summary* eval_duration_summary = nullptr;
  Summary* group_duration_summary = nullptr;

 private:
  MetricsRegistry* registry_ = nullptr;
  std::string group_key_;
};

}  // namespace promethium::rules
