// WriteStorage: every remote_write queue of the process (Prometheus's
// remote.WriteStorage): one QueueManager fed by its own WalWatcher per
// `remote_write` entry.
//
// ApplyConfig keeps running the queues whose entry and external labels did
// not change, as Prometheus does when the config hash is the same; it
// stops changed and removed queues (each flushes for at most the flush
// deadline, and its watcher persists how far it got) before it starts the new
// ones, so a changed queue with the same name and URL resumes from the
// position its predecessor acknowledged. The process-wide
// prometheus_remote_storage_samples_in_total and
// highest_timestamp_in_seconds are fed by the first queue only, so each
// WAL sample counts once.
//
// Ownership: owns the queues and watchers; borrows the Env, registry,
// retention and metadata source, which must outlive it.
// Thread-safety: ApplyConfig and Close from one controlling thread (the
// server serializes reloads).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "remote/write/codec.h"
#include "remote/write/remote_write_config.h"
#include "tsdb/api/labels.h"
#include "tsdb/base/env.h"
#include "tsdb/base/metrics.h"
#include "tsdb/base/status.h"

namespace promethium::remote {

class QueueManager;
class WalRetention;
class WalWatcher;

class WriteStorage {
 public:
  struct Options {
    Env* env = nullptr;
    std::string wal_dir;       // the WAL the queues send from
    std::string position_dir;  // <data>/remote_write: persisted send positions
    MetricsRegistry* metrics = nullptr;
    WalRetention* retention = nullptr;  // may be null
    std::function<std::vector<MetricMetadataEntry>()> metadata_source;
    int64_t flush_deadline_ms = 60'000;
  };

  explicit WriteStorage(Options options);
  ~WriteStorage();  // Close()
  WriteStorage(const WriteStorage&) = delete;
  WriteStorage& operator=(const WriteStorage&) = delete;

  // Fails, changing nothing, when an entry cannot be turned into a queue
  // (e.g. a TLS file that does not load). A watcher that fails to start
  // is reported after the other queues were started.
  Status ApplyConfig(const std::vector<RemoteWriteConfig>& configs, const Labels& external_labels);
  // Stops every queue. Idempotent.
  void Close();

  // The running queues' names, in config order.
  std::vector<std::string> QueueNames() const;
  // The running queues, in config order (tests: which survived a reload).
  std::vector<const QueueManager*> Queues() const;

 private:
  struct Queue;
  Options options_;
  std::vector<std::unique_ptr<Queue>> queues_;
};

}  // namespace promethium::remote
