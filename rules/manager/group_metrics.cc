// GroupMetrics (see group_metrics.h).
#include "rules/manager/group_metrics.h"

namespace promethium::rules {

namespace {
// The per-group (rule_group-labelled) families, released by ~GroupMetrics.
constexpr const char* kGroupFamilies[] = {
    "prometheus_rule_evaluations_total",
    "prometheus_rule_evaluation_failures_total",
    "prometheus_rule_group_iterations_total",
    "prometheus_rule_group_iterations_missed_total",
    "prometheus_rule_group_interval_seconds",
    "prometheus_rule_group_last_duration_seconds",
    "prometheus_rule_group_last_evaluation_timestamp_seconds",
    "prometheus_rule_group_rules",
    "prometheus_rule_group_last_evaluation_samples",
    "prometheus_rule_group_last_rule_duration_sum_seconds",
    "prometheus_rule_group_last_restore_duration_seconds",
};
}  // namespace

GroupMetrics::GroupMetrics(MetricsRegistry* registry, const std::string& group_key) : group_key_(group_key) {
  if (registry == nullptr) {
    own = std::make_unique<MetricsRegistry>();
    registry = own.get();
  }
  registry_ = registry;
  const MetricLabels l = {{"rule_group", group_key}};
  evaluations = registry->GetCounter("prometheus_rule_evaluations_total", "The total number of rule evaluations.", l);
  failures = registry->GetCounter("prometheus_rule_evaluation_failures_total",
                                  "The total number of rule evaluation failures.", l);
  iterations =
      registry->GetCounter("prometheus_rule_group_iterations_total",
                           "The total number of scheduled rule group evaluations, whether executed or missed.", l);
  iterations_missed =
      registry->GetCounter("prometheus_rule_group_iterations_missed_total",
                           "The total number of rule group evaluations missed due to slow rule group evaluation.", l);
  interval_seconds = registry->GetGauge("prometheus_rule_group_interval_seconds", "The interval of a rule group.", l);
  last_duration_seconds = registry->GetGauge("prometheus_rule_group_last_duration_seconds",
                                             "The duration of the last rule group evaluation.", l);
  last_evaluation_timestamp_seconds =
      registry->GetGauge("prometheus_rule_group_last_evaluation_timestamp_seconds",
                         "The timestamp of the last rule group evaluation in seconds.", l);
  rules = registry->GetGauge("prometheus_rule_group_rules", "The number of rules.", l);
  last_evaluation_samples =
      registry->GetGauge("prometheus_rule_group_last_evaluation_samples",
                         "The number of samples returned during the last rule group evaluation.", l);
  last_rule_duration_sum_seconds = registry->GetGauge(
      "prometheus_rule_group_last_rule_duration_sum_seconds",
      "The sum of time in seconds it took to evaluate each rule in the group regardless of concurrency.", l);
  last_restore_duration_seconds = registry->GetGauge(
      "prometheus_rule_group_last_restore_duration_seconds",
      "The duration of the last alert rules alerts restoration using the `ALERTS_FOR_STATE` series.", l);
  eval_duration = registry->GetHistogram("prometheus_rule_evaluation_duration_histogram_seconds",
                                         "The duration for a rule to execute.", {.01, .1, 1, 10});
  group_duration = registry->GetHistogram("prometheus_rule_group_duration_histogram_seconds",
                                          "The duration of rule group evaluations.", {.01, .1, 1, 10});
  eval_duration_summary =
      registry->GetSummary("prometheus_rule_evaluation_duration_seconds", "The duration for a rule to execute.");
  group_duration_summary =
      registry->GetSummary("prometheus_rule_group_duration_seconds", "The duration of rule group evaluations.");
}

GroupMetrics::~GroupMetrics() {
  const MetricLabels l = {{"rule_group", group_key_}};
  for (const char* name : kGroupFamilies) registry_->Release(name, l);
}

}  // namespace promethium::rules
