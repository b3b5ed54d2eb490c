// AlertingRule: turns the samples of an expression into alerts, with
// Prometheus's state machine (rules.AlertingRule):
//
//  - each result sample is an alert identified by its labels minus __name__,
//    with the rule labels (expanded as templates) set over them and
//    alertname = the rule name; a new one starts pending with
//    activeAt = evaluation time;
//  - pending turns firing once ts - activeAt >= for (at once with for = 0),
//    and a firing alert whose activeAt is younger than `for` (after a
//    reload lengthened it) goes back to pending;
//  - an alert missing from the result: pending ones are dropped; firing ones
//    with keep_firing_for keep firing until keep_firing_for has passed since
//    they first went missing (keepFiringSince), then resolve: state
//    inactive, resolvedAt = ts, kept 15 minutes (kResolvedRetentionMs) for
//    the notifier, then dropped;
//  - annotations and labels are re-expanded on every evaluation with
//    $labels = the sample's labels (with __name__, as Prometheus passes the
//    whole metric), $value = its value, the external labels and URL; a
//    failing expansion gives "<error expanding template: ...>".
//    A native-histogram sample makes an alert like a float one, with value
//    0 (Prometheus's Alert.Value is the sample's F, unset for histograms);
//    Prometheus binds $value to the histogram itself, which our templates
//    cannot hold yet, so a template mentioning $value or .Value expands to
//    "<error expanding template: unsupported: ...>" for such a sample, and
//    a template `query` whose result holds a histogram fails the same way.
//  - output: for every pending or firing alert, ALERTS{alertname,
//    alertstate, <labels>} = 1 and ALERTS_FOR_STATE{alertname, <labels>} =
//    activeAt in whole seconds, at the query time; none until the `for`
//    state is restored (restored() false only at start-up).
//  - errors: two samples giving the same alert labels ("vector contains
//    metrics with the same labelset after applying alert labels"); more
//    than `limit` pending/firing alerts ("exceeded limit of L with N
//    alerts", and all alert state is dropped, as Prometheus does).
//
// Templates are parsed once, here; a parse error surfaces at every
// expansion, as it would in Prometheus.
//
// Ownership: owns its templates and alert state.
// Thread-safety: Eval runs on the group's thread; the alert accessors lock
// alerts_mu_ and may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "rules/manager/alert.h"
#include "rules/manager/rule.h"
#include "rules/template/template.h"

namespace promethium::rules {

inline constexpr int64_t kResolvedRetentionMs = 15 * 60 * 1000;
inline constexpr std::string_view kAlertMetricName = "ALERTS";
inline constexpr std::string_view kAlertForStateMetricName = "ALERTS_FOR_STATE";

struct AlertingRuleOptions {
  std::string name;
  std::string expr;
  int64_t for_ms = 0;
  int64_t keep_firing_for_ms = 0;
  Labels labels;                                                 // raw templates
  std::vector<std::pair<std::string, std::string>> annotations;  // raw templates (sorted by name here)
  Labels external_labels;
  std::string external_url;
  bool restored = true;  // false: no ALERTS output until SetRestored(true)
};

class AlertingRule final : public Rule {
 public:
  explicit AlertingRule(AlertingRuleOptions opts);
  ~AlertingRule() override;

  const std::string& name() const override { return opts_.name; }
  const Labels& labels() const override { return opts_.labels; }
  const std::string& expr() const override { return opts_.expr; }
  std::string Definition() const override;
  bool is_alerting() const override { return true; }
  int64_t for_ms() const { return opts_.for_ms; }
  int64_t keep_firing_for_ms() const { return opts_.keep_firing_for_ms; }
  const std::vector<std::pair<std::string, std::string>>& annotations() const { return opts_.annotations; }

  Result<promql::Vector> Eval(const RuleEvalContext& ctx) override;

  // Copies of the alerts, ordered by labels: all (including resolved ones
  // still retained) or only the active (unresolved) ones.
  std::vector<Alert> CurrentAlerts() const EXCLUDES(alerts_mu_);
  std::vector<Alert> ActiveAlerts() const EXCLUDES(alerts_mu_);
  // The highest state among the alerts.
  AlertState State() const EXCLUDES(alerts_mu_);

  // Marks the alerts that need sending at ts (resend delay, see Alert),
  // updates their lastSentAt/validUntil (ts + 4 * max(interval, resend
  // delay)) and returns copies of them.
  std::vector<Alert> TakeAlertsToSend(int64_t ts_ms, int64_t resend_delay_ms, int64_t interval_ms) EXCLUDES(alerts_mu_);

  // Runs fn on every alert in place (used by reload and `for` restore).
  void ForEachAlert(const std::function<void(Alert*)>& fn) EXCLUDES(alerts_mu_);
  // Adds the alerts of `from` (same key wins from `from`), as Prometheus's
  // CopyState does with maps.Copy.
  void CopyAlertsFrom(const AlertingRule& from) EXCLUDES(alerts_mu_);

  bool restored() const { return restored_.load(); }
  void SetRestored(bool r) { restored_.store(r); }

  // ALERTS_FOR_STATE{alertname, rule labels without templates} selector
  // labels, for restoring `for` state.
  Labels ForStateSelectorLabels() const;

 private:
  struct Expansion;
  Result<std::map<Labels, Alert>> BuildAlerts(const promql::Vector& res, const RuleEvalContext& ctx) const;
  promql::VectorElement AlertSample(const Alert& a, int64_t ts) const;
  promql::VectorElement ForStateSample(const Alert& a, int64_t ts) const;

  const AlertingRuleOptions opts_;
  std::unique_ptr<Expansion> expansion_;  // parsed templates, immutable after construction
  std::atomic<bool> restored_;

  mutable Mutex alerts_mu_;
  std::map<Labels, Alert> active_ GUARDED_BY(alerts_mu_);  // keyed by alert labels
};

}  // namespace promethium::rules
