// QueueItem: one sample, exemplar or native-histogram sample waiting in a
// remote write shard, with
// what the encoders need (the series' final labels) and what the queue
// needs to acknowledge it (its WAL record).
//
// Ownership: `series` is shared with the queue manager's series cache, so a
// SeriesReset while the item waits does not invalidate it; a histogram is
// shared (immutable) so items copy cheaply between queues and batches.
// Thread-safety: plain values; SeriesEntry is immutable once published.
#pragma once

#include <cstdint>
#include <memory>

#include "tsdb/api/labels.h"
#include "tsdb/histogram/float_histogram.h"
#include "tsdb/histogram/histogram.h"

namespace promethium::remote {

// A series as the receiver sees it: after external labels and
// write_relabel_configs.
struct SeriesEntry {
  Labels labels;
};

struct QueueItem {
  enum class Kind : uint8_t { kSample, kExemplar, kHistogram, kFloatHistogram };
  std::shared_ptr<const SeriesEntry> series;
  int64_t t = 0;
  double v = 0;  // raw bits preserved (stale markers are the stale NaN)
  Kind kind = Kind::kSample;
  Labels exemplar_labels;                    // kExemplar only
  std::shared_ptr<const Histogram> h;        // kHistogram only
  std::shared_ptr<const FloatHistogram> fh;  // kFloatHistogram only
  uint64_t record_seq = 0;                   // the WAL record it came from (queue_manager.h's ack tracking)
};

// Items by what the metrics count them as: samples, exemplars, histograms
// (integer and float alike, as Prometheus's histograms_* metrics).
struct ItemCounts {
  int64_t samples = 0;
  int64_t exemplars = 0;
  int64_t histograms = 0;
  void Add(const QueueItem& item) {
    switch (item.kind) {
      case QueueItem::Kind::kSample: ++samples; break;
      case QueueItem::Kind::kExemplar: ++exemplars; break;
      case QueueItem::Kind::kHistogram:
      case QueueItem::Kind::kFloatHistogram: ++histograms; break;
    }
  }
  int64_t Total() const { return samples + exemplars + histograms; }
};

}  // namespace promethium::remote
