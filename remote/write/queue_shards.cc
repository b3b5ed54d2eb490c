// The I/O-thread half of QueueManager (queue_state.h): shard coroutines,
// sending with retries, resharding, metadata and stopping.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>

#include "remote/write/queue_state.h"
#include "tsdb/base/logging.h"

namespace promethium::remote {
namespace {

constexpr std::string_view kLog = "remote";

}  // namespace

net::awaitable<void> QueueManager::State::Sleep(net::steady_timer& timer, int64_t ms) {
  timer.expires_after(std::chrono::milliseconds(ms));
  boost::system::error_code ec;
  co_await timer.async_wait(net::redirect_error(net::use_awaitable, ec));
}

void QueueManager::State::StartShards(int n) {
  std::vector<std::shared_ptr<QueueShard>> fresh;
  for (int i = 0; i < n; ++i) fresh.push_back(std::make_shared<QueueShard>(io));
  {
    MutexLock l(&mu);
    shards = fresh;
    running_shards = n;
    flushing = false;
  }
  current_shards = n;
  metrics.shards->Set(n);
  for (auto& shard : fresh) net::co_spawn(io, RunShard(shard), net::detached);
}

void QueueManager::State::WakeAllShards() {
  MutexLock l(&mu);
  for (auto& shard : shards) shard->wake.cancel();
}

void QueueManager::State::HardStop() {
  hard_stop = true;
  std::vector<std::shared_ptr<QueueShard>> current;
  {
    MutexLock l(&mu);
    current = shards;
  }
  for (auto& shard : current) {
    shard->client.Cancel();
    shard->backoff.cancel();
    shard->wake.cancel();
  }
  if (metadata_client) metadata_client->Cancel();
  metadata_timer.cancel();
  update_timer.cancel();
}

net::awaitable<void> QueueManager::State::RunShard(std::shared_ptr<QueueShard> shard) {
  const size_t max_batch = static_cast<size_t>(qc().max_samples_per_send);
  const int64_t deadline_ms = qc().batch_send_deadline_ms;
  int64_t deadline = SteadyNowMs() + deadline_ms;
  for (;;) {
    std::vector<QueueItem> batch;
    bool exit = false;
    {
      MutexLock l(&mu);
      auto& [queue, wake_posted] = Locked(*shard);
      wake_posted = false;
      const bool due = SteadyNowMs() >= deadline || flushing;
      if (hard_stop) {
        exit = true;
      } else if (queue.size() >= max_batch || (due && !queue.empty())) {
        const size_t n = std::min(max_batch, queue.size());
        batch.assign(std::make_move_iterator(queue.begin()), std::make_move_iterator(queue.begin() + n));
        queue.erase(queue.begin(), queue.begin() + n);
      } else if (flushing) {
        exit = true;  // flushed: nothing left
      }
    }
    if (exit) break;
    if (batch.empty()) {
      if (SteadyNowMs() >= deadline) deadline = SteadyNowMs() + deadline_ms;
      co_await Sleep(shard->wake, deadline - SteadyNowMs());
      continue;
    }
    space_cv.SignalAll();
    co_await SendBatch(shard.get(), std::move(batch));
    deadline = SteadyNowMs() + deadline_ms;
  }
  // A hard stop leaves items behind: failed, and not acknowledged (the WAL
  // still holds them for the next start).
  ItemCounts left;
  {
    MutexLock l(&mu);
    std::deque<QueueItem>& queue = Locked(*shard).queue;
    for (const QueueItem& item : queue) left.Add(item);
    queue.clear();
    if (--running_shards == 0) shards_exited.cancel();
  }
  if (left.Total() > 0) {
    metrics.samples_pending->Add(-static_cast<double>(left.samples));
    metrics.exemplars_pending->Add(-static_cast<double>(left.exemplars));
    metrics.histograms_pending->Add(-static_cast<double>(left.histograms));
    metrics.samples_failed_total->Inc(static_cast<double>(left.samples));
    metrics.exemplars_failed_total->Inc(static_cast<double>(left.exemplars));
    metrics.histograms_failed_total->Inc(static_cast<double>(left.histograms));
    LogError(kLog, "Failed to flush all samples on shutdown: remote_name={} count={}", options.config.name,
             left.Total());
  }
  space_cv.SignalAll();
}

net::awaitable<void> QueueManager::State::FlushShards() {
  {
    MutexLock l(&mu);
    flushing = true;
  }
  WakeAllShards();
  for (;;) {
    {
      MutexLock l(&mu);
      if (running_shards == 0) break;
    }
    boost::system::error_code ec;  // the timer never expires (State's constructor): only cancel() wakes

    co_await shards_exited.async_wait(net::redirect_error(net::use_awaitable, ec));
  }
}

net::awaitable<void> QueueManager::State::ReshardTo(int n) {
  {
    MutexLock l(&mu);
    if (stopping) co_return;
    accepting = false;
  }
  LogInfo(kLog, "Remote storage resharding: remote_name={} from={} to={}", options.config.name, current_shards, n);
  // Flush the old shards completely before starting the new ones, so every
  // series' samples leave in order.
  co_await FlushShards();
  {
    MutexLock l(&mu);
    if (stopping) co_return;
  }
  StartShards(n);
  {
    MutexLock l(&mu);
    accepting = !stopping;
  }
  space_cv.SignalAll();
}

net::awaitable<void> QueueManager::State::UpdateShardsLoop() {
  const int64_t interval = options.shard_update_interval_ms;
  for (;;) {
    co_await Sleep(update_timer, interval);
    if (hard_stop) co_return;
    {
      MutexLock l(&mu);
      if (stopping) co_return;
    }
    data_in.Tick();
    data_out.Tick();
    data_dropped.Tick();
    data_out_duration_us.Tick();
    const ReshardDecision d = DesiredShards(ReshardInputs{
        .data_in_rate = data_in.Rate(),
        .data_out_rate = data_out.Rate(),
        .data_dropped_rate = data_dropped.Rate(),
        .data_out_duration = data_out_duration_us.Rate() / 1e6,
        .highest_sent_seconds = highest_sent_seconds.load(),
        .highest_received_seconds = highest_received_seconds.load(),
        .current_shards = current_shards,
        .min_shards = static_cast<int>(qc().min_shards),
        .max_shards = static_cast<int>(qc().max_shards),
    });
    if (d.estimated) metrics.shards_desired->Set(d.desired);
    if (d.shards == current_shards) continue;
    const int64_t now = SteadyNowMs();
    if (last_send_steady_ms.load() < now - interval) {
      LogWarn(kLog, "Skipping resharding, last successful send was beyond threshold: remote_name={}",
              options.config.name);
      continue;
    }
    if (now < reshard_disabled_until_ms) {
      LogWarn(kLog, "Skipping resharding, resharding is disabled while waiting for recoverable errors: remote_name={}",
              options.config.name);
      continue;
    }
    co_await ReshardTo(d.shards);
  }
}

}  // namespace promethium::remote
