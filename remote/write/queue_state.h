// QueueManager::State: the internals of queue_manager.h, shared by
// queue_manager.cc (the watcher-facing side: series cache, enqueueing,
// acknowledging, start/stop) and queue_shards.cc (the I/O thread: shards,
// sending with retries, resharding, metadata). Private to remote_write;
// includes Asio, so only those two files include it.
//
// Locking: `mu` guards the shard queues, the ack tracker, the series cache
// and the flags marked below; `space_cv` (with mu) wakes Append when a shard
// has room, resharding ends or the queue stops. Fields marked "io thread"
// are only touched on the I/O thread, which needs no lock for them.
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
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

namespace promethium::remote {

namespace net = boost::asio;

struct QueueShard {
  explicit QueueShard(net::io_context& io) : wake(io), backoff(io), client(io.get_executor()) {}
  std::deque<QueueItem> queue;  // guarded by State::mu; at most capacity items
  bool wake_posted = false;     // guarded by State::mu: a wake-up is on its way
  net::steady_timer wake;       // io thread: the batch deadline, cancelled to wake early
  net::steady_timer backoff;    // io thread: the wait between retries
  scrape::HttpClient client;    // io thread
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
  bool started = false;  // guarded by lifecycle_mu
  bool stopped = false;  // guarded by lifecycle_mu
  std::mutex lifecycle_mu;

  mutable std::mutex mu;
  std::condition_variable space_cv;
  std::vector<std::shared_ptr<QueueShard>> shards;    // guarded by mu; replaced only on the io thread
  bool accepting = false;                             // guarded by mu: false while resharding or stopped
  bool flushing = false;                              // guarded by mu: shards send what they hold, then exit
  bool stopping = false;                              // guarded by mu
  int running_shards = 0;                             // guarded by mu
  std::condition_variable shards_exited_cv;           // with mu: running_shards reached 0
  AckTracker acks;                                    // guarded by mu
  std::unordered_map<uint64_t, CachedSeries> series;  // guarded by mu
  std::shared_ptr<const MetadataIndex> metadata;      // guarded by mu

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
  void StartShards(int n);  // requires: no shard running
  net::awaitable<void> RunShard(std::shared_ptr<QueueShard> shard);
  net::awaitable<void> SendBatch(QueueShard* shard, std::vector<QueueItem> batch);
  net::awaitable<void> FlushShards();  // every shard sends what it holds and exits
  net::awaitable<void> ReshardTo(int n);
  net::awaitable<void> UpdateShardsLoop();
  net::awaitable<void> MetadataLoop();
  void WakeAllShards();
  void HardStop();
  // Waits `ms` on `timer` (or until it is cancelled).
  static net::awaitable<void> Sleep(net::steady_timer& timer, int64_t ms);

  // queue_manager.cc: ack `batch` and drop its items' pending counts.
  void Acknowledge(const std::vector<QueueItem>& batch);
  // Re-reads the metadata source into `metadata`; returns what it read.
  std::vector<MetricMetadataEntry> RefreshMetadata();
  // queue_send.cc: one metadata request (1.0), retried as a batch is.
  net::awaitable<void> SendMetadata(std::span<const MetricMetadataEntry> entries);
};

int64_t SteadyNowMs();
int64_t WallNowMs();

}  // namespace promethium::remote
