// GroupMetrics: the self-metrics of one rule group, under Prometheus's names
// and its rule_group="<file>;<name>" label:
//   prometheus_rule_evaluations_total, prometheus_rule_evaluation_failures_total,
//   prometheus_rule_group_iterations_total, prometheus_rule_group_iterations_missed_total,
//   prometheus_rule_group_interval_seconds, prometheus_rule_group_last_duration_seconds,
//   prometheus_rule_group_last_evaluation_timestamp_seconds, prometheus_rule_group_rules,
//   prometheus_rule_group_last_evaluation_samples, prometheus_rule_group_last_rule_duration_sum_seconds,
//   prometheus_rule_group_last_restore_duration_seconds,
// and the unlabelled histograms prometheus_rule_evaluation_duration_histogram_seconds and
// prometheus_rule_group_duration_histogram_seconds (buckets .01 .1 1 10). Prometheus's
// summaries prometheus_rule_evaluation_duration_seconds and
// prometheus_rule_group_duration_seconds are not exported: MetricsRegistry has
// no summary type.
//
// Ownership: the metrics belong to the registry (or, without one, to this
// object). Our registry cannot delete series, so the metrics of a removed
// group stay exported with their last values (Prometheus deletes them).
// Thread-safety: the metric updates are lock-free.
#pragma once

#include <memory>
#include <string>

#include "tsdb/base/metrics.h"

namespace promethium::rules {

struct GroupMetrics {
  GroupMetrics(MetricsRegistry* registry, const std::string& group_key);

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
  Histogram* eval_duration = nullptr;
  Histogram* group_duration = nullptr;
};

}  // namespace promethium::rules
