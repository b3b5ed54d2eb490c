// WalTailer: the reading half of a WalWatcher (wal_watcher.h). It walks the
// WAL directory (newest checkpoint, then segments in order, then the live
// segment as it grows) and hands what it reads to a WalConsumer.
//
// Step() does one bounded unit of work and says whether the caller should
// wait before the next one (nothing new to read). What it does, and why, is
// described in wal_watcher.h; the rules in short:
//   - series records (from the checkpoint too) always go to StoreSeries;
//   - samples and exemplars go out only in records that end after
//     `send_from`;
//   - the next segment's existence means the current one is complete;
//   - a new checkpoint below the current segment: re-read its series, then
//     SeriesReset(its index);
//   - a segment deleted before it was read: read the checkpoint that replaced
//     it, count the loss, continue with the first segment still there.
//
// Ownership: borrows the Env, the consumer and the counters (owned by the
// watcher), which outlive it. Thread-safety: Step runs on one thread;
// Position() may be read from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "remote/write/live_segment_reader.h"
#include "remote/write/wal_consumer.h"
#include "tsdb/base/env.h"
#include "tsdb/base/metrics.h"
#include "tsdb/base/status.h"
#include "tsdb/base/thread_annotations.h"
#include "tsdb/wal/record.h"

namespace promethium::remote {

struct WalTailerMetrics {
  Counter* series_records = nullptr;
  Counter* samples_records = nullptr;
  Counter* exemplars_records = nullptr;
  Counter* histogram_records = nullptr;
  Counter* float_histogram_records = nullptr;
  Counter* tombstones_records = nullptr;
  Counter* unknown_records = nullptr;
  Counter* decode_failures = nullptr;
  Counter* segments_lost = nullptr;  // deleted before they were read
  Gauge* current_segment = nullptr;
};

class WalTailer {
 public:
  enum class Next {
    kContinue,  // more may be readable right away
    kWait,      // caught up with the live segment: wait a poll interval
    kStopped,   // the consumer is stopping (Append returned false)
  };

  // `stopping` is polled between records so Stop is prompt even mid-segment.
  WalTailer(Env* env, std::string wal_dir, bool send_exemplars, std::chrono::milliseconds checkpoint_check_interval,
            WalPosition send_from, WalConsumer* consumer, const WalTailerMetrics& metrics,
            const std::atomic<bool>* stopping);

  Result<Next> Step();
  // The segment being read and the offset of its next record.
  WalPosition Position() const EXCLUDES(pos_mu_);

 private:
  // Reads the newest checkpoint's series and picks the first segment.
  Status Init();
  Status ReadCheckpointSeries(uint64_t index);
  // A checkpoint newer than the last one seen and below the current segment.
  Status MaybeCollectSeries();
  // The current segment is gone: skip to the first segment still there.
  Result<Next> SkipMissingSegment();
  // The current segment is complete: read its rest and move to the next.
  Result<Next> FinishSegment();
  // The live segment shrank below what was read (a rolled-back batch).
  Status CheckShrunk();
  Status Dispatch(const LiveRecord& rec);
  Status DispatchSamples(std::string_view data, WalPosition end);
  Status DispatchExemplars(std::string_view data, WalPosition end);
  // Histogram records are always decoded and handed on: the consumer
  // applies send_native_histograms.
  Status DispatchHistograms(std::string_view data, WalPosition end);
  Status DispatchFloatHistograms(std::string_view data, WalPosition end);
  void MoveTo(uint64_t segment);
  Status Read(bool* progressed);

  Env* const env_;
  const std::string wal_dir_;
  const bool send_exemplars_;
  const std::chrono::milliseconds checkpoint_check_interval_;
  const WalPosition send_from_;
  WalConsumer* const consumer_;
  const WalTailerMetrics metrics_;
  const std::atomic<bool>* const stopping_;

  bool initialized_ = false;
  uint64_t segment_ = 0;
  std::unique_ptr<LiveSegmentReader> reader_;
  std::optional<uint64_t> last_checkpoint_;
  std::chrono::steady_clock::time_point next_checkpoint_check_{};
  std::string last_decode_error_;

  std::vector<tsdb::wal::RefSeries> series_;
  std::vector<tsdb::wal::RefSample> samples_;
  std::vector<tsdb::wal::RefExemplar> exemplars_;
  std::vector<tsdb::wal::RefHistogramSample> histograms_;
  std::vector<tsdb::wal::RefFloatHistogramSample> float_histograms_;

  mutable Mutex pos_mu_;
  WalPosition position_ GUARDED_BY(pos_mu_);
};

}  // namespace promethium::remote
