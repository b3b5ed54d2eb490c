// QueueManager: one remote_write endpoint's sending side (Prometheus's
// remote.QueueManager). The WAL watcher feeds it through WalConsumer; it
// turns series refs into the labels the receiver sees, spreads samples over
// shards by series ref (so each series stays in order), batches them, sends
// them with retries and reports how far the WAL is acknowledged.
//
//   series cache  ref -> labels after external labels (the series' own
//                 labels win) and write_relabel_configs; a series relabeled
//                 away is remembered as dropped, so its samples count as
//                 samples_dropped_total{reason="dropped_series"}; a sample
//                 of an unknown ref counts as
//                 reason="unintentionally_dropped_series".
//   shards        each a bounded queue of `capacity` items; Append blocks
//                 while the target shard is full. A shard sends when it
//                 holds max_samples_per_send items or batch_send_deadline
//                 passed since its last send.
//   retries       5xx, 429 (only with retry_on_http_429) and transport
//                 errors are retried forever with exponential backoff from
//                 min_backoff to max_backoff, or after the receiver's
//                 Retry-After; other statuses drop the batch and count it
//                 as failed. With sample_age_limit, samples too old are
//                 dropped at enqueue and before every retry.
//   resharding    every 10 s (resharding.h); changing the count flushes all
//                 shards first, so per-series order survives.
//   acknowledging AcknowledgedPosition is the end of the last WAL record
//                 whose items all were sent or dropped-and-counted, and all
//                 records before it (ack_tracker.h).
//   metadata      1.0 with metadata_config.send: the scraped targets'
//                 metadata is sent every send_interval in its own requests;
//                 2.0: each series carries its metric's metadata.
//   stopping      Stop() lets the shards send what they hold for at most
//                 flush_deadline, then cancels; what is left is counted as
//                 failed and not acknowledged (the WAL still has it).
//
// Threading: all sending runs on one internal I/O thread (HTTP is
// asynchronous, so shards overlap their requests); StoreSeries, Append,
// AppendExemplars and SeriesReset come from the one watcher thread;
// AcknowledgedPosition, Start, Stop and the accessors from any thread.
// (AppendHistograms and AppendFloatHistograms, too, come from the watcher.)
// Ownership: the manager owns its thread, shards and HTTP clients; the
// metrics registry and metadata source are borrowed and must outlive it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "remote/write/codec.h"
#include "remote/write/remote_write_config.h"
#include "remote/write/wal_consumer.h"
#include "tsdb/api/labels.h"
#include "tsdb/base/metrics.h"
#include "tsdb/base/result.h"

namespace promethium::remote {

class QueueManager : public WalConsumer {
 public:
  struct Options {
    RemoteWriteConfig config;  // validated; `name` filled in
    Labels external_labels;
    MetricsRegistry* metrics = nullptr;
    // The scraped targets' metric metadata; may be empty (then 1.0 sends no
    // metadata and 2.0 series carry METRIC_TYPE_UNSPECIFIED).
    std::function<std::vector<MetricMetadataEntry>()> metadata_source;
    int64_t flush_deadline_ms = 60'000;  // --storage.remote.flush-deadline
    // Whether this queue feeds the process-wide samples_in_total /
    // highest_timestamp_in_seconds (one queue does, so they are not counted
    // once per queue).
    bool count_process_input = false;
    int64_t shard_update_interval_ms = 10'000;
    // Maps the wait a retry chose (Retry-After or the backoff) to the wait
    // it takes; empty: waits what it chose. Tests record the chosen delay
    // and return 0, so they assert it without waiting. Runs on the I/O
    // thread.
    std::function<int64_t(int64_t chosen_ms)> retry_wait;
  };

  static Result<std::unique_ptr<QueueManager>> Make(Options options);
  ~QueueManager() override;  // Stop()s if still running
  QueueManager(const QueueManager&) = delete;
  QueueManager& operator=(const QueueManager&) = delete;

  // Starts the I/O thread with min_shards shards.
  void Start();
  // Flushes for at most flush_deadline, then stops everything. Append and
  // AppendExemplars return false from now on. Idempotent.
  void Stop();

  // WalConsumer.
  void StoreSeries(std::span<const tsdb::wal::RefSeries> series, uint64_t segment) override;
  bool Append(std::span<const tsdb::wal::RefSample> samples, WalPosition end) override;
  bool AppendExemplars(std::span<const tsdb::wal::RefExemplar> exemplars, WalPosition end) override;
  // Without send_native_histograms these send nothing (as Prometheus) but
  // still advance the acknowledged position.
  bool AppendHistograms(std::span<const tsdb::wal::RefHistogramSample> histograms, WalPosition end) override;
  bool AppendFloatHistograms(std::span<const tsdb::wal::RefFloatHistogramSample> histograms, WalPosition end) override;
  void SeriesReset(uint64_t segment) override;
  WalPosition AcknowledgedPosition() const override;

  // Whether this queue feeds the process-wide input metrics (see
  // Options::count_process_input); any thread.
  void SetCountsProcessInput(bool counts);

  const RemoteWriteConfig& config() const;
  int shards() const;
  // Changes the shard count now (flushing first) and returns once done, as
  // the resharding loop does; for tests. Stop waits for it.
  void Reshard(int shards);

  struct State;  // the internals (queue_state.h), named here for the .cc files' helpers

 private:
  explicit QueueManager(std::unique_ptr<State> state);
  std::unique_ptr<State> s_;
};

}  // namespace promethium::remote
