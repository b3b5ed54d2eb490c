// The NHCB half of promqltest's `load_with_nhcb`: the classic histograms
// among a load's series (`<name>_bucket{le=..}`, `<name>_count`,
// `<name>_sum`) are also converted, timestamp by timestamp, into native
// histograms with custom buckets (tsdb/histogram/classic_to_nhcb.h) under
// `<name>` without `le`, as Prometheus's loadCmd.appendCustomHistogram does.
//
// Thread-safety: a plain value; one load at a time.
#pragma once

#include <deque>
#include <vector>

#include "tests/promqltest/script.h"
#include "tests/promqltest/test_storage.h"
#include "tsdb/base/status.h"

namespace promethium::promqltest {

class NhcbLoad {
 public:
  // Collects the float samples of `series` (values at i * interval_ms).
  // Series whose name has no histogram suffix, and `_bucket` series whose
  // `le` is not a number, are ignored (as Prometheus does); a `_bucket`
  // series without `le` is an error.
  Status AddSeries(const SeriesDesc& series, int64_t interval_ms);
  // Converts what was collected and appends the histograms to *batch, each
  // series' samples in time order. The labels the batch points to are owned
  // by this object, which must outlive the batch. Fails on the first sample
  // that does not convert (non-cumulative buckets, count mismatch, ...).
  Status AppendTo(std::vector<LoadSample>* batch);

 private:
  enum class Part { kBucket, kCount, kSum };
  struct Observation {
    Labels base;  // the NHCB series
    int64_t t;
    Part part;
    double le;  // kBucket only
    double v;
  };
  std::vector<Observation> observations_;
  std::deque<Labels> owned_labels_;
};

}  // namespace promethium::promqltest
