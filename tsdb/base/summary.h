// Summary: a metric of observations reported as quantiles over a sliding
// time window plus an all-time sum and count, as Prometheus's client_golang
// Summary (used, e.g., for prometheus_rule_evaluation_duration_seconds).
//
// client_golang estimates its quantiles with a streaming algorithm (within
// a stated rank error) over the last 10 minutes, kept in 5 rotating age
// buckets. This one keeps the observations themselves, newest last, for at
// most `max_age_ms` and at most `max_samples` of them, and reports exact
// quantiles over what it keeps: for q, the smallest kept value v such that
// at least q * n kept values are <= v (rank ceil(q * n)). When more than
// `max_samples` observations fall in the window, the oldest are dropped
// early, so the window shrinks to the newest `max_samples` observations.
// With nothing in the window, every quantile is NaN (as client_golang).
//
// Ownership: owns its observations (bounded by max_samples).
// Thread-safety: Observe and Snapshot may be called from any thread; they
// take an internal mutex (the critical sections are O(1) amortized for
// Observe and O(n) for Snapshot, which runs only when /metrics is read).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <utility>
#include <vector>

#include "tsdb/base/thread_annotations.h"

namespace promethium {

struct SummaryOptions {
  std::vector<double> quantiles = {0.5, 0.9, 0.99};
  int64_t max_age_ms = 10 * 60 * 1000;  // client_golang's DefMaxAge
  size_t max_samples = 4096;
  // Monotonic clock in ms; null: std::chrono::steady_clock.
  std::function<int64_t()> now_ms;
};

class Summary {
 public:
  explicit Summary(SummaryOptions opts = {});

  void Observe(double v) EXCLUDES(mu_);
  const std::vector<double>& quantiles() const { return opts_.quantiles; }
  // The value of each of quantiles() over the window (NaN when it is empty),
  // and the all-time sum and count.
  void Snapshot(std::vector<double>* quantile_values, double* sum, uint64_t* count) EXCLUDES(mu_);

 private:
  int64_t NowMs() const;
  void EvictLocked(int64_t now_ms) REQUIRES(mu_);

  const SummaryOptions opts_;
  Mutex mu_;
  std::deque<std::pair<int64_t, double>> window_ GUARDED_BY(mu_);  // (time ms, value), oldest first
  double sum_ GUARDED_BY(mu_) = 0;
  uint64_t count_ GUARDED_BY(mu_) = 0;
};

}  // namespace promethium
