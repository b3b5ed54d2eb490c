// Group: a named list of rules evaluated in order at a fixed interval, as
// Prometheus's rules.Group.
//
// One evaluation (EvalOnce(ts)) runs the rules in file order; each rule's
// output is appended and committed before the next rule runs, so a later
// rule sees what an earlier one recorded in the same round. Per rule:
//  - the query runs at ts - query_offset (the group's query_offset, else the
//    global rule_query_offset), and output samples carry that time;
//    native-histogram results are appended with AppendHistogram (float
//    counts), floats with Append;
//  - an error marks the rule unhealthy, counts a failure and appends
//    nothing (its previous series are not marked stale);
//  - series the rule produced last round but not this one get a staleness
//    marker (a float StaleNaN, also for histogram series) at the same time;
//  - alerting rules then hand the alerts that need sending to `notify`.
// Series of rules removed by a reload (CopyState) or of a removed group
// (WriteStaleMarkersForAll) get staleness markers too.
//
// Scheduling (Start/Stop): one thread per group. Evaluation times are
// aligned as Prometheus does (EvalTimestamp: a per-group offset, from a hash
// of file and name, within the interval), the first evaluation is one
// interval after the aligned start, and an evaluation that overruns skips
// the slots it missed (counted in prometheus_rule_group_iterations_missed_total)
// instead of queueing them. When the group must restore `for` state it does
// so after its second evaluation (RestoreForState), as Prometheus.
//
// Ownership: owns its rules; borrows everything in RulesOptions.
// Thread-safety: EvalOnce, CopyState and WriteStaleMarkersForAll serialize on
// eval_mu_; Start/Stop are called by the owner (the Manager) from one
// thread; the accessors may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "rules/manager/alerting_rule.h"
#include "rules/manager/group_metrics.h"
#include "rules/manager/options.h"
#include "rules/manager/rule.h"
#include "tsdb/base/cond_var.h"
#include "tsdb/base/thread_annotations.h"

namespace promethium::rules {

struct GroupOptions {
  std::string name;
  std::string file;
  int64_t interval_ms = 60 * 1000;
  int64_t query_offset_ms = -1;  // -1: use the default (SetDefaultQueryOffset)
  int64_t limit = 0;             // <= 0: unlimited
  std::vector<std::unique_ptr<Rule>> rules;
  bool should_restore = false;  // restore `for` state after the second evaluation
};

// "<file>;<name>", Prometheus's GroupKey (the rule_group label).
std::string GroupKey(std::string_view file, std::string_view name);

// The hash that places a group's evaluations within its interval:
// Prometheus's labels{file, name}.Hash() (XXH64), so that both evaluate a
// group from the same file at the same instants.
uint64_t GroupSlotHash(std::string_view file, std::string_view name);

// Number of whole intervals missed when a tick for the evaluation after
// last_eval_ts_ms is handled at now_ms (Prometheus: (now - last)/interval - 1).
int64_t MissedIterations(int64_t now_ms, int64_t last_eval_ts_ms, int64_t interval_ms);

class Group {
 public:
  Group(GroupOptions opts, const RulesOptions* deps);
  ~Group();  // stops the thread
  Group(const Group&) = delete;
  Group& operator=(const Group&) = delete;

  const std::string& name() const { return opts_.name; }
  const std::string& file() const { return opts_.file; }
  std::string key() const { return GroupKey(opts_.file, opts_.name); }
  int64_t interval_ms() const { return opts_.interval_ms; }
  int64_t limit() const { return opts_.limit; }
  // The effective query offset.
  int64_t query_offset_ms() const;
  void SetDefaultQueryOffset(int64_t ms) { default_query_offset_ms_.store(ms); }
  // The rules, in order (owned by the group, immutable list).
  const std::vector<std::unique_ptr<Rule>>& rules() const { return opts_.rules; }

  // The aligned evaluation time at or before start_ms (Prometheus's
  // EvalTimestamp, computed in nanoseconds as there).
  int64_t EvalTimestamp(int64_t start_ms) const;
  // The nanoseconds past the millisecond of every evaluation instant of
  // this group (Prometheus's are ns-precise; the API shows them in activeAt).
  int32_t SlotSubMsNs() const;

  // One full iteration at ts: counts it, evaluates every rule, writes stale
  // markers, records the timings.
  void EvalOnce(int64_t ts_ms) EXCLUDES(eval_mu_, state_mu_);

  // Same name, file, interval, limit, query offset and rule definitions.
  bool Equals(const Group& other) const;
  // Takes over the state of the group this one replaces on reload: matching
  // rules (same name and labels, in order) get the old rule's series and
  // active alerts; the series of unmatched old rules are marked stale at
  // the next evaluation. `from` must be stopped.
  void CopyState(Group& from) EXCLUDES(eval_mu_);
  // Appends staleness markers at ts - query offset for every series the
  // group's rules produced in their last evaluation (the group was removed).
  void WriteStaleMarkersForAll(int64_t ts_ms) EXCLUDES(eval_mu_);
  // Prometheus's RestoreForState at wall time ts_ms (see restore.cc).
  void RestoreForState(int64_t ts_ms);

  void Start();
  // Returns once the scheduler thread has ended: no evaluation runs after.
  void Stop();
  // From Start until the scheduler thread's last evaluation returned.
  bool running() const { return running_.load(); }

  // Timings of the latest iteration, for the API.
  int64_t last_evaluation_ms() const EXCLUDES(state_mu_);  // wall clock at start, 0 = never
  double evaluation_seconds() const EXCLUDES(state_mu_);
  int64_t last_eval_timestamp_ms() const EXCLUDES(state_mu_);  // the iteration's ts

  const GroupMetrics& metrics() const { return metrics_; }

 private:
  int64_t NowMs() const;
  void Run();
  // Waits until wall time target_ms; false when stopped first.
  bool WaitUntil(int64_t target_ms) EXCLUDES(run_mu_);
  // Waits for the tick after *ts_ms, then advances *ts_ms to the next
  // evaluation time, skipping (and counting) missed slots; false when stopped.
  bool NextTick(int64_t* ts_ms);
  void Eval(int64_t ts_ms) REQUIRES(eval_mu_);
  double EvalRule(size_t i, int64_t ts_ms, int64_t offset_ms, double* samples) REQUIRES(eval_mu_);
  void AppendResult(size_t i, Rule& rule, const promql::Vector& vec, int64_t stale_ts) REQUIRES(eval_mu_);
  void CleanupStaleSeries(int64_t ts_ms) REQUIRES(eval_mu_);

  GroupOptions opts_;
  const RulesOptions* deps_;
  GroupMetrics metrics_;
  std::atomic<int64_t> default_query_offset_ms_{0};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> running_{false};

  Mutex eval_mu_;
  // Per rule: the series its last successful evaluation appended.
  std::vector<std::set<Labels>> series_in_previous_eval_ GUARDED_BY(eval_mu_);
  std::vector<Labels> stale_series_ GUARDED_BY(eval_mu_);  // to mark stale at the next evaluation

  mutable Mutex state_mu_;
  int64_t last_evaluation_ms_ GUARDED_BY(state_mu_) = 0;
  double evaluation_seconds_ GUARDED_BY(state_mu_) = 0;
  int64_t last_eval_ts_ms_ GUARDED_BY(state_mu_) = 0;

  // Wakes the scheduler thread on Stop. stopping_ is the state (an atomic:
  // evaluations read it without the lock); run_mu_ only pairs with run_cv_
  // (stopping_ is set under it, so no wake-up is lost).
  Mutex run_mu_;
  CondVar run_cv_;
  std::thread thread_;
};

}  // namespace promethium::rules
