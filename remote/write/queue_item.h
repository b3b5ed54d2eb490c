// QueueItem: one sample or exemplar waiting in a remote write shard, with
// what the encoders need (the series' final labels) and what the queue
// needs to acknowledge it (its WAL record).
//
// Ownership: `series` is shared with the queue manager's series cache, so a
// SeriesReset while the item waits does not invalidate it.
// Thread-safety: plain values; SeriesEntry is immutable once published.
#pragma once

#include <cstdint>
#include <memory>

#include "tsdb/api/labels.h"

namespace promethium::remote {

// A series as the receiver sees it: after external labels and
// write_relabel_configs.
struct SeriesEntry {
  Labels labels;
};

struct QueueItem {
  enum class Kind : uint8_t { kSample, kExemplar };
  std::shared_ptr<const SeriesEntry> series;
  int64_t t = 0;
  double v = 0;  // raw bits preserved (stale markers are the stale NaN)
  Kind kind = Kind::kSample;
  Labels exemplar_labels;   // kExemplar only
  uint64_t record_seq = 0;  // the WAL record it came from (queue_manager.h's ack tracking)
};

}  // namespace promethium::remote
