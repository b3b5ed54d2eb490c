// WalWatcher: follows the head's WAL for one remote write queue and feeds
// what it reads to the queue's WalConsumer (wal_consumer.h), as Prometheus's
// tsdb/wlog Watcher does, and persists how far the queue got.
//
// On Start the watcher picks its send position: the position persisted by
// the previous run (send_position.h), else the start of the live segment
// (the newest one; as Prometheus, a first start sends from "now", not the
// whole WAL). Its thread then reads the newest checkpoint's series, then
// every segment after it in order: series records always go to
// StoreSeries (samples refer to series written long before); sample and,
// when enabled, exemplar records go to Append/AppendExemplars only when they
// end after the send position. The live segment is tailed by polling (no
// hook in the writer): a read past the known end is one pread returning
// nothing. The first poll after new data waits poll_interval_ms, each idle
// one twice as long up to max_poll_interval_ms, so new samples are noticed
// within that bound and an idle queue wakes a few times a second. A partial frame at the end of the live segment is
// waited for; the watcher moves on once the next segment exists (the writer finished the previous one before creating
// it), skipping, with a warning, a tail that never became a whole frame. Every checkpoint_check_interval_ms it looks
// for a new checkpoint and, as Prometheus, re-reads its series and calls
// SeriesReset(checkpoint index) so series gone from the WAL are forgotten.
// Segments deleted before they were read (the queue lagged beyond the WAL
// retention bound) are counted and skipped after reading the checkpoint that
// replaced them.
//
// A second thread persists max(send position, AcknowledgedPosition()) every
// persist_interval_ms when it changed, and once more on Stop, so after a
// restart or SIGKILL at most what was in flight (plus one interval of acks)
// is sent again. While running, the watcher registers that position's
// segment as its floor in the WalRetention (wal_retention.h), so the head's
// WAL truncation keeps the segments the queue has not acknowledged.
//
// Ownership: borrows the Env, consumer, metrics registry and retention, which
// must outlive it. Thread-safety: Start and Stop from one owning thread;
// SegmentFloor and the position accessors from any thread. Stop joins the
// reader thread: if it is blocked in the consumer's Append, the consumer must
// be stopping (Append then returns false), as the queue manager's Stop does
// before it stops the watcher.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "remote/write/send_position.h"
#include "remote/write/wal_consumer.h"
#include "remote/write/wal_retention.h"
#include "tsdb/base/cond_var.h"
#include "tsdb/base/env.h"
#include "tsdb/base/metrics.h"
#include "tsdb/base/status.h"
#include "tsdb/base/thread_annotations.h"

namespace promethium::remote {

class WalTailer;

struct WalWatcherOptions {
  std::string wal_dir;     // <data>/wal
  std::string queue_name;  // the "consumer" label of the watcher metrics, and logs
  // Where send positions are persisted (<data>/remote_write); empty disables
  // persistence (every start is a first start).
  std::string position_dir;
  // The queue's identity across restarts (its name or config hash, and URL).
  std::string position_key;
  bool send_exemplars = false;
  int64_t poll_interval_ms = 20;       // the wait after reading new data
  int64_t max_poll_interval_ms = 200;  // the longest wait while idle
  int64_t persist_interval_ms = 250;
  int64_t checkpoint_check_interval_ms = 5000;  // Prometheus checks every 5s too
  WalRetention* retention = nullptr;            // may be null (no retention floor)
};

class WalWatcher {
 public:
  // `metrics` may be null.
  WalWatcher(Env* env, WalWatcherOptions opts, WalConsumer* consumer, MetricsRegistry* metrics);
  ~WalWatcher();
  WalWatcher(const WalWatcher&) = delete;
  WalWatcher& operator=(const WalWatcher&) = delete;

  // Picks the send position (logging why a persisted one is ignored),
  // registers the retention floor and starts the threads. Call once.
  Status Start();
  // Stops both threads, persists the acknowledged position and unregisters
  // the floor. Idempotent.
  void Stop();

  // Samples in records ending at or before this are not sent.
  WalPosition SendFrom() const { return send_from_; }
  // max(SendFrom, the consumer's acknowledged position): what is persisted.
  WalPosition DurablePosition() const;
  // The lowest segment this queue still needs: DurablePosition's segment.
  uint64_t SegmentFloor() const { return DurablePosition().segment; }
  // Where the reader thread is: the segment and offset of its next record.
  WalPosition ReadPosition() const;

 private:
  struct Metrics;

  Status PickSendPosition();
  // The saved position if the file holds a valid one (logs why not).
  std::optional<WalPosition> LoadPersistedPosition(uint64_t live);
  void ReadLoop();
  void PersistLoop();
  void PersistNow();
  bool WaitStop(std::chrono::milliseconds d) EXCLUDES(mu_);

  Env* const env_;
  const WalWatcherOptions opts_;
  WalConsumer* const consumer_;
  std::unique_ptr<Metrics> metrics_;
  std::optional<SendPositionFile> position_file_;  // unset: persistence off
  WalPosition send_from_;
  std::unique_ptr<WalTailer> tailer_;
  uint64_t retention_handle_ = 0;

  Mutex mu_;
  CondVar cv_;  // with mu_: stop_ was set
  bool stop_ GUARDED_BY(mu_) = false;
  std::atomic<bool> stopping_{false};
  WalPosition last_persisted_;  // persister thread only (and Stop after the join)
  bool persisted_once_ = false;
  std::string last_persist_error_;  // logged once until it changes
  bool started_ = false;
  std::thread reader_thread_;
  std::thread persister_thread_;
};

}  // namespace promethium::remote
