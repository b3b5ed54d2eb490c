// The head's native-histogram samples: admission and storage at commit and
// WAL replay. Histograms are accepted in order only (a histogram older than
// the series' newest sample, float or histogram, is out of order, whatever
// the out-of-order window), as Prometheus did before its out-of-order
// histogram support; the appender side is in head_append.cc.
#include <algorithm>
#include <vector>

#include "tsdb/head/head.h"
#include "tsdb/wal/record.h"

namespace promethium::tsdb {

bool Head::ApplyHistogram(MemSeries* s, int64_t t, const Histogram* h, const FloatHistogram* fh, CommitCounts* counts) {
  if (t < MinValidTime()) {
    ++counts->out_of_bound;
    return false;
  }
  switch (s->CheckHistogram(t)) {
    case MemSeries::AppendCheck::kOk: break;
    case MemSeries::AppendCheck::kOutOfOrder: ++counts->out_of_order; return false;
    default: return false;  // a duplicate timestamp
  }
  Result<bool> cut = s->AppendHistogram(t, h, fh, opts_.cut);
  if (!cut.ok()) return false;  // the appender validated it; replay of a bad record drops it
  if (*cut) ++counts->chunks_cut;
  ++counts->appended;
  counts->min_t = std::min(counts->min_t, t);
  counts->max_t = std::max(counts->max_t, t);
  return true;
}

namespace {

// The histogram of a decoded record entry, as ApplyHistogram takes it.
const Histogram* IntegerOf(const wal::RefHistogramSample& s) { return &s.h; }
const Histogram* IntegerOf(const wal::RefFloatHistogramSample&) { return nullptr; }
const FloatHistogram* FloatOf(const wal::RefHistogramSample&) { return nullptr; }
const FloatHistogram* FloatOf(const wal::RefFloatHistogramSample& s) { return &s.fh; }

}  // namespace

Status Head::ReplayHistogramRecord(std::string_view record, WalReplayStats* stats) {
  std::vector<wal::RefHistogramSample> ints;
  std::vector<wal::RefFloatHistogramSample> floats;
  PROMETHIUM_ASSIGN_OR_RETURN(wal::RecordType type, wal::PeekRecordType(record));
  if (type == wal::RecordType::kHistogramSamples) {
    PROMETHIUM_RETURN_IF_ERROR(wal::DecodeHistogramSamples(record, &ints));
  } else {
    PROMETHIUM_RETURN_IF_ERROR(wal::DecodeFloatHistogramSamples(record, &floats));
  }
  CommitCounts counts;
  const auto apply = [&](const auto& samples) {
    for (const auto& s : samples) {
      MemSeries* series = s.t < MinValidTime() ? nullptr : ReplayLookup(s.ref);
      if (series == nullptr) {
        // Below MinValidTime: already in a block; else the series record is missing.
        (s.t < MinValidTime() ? stats->skipped_samples : stats->unknown_refs)++;
        continue;
      }
      SeriesLock lock(series->mu());
      if (!ApplyHistogram(series, s.t, IntegerOf(s), FloatOf(s), &counts)) stats->skipped_samples++;
    }
  };
  apply(ints);
  apply(floats);
  stats->samples += counts.appended;
  OnCommitted(counts, /*replayed=*/true);
  return Status::OK();
}

}  // namespace promethium::tsdb
