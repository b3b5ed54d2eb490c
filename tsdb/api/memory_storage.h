// MemoryStorage: a tiny in-memory Queryable for the promqltest runner,
// engine and rules tests and promtool-style rule unit tests, so they do not
// depend on the TSDB engine.
//
// A series holds float samples and native-histogram samples (integer or
// float counts); one timestamp holds one sample of either kind, the last one
// added. Histograms read back with the counter-reset hint Prometheus's head
// chunks give them: gauge histograms keep kGauge; a counter histogram that
// continues the previous one (same kind and layout family, no reset, no
// float in between) reads kNotCounterReset, any other kUnknown, as the first
// sample of a new chunk does. (Chunks cut only for size are not modelled;
// samples inserted before the newest keep the hint they came with.)
// Series are kept sorted by labels; Select applies every matcher and
// returns the series restricted to the querier's [mint, maxt], their float
// and histogram samples merged in time order.
// Ownership: queriers copy the samples they return, so they stay valid even
// if the storage is cleared afterwards (histograms are shared immutable).
// Thread-safety: not thread-safe; load data before querying.
#pragma once

#include <map>
#include <memory>
#include <vector>

#include "tsdb/api/series_list.h"
#include "tsdb/api/storage.h"

namespace promethium {

// One native-histogram sample of MemoryStorage: exactly one of h and fh is
// set.
struct MemoryHistogramSample {
  int64_t t = 0;
  std::shared_ptr<const Histogram> h;
  std::shared_ptr<const FloatHistogram> fh;
};

class MemoryStorage final : public Queryable {
 public:
  // Adds a float sample. A sample (of either kind) at an existing timestamp
  // of the series is replaced.
  void Add(const Labels& labels, int64_t t, double v);
  // Adds a native-histogram sample with integer counts, or with float counts.
  void AddHistogram(const Labels& labels, int64_t t, const Histogram& h);
  void AddFloatHistogram(const Labels& labels, int64_t t, const FloatHistogram& fh);
  void Clear() {
    series_.clear();
    histograms_.clear();
  }
  size_t NumSeries() const;

  Result<std::unique_ptr<Querier>> NewQuerier(int64_t mint, int64_t maxt) override;

  // The float samples of each series that has any.
  const std::map<Labels, std::vector<Sample>>& series() const { return series_; }
  // The histogram samples of each series that has any.
  const std::map<Labels, std::vector<MemoryHistogramSample>>& histograms() const { return histograms_; }

 private:
  void AddHistogramSample(const Labels& labels, MemoryHistogramSample s);
  // Whether t is after every sample of the series.
  bool IsNewest(const Labels& labels, int64_t t) const;
  // The hint `s`, appended after every other sample, reads back with.
  CounterResetHint ReadHint(const Labels& labels, const MemoryHistogramSample& s) const;

  std::map<Labels, std::vector<Sample>> series_;
  std::map<Labels, std::vector<MemoryHistogramSample>> histograms_;
};

}  // namespace promethium
