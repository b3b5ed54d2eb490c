// WalConsumer: what the WAL watcher (wal_watcher.h) feeds as it reads our
// WAL; the remote write queue manager (queue_manager.h) implements it.
//
// Ownership: the consumer is owned by whoever builds both (the server's
// remote write storage); it outlives the watcher that feeds it. Spans passed
// in are only valid for the duration of the call: the consumer copies what
// it keeps.
//
// Threading: all calls except AcknowledgedPosition come from the single
// watcher thread, in WAL order. AcknowledgedPosition may be called from any
// thread (the watcher's position persister, WAL retention).
#pragma once

#include <cstdint>
#include <span>

#include "tsdb/wal/record.h"

namespace promethium::remote {

// A position in the WAL: the segment index and the byte offset just after a
// record.
struct WalPosition {
  uint64_t segment = 0;
  uint64_t offset = 0;
};

inline bool operator==(const WalPosition& a, const WalPosition& b) {
  return a.segment == b.segment && a.offset == b.offset;
}
inline bool operator<(const WalPosition& a, const WalPosition& b) {
  return a.segment != b.segment ? a.segment < b.segment : a.offset < b.offset;
}

class WalConsumer {
 public:
  virtual ~WalConsumer() = default;
  // Series records read from `segment` (or from the checkpoint, segment =
  // the checkpoint's index).
  virtual void StoreSeries(std::span<const tsdb::wal::RefSeries> series, uint64_t segment) = 0;
  // Samples read from the WAL, ending at `end`. Blocks (bounded by the queue
  // capacity) until enqueued; returns false only when the consumer is
  // stopping.
  virtual bool Append(std::span<const tsdb::wal::RefSample> samples, WalPosition end) = 0;
  virtual bool AppendExemplars(std::span<const tsdb::wal::RefExemplar> exemplars, WalPosition end) = 0;
  // Native-histogram samples (records 7 and 8), as Append.
  virtual bool AppendHistograms(std::span<const tsdb::wal::RefHistogramSample> histograms, WalPosition end) = 0;
  virtual bool AppendFloatHistograms(std::span<const tsdb::wal::RefFloatHistogramSample> histograms,
                                     WalPosition end) = 0;
  // Series last seen in segments < `segment` are gone from the WAL
  // (checkpointed away): forget them.
  virtual void SeriesReset(uint64_t segment) = 0;
  // Everything up to this position has been acknowledged by the receiver
  // (or dropped as unsendable and counted); the watcher persists it and WAL
  // retention honours it.
  virtual WalPosition AcknowledgedPosition() const = 0;
};

}  // namespace promethium::remote
