// Summary (see summary.h).
#include "tsdb/base/summary.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

namespace promethium {

Summary::Summary(SummaryOptions opts) : opts_(std::move(opts)) {}

int64_t Summary::NowMs() const {
  if (opts_.now_ms) return opts_.now_ms();
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void Summary::EvictLocked(int64_t now_ms) {
  while (!window_.empty() && (window_.front().first <= now_ms - opts_.max_age_ms || window_.size() > opts_.max_samples))
    window_.pop_front();
}

void Summary::Observe(double v) {
  const int64_t now = NowMs();
  MutexLock l(&mu_);
  sum_ += v;
  ++count_;
  window_.emplace_back(now, v);
  EvictLocked(now);
}

void Summary::Snapshot(std::vector<double>* quantile_values, double* sum, uint64_t* count) {
  std::vector<double> values;
  {
    MutexLock l(&mu_);
    EvictLocked(NowMs());
    values.reserve(window_.size());
    for (const auto& [t, v] : window_) values.push_back(v);
    *sum = sum_;
    *count = count_;
  }
  quantile_values->clear();
  const size_t n = values.size();
  for (double q : opts_.quantiles) {
    if (n == 0) {
      quantile_values->push_back(std::numeric_limits<double>::quiet_NaN());
      continue;
    }
    // Rank ceil(q * n), 1-based, clamped to [1, n].
    const double rank = std::ceil(std::clamp(q, 0.0, 1.0) * static_cast<double>(n));
    const size_t idx = rank < 1 ? 0 : std::min(n, static_cast<size_t>(rank)) - 1;
    std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(idx), values.end());
    quantile_values->push_back(values[idx]);
  }
}

}  // namespace promethium
