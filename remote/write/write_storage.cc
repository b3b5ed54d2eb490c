#include "remote/write/write_storage.h"

#include <fmt/format.h>

#include <algorithm>

#include "remote/write/queue_manager.h"
#include "remote/write/wal_watcher.h"
#include "tsdb/base/logging.h"

namespace promethium::remote {

struct WriteStorage::Queue {
  RemoteWriteConfig config;
  Labels external_labels;
  std::unique_ptr<QueueManager> manager;
  std::unique_ptr<WalWatcher> watcher;

  // The queue first (its Append returns false, unblocking the watcher),
  // then the watcher, which persists the acknowledged position.
  void Stop() {
    if (manager) manager->Stop();
    if (watcher) watcher->Stop();
  }
};

WriteStorage::WriteStorage(Options options) : options_(std::move(options)) {}

WriteStorage::~WriteStorage() { Close(); }

Status WriteStorage::ApplyConfig(const std::vector<RemoteWriteConfig>& configs, const Labels& external_labels) {
  std::vector<std::unique_ptr<Queue>> next;
  std::vector<bool> reused(queues_.size(), false);
  for (size_t i = 0; i < configs.size(); ++i) {
    const RemoteWriteConfig& cfg = configs[i];
    auto keep = std::find_if(queues_.begin(), queues_.end(), [&](const std::unique_ptr<Queue>& q) {
      return q && q->config == cfg && q->external_labels == external_labels;
    });
    if (keep != queues_.end() && !reused[keep - queues_.begin()]) {
      reused[keep - queues_.begin()] = true;
      next.push_back(nullptr);  // filled from queues_ below, once nothing can fail
      continue;
    }
    QueueManager::Options qo;
    qo.config = cfg;
    qo.external_labels = external_labels;
    qo.metrics = options_.metrics;
    qo.metadata_source = options_.metadata_source;
    qo.flush_deadline_ms = options_.flush_deadline_ms;
    Result<std::unique_ptr<QueueManager>> manager = QueueManager::Make(std::move(qo));
    if (!manager.ok()) return manager.status().WithContext(fmt::format("remote_write {} ({})", cfg.name, cfg.url));
    auto q = std::make_unique<Queue>();
    q->config = cfg;
    q->external_labels = external_labels;
    q->manager = std::move(manager).value();
    next.push_back(std::move(q));
  }
  // Move the kept queues over; stop the rest before the new ones start.
  std::vector<bool> taken(queues_.size(), false);
  for (size_t i = 0; i < configs.size(); ++i) {
    if (next[i]) continue;
    for (size_t j = 0; j < queues_.size(); ++j) {
      if (!taken[j] && reused[j] && queues_[j]->config == configs[i]) {
        taken[j] = true;
        next[i] = std::move(queues_[j]);
        break;
      }
    }
  }
  for (auto& old : queues_) {
    if (!old) continue;
    LogInfo("remote", "Stopping remote write queue: remote_name={} url={}", old->config.name, old->config.url);
    old->Stop();
  }
  queues_ = std::move(next);
  Status first_error;
  for (size_t i = 0; i < queues_.size(); ++i) {
    Queue& q = *queues_[i];
    q.manager->SetCountsProcessInput(i == 0);
    if (q.watcher) continue;  // kept: already running
    q.manager->Start();
    WalWatcherOptions wo;
    wo.wal_dir = options_.wal_dir;
    wo.queue_name = q.config.name;
    wo.position_dir = options_.position_dir;
    wo.position_key = q.config.name + "|" + q.config.url;
    wo.send_exemplars = q.config.send_exemplars;
    wo.retention = options_.retention;
    q.watcher = std::make_unique<WalWatcher>(options_.env, wo, q.manager.get(), options_.metrics);
    Status started = q.watcher->Start();
    if (!started.ok()) {
      LogError("remote", "Starting the WAL watcher failed: remote_name={} err={}", q.config.name, started.message());
      if (first_error.ok()) first_error = started.WithContext(fmt::format("remote_write {}", q.config.name));
    }
  }
  return first_error;
}

void WriteStorage::Close() {
  for (auto& q : queues_) {
    if (q) q->Stop();
  }
  queues_.clear();
}

std::vector<std::string> WriteStorage::QueueNames() const {
  std::vector<std::string> out;
  for (const auto& q : queues_) out.push_back(q->config.name);
  return out;
}

}  // namespace promethium::remote

namespace promethium::remote {

std::vector<const QueueManager*> WriteStorage::Queues() const {
  std::vector<const QueueManager*> out;
  for (const auto& q : queues_) out.push_back(q->manager.get());
  return out;
}

}  // namespace promethium::remote
