// MetricsRegistry: Promethium's own instrumentation, exposed on /metrics.
//
// Each module registers the metrics it owns (using Prometheus's own names
// where the meaning is the same, e.g. prometheus_tsdb_head_series, so that
// existing dashboards work) and updates them with lock-free atomics. The
// registry renders every family in the text exposition format 0.0.4.
// Types: counter, gauge, histogram (fixed buckets) and summary (summary.h).
//
// Ownership: the registry owns every metric it hands out; returned pointers
// stay valid for the registry's lifetime, unless the series is released:
// every Get*/Register* call takes a hold on its series and Release() drops
// one; the last Release removes the series (and invalidates its pointer), as
// Prometheus deletes the series of a removed rule group. Series nobody
// releases live as long as the registry. Callback metrics must not outlive
// what their callback reads: unregister by destroying the registry last.
// Thread-safety: registration, release and rendering take an internal mutex;
// updating a Counter/Gauge/HistogramMetric is lock-free and safe from any thread,
// a Summary takes its own short lock.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tsdb/base/summary.h"
#include "tsdb/base/thread_annotations.h"

namespace promethium {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void Inc(double delta = 1.0);
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double delta);
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// A cumulative histogram with fixed upper bounds (the +Inf bucket is implied).
class HistogramMetric {
 public:
  explicit HistogramMetric(std::vector<double> bounds);
  void Observe(double v);
  const std::vector<double>& bounds() const { return bounds_; }
  // Snapshot of per-bucket (non-cumulative) counts, plus sum and count.
  void Snapshot(std::vector<uint64_t>* buckets, double* sum, uint64_t* count) const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // bounds_.size() + 1 entries
  std::atomic<double> sum_{0.0};
  std::atomic<uint64_t> count_{0};
};

class MetricsRegistry {
 public:
  // Returns the metric for (name, labels), creating it on first use. Asking
  // for an existing name with another type is a programming error.
  Counter* GetCounter(const std::string& name, const std::string& help, const MetricLabels& labels = {});
  Gauge* GetGauge(const std::string& name, const std::string& help, const MetricLabels& labels = {});
  HistogramMetric* GetHistogram(const std::string& name, const std::string& help, std::vector<double> bounds,
                                const MetricLabels& labels = {});
  // A summary with Prometheus's usual objectives (quantiles 0.5, 0.9, 0.99
  // over the last 10 minutes; see summary.h for how they are computed).
  Summary* GetSummary(const std::string& name, const std::string& help, const MetricLabels& labels = {});
  // A gauge/counter whose value is read from fn() at render time.
  void RegisterGaugeFunc(const std::string& name, const std::string& help, std::function<double()> fn,
                         const MetricLabels& labels = {});
  void RegisterCounterFunc(const std::string& name, const std::string& help, std::function<double()> fn,
                           const MetricLabels& labels = {});

  // Drops one hold on the series (name, labels); removes it when that was
  // the last (the family too, when it has no series left). Unknown series
  // are ignored.
  void Release(const std::string& name, const MetricLabels& labels);

  // Renders all families, sorted by name, in text exposition format 0.0.4.
  std::string RenderText() const;

 private:
  enum class Type { kCounter, kGauge, kHistogram, kSummary };
  struct Child {
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::unique_ptr<HistogramMetric> histogram;
    std::unique_ptr<Summary> summary;
    std::function<double()> fn;
    int holders = 0;  // Get*/Register* calls not yet released
  };
  struct Family {
    Type type;
    std::string help;
    std::map<MetricLabels, Child> children;
  };
  Family& GetFamily(const std::string& name, const std::string& help, Type type) REQUIRES(mu_);

  mutable Mutex mu_;
  std::map<std::string, Family> families_ GUARDED_BY(mu_);
};

// Formats a float as Go's strconv.FormatFloat(v, 'g', -1, 64), which is what
// Prometheus's exposition writers use: shortest round-trip digits, exponent
// form below 1e-4 and from 1e+06 on ("1.5e+06"), "+Inf", "-Inf", "NaN".
std::string FormatPromFloat(double v);
// Formats a float as Go's strconv.FormatFloat(v, 'f', -1, 64), which is what
// Prometheus's HTTP API uses for sample values in JSON: shortest round-trip
// digits, never an exponent, "+Inf", "-Inf", "NaN".
std::string FormatJsonFloat(double v);

}  // namespace promethium
