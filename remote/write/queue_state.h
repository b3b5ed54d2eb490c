// QueueManager::State: the internals of queue_manager.h, shared by
// queue_manager.cc (the watcher-facing side: series cache, enqueueing,
// acknowledging, start/stop) and queue_shards.cc (the I/O thread: shards,
// sending with retries, resharding, metadata). Private to remote_write;
// includes Asio, so only those two files include it.
//
// Locking: `mu` guards the shard queues (reached through Locked(shard)),
// the ack tracker, the series cache and the fields marked GUARDED_BY(mu);
// `space_cv` (with mu) wakes Append when a shard has room, resharding ends
// or the queue stops. Fields marked "io thread" are only touched on the I/O
// thread, which needs no lock for them.
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <memory>
#include <span>
#include <thread>
#include <unordered_map>
#include <vector>

#include "remote/write/ack_tracker.h"
#include "remote/write/queue_item.h"
#include "remote/write/queue_manager.h"
#include "remote/write/queue_metrics.h"
#include "remote/write/resharding.h"
#include "remote/write/write_client.h"
#include "scrape/http_client.h"
#include "tsdb/base/cond_var.h"
#include "tsdb/base/thread_annotations.h"

namespace promethium::remote {

namespace net = boost::asio;

class QueueShard {
 public:
  explicit QueueShard(net::io_context& io) : wake(io), backoff(io), client(io.get_executor()) {}
  net::steady_timer wake;     // io thread: the batch deadline, cancelled to wake early
  net::steady_timer backoff;  // io thread: the wait between retries
  scrape::HttpClient client;  // io thread

 private:
  friend struct QueueManager::State;
  // Guarded by the owning State's mu, which GUARDED_BY cannot name from
  // here: only State::Locked(), which requires mu, reaches it.
  struct Guarded {
    std::deque<QueueItem> queue;  // at most capacity items
    bool wake_posted = false;     // a wake-up is on its way
  } guarded_;
};

struct CachedSeries {
  std::shared_ptr<const SeriesEntry> entry;  // nullptr: relabeled away
  uint64_t segment = 0;                      // where it was last seen
};

struct QueueManager::State {
  explicit State(QueueManager::Options o);

  QueueManager::Options options;
  std::atomic<bool> count_process_input{false};  // starts as options.count_process_input
  const QueueConfig& qc() const { return options.config.queue_config; }
  std::shared_ptr<const WriteEndpoint> endpoint;
  QueueMetrics metrics;

  net::io_context io;
  std::unique_ptr<net::executor_work_guard<net::io_context::executor_type>> work;
  std::thread thread;
  Mutex lifecycle_mu;
  bool started GUARDED_BY(lifecycle_mu) = false;
  bool stopped GUARDED_BY(lifecycle_mu) = false;

  mutable Mutex mu;
  CondVar space_cv;
  std::vector<std::shared_ptr<QueueShard>> shards GUARDED_BY(mu);  // replaced only on the io thread
  bool accepting GUARDED_BY(mu) = false;                           // false while resharding or stopped
  bool flushing GUARDED_BY(mu) = false;                            // shards send what they hold, then exit
  bool stopping GUARDED_BY(mu) = false;
  int running_shards GUARDED_BY(mu) = 0;
  AckTracker acks GUARDED_BY(mu);
  std::unordered_map<uint64_t, CachedSeries> series GUARDED_BY(mu);
  std::shared_ptr<const MetadataIndex> metadata GUARDED_BY(mu);
  // A shard's queue and wake-up flag.
  QueueShard::Guarded& Locked(QueueShard& shard) REQUIRES(mu) { return shard.guarded_; }

  // io thread only.
  bool hard_stop = false;
  net::steady_timer shards_exited;  // cancelled when the last shard exits
  net::steady_timer update_timer;   // the shard update loop's tick
  net::steady_timer metadata_timer;
  std::unique_ptr<scrape::HttpClient> metadata_client;
  int64_t reshard_disabled_until_ms = 0;  // steady ms: recoverable errors pause resharding
  int current_shards = 1;

  // Resharding inputs (Add from any thread).
  EwmaRate data_in, data_out, data_dropped, data_out_duration_us;
  std::atomic<int64_t> last_send_steady_ms{0};
  std::atomic<double> highest_received_seconds{0};
  std::atomic<double> highest_sent_seconds{0};

  // queue_shards.cc: run on the io thread.
  void StartShards(int n) EXCLUDES(mu);  // requires: no shard running
  net::awaitable<void> RunShard(std::shared_ptr<QueueShard> shard);
  net::awaitable<void> SendBatch(QueueShard* shard, std::vector<QueueItem> batch);
  net::awaitable<void> FlushShards();  // every shard sends what it holds and exits
  net::awaitable<void> ReshardTo(int n);
  net::awaitable<void> UpdateShardsLoop();
  net::awaitable<void> MetadataLoop();
  void WakeAllShards() EXCLUDES(mu);
  void HardStop();
  // Waits `ms` on `timer` (or until it is cancelled).
  static net::awaitable<void> Sleep(net::steady_timer& timer, int64_t ms);
  // The wait before a retry chosen as `ms`, through Options::retry_wait.
  int64_t RetryWaitMs(int64_t ms) const { return options.retry_wait ? options.retry_wait(ms) : ms; }

  // queue_manager.cc: ack `batch` and drop its items' pending counts.
  void Acknowledge(const std::vector<QueueItem>& batch) EXCLUDES(mu);
  // Re-reads the metadata source into `metadata`; returns what it read.
  std::vector<MetricMetadataEntry> RefreshMetadata() EXCLUDES(mu);
  // queue_send.cc: one metadata request (1.0), retried as a batch is.
  net::awaitable<void> SendMetadata(std::span<const MetricMetadataEntry> entries);
};

int64_t SteadyNowMs();
int64_t WallNowMs();

}  // namespace promethium::remote
