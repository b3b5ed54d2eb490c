#include "rules/notifier/notifier.h"

#include <fmt/format.h>

#include "scrape/discovery/discovery_manager.h"
#include "tsdb/base/logging.h"

namespace promethium::rules {
namespace {

constexpr std::string_view kLog = "notifier";

}  // namespace

Notifier::Notifier(NotifierOptions opts) : opts_(std::move(opts)) {
  if (opts_.metrics == nullptr) own_metrics_ = std::make_unique<MetricsRegistry>();
  metrics_ = opts_.metrics != nullptr ? opts_.metrics : own_metrics_.get();
  dropped_ = metrics_->GetCounter("prometheus_notifications_dropped_total",
                                  "Total number of alerts dropped due to errors when sending to Alertmanager.");
  queue_length_ =
      metrics_->GetGauge("prometheus_notifications_queue_length", "The number of alert notifications in the queue.");
  queue_capacity_ =
      metrics_->GetGauge("prometheus_notifications_queue_capacity", "The capacity of the alert notifications queue.");
  discovered_ = metrics_->GetGauge("prometheus_notifications_alertmanagers_discovered",
                                   "The number of alertmanagers discovered and active.");
  queue_capacity_->Set(static_cast<double>(opts_.queue_capacity));
  sender_ = std::make_unique<AlertSender>(metrics_);
}

Notifier::~Notifier() { Stop(); }

Status Notifier::ApplyConfig(const AlertingConfig& config, const Labels& external_labels) {
  MutexLock control(&control_mu_);
  std::vector<std::shared_ptr<const AlertmanagerSet>> old = SnapshotSets();
  std::vector<std::shared_ptr<const AlertmanagerSet>> sets;
  for (size_t i = 0; i < config.alertmanagers.size(); ++i) {
    const AlertmanagerConfig& am = config.alertmanagers[i];
    std::string name = fmt::format("config-{}", i);
    // An unchanged set keeps what was discovered for it.
    if (i < old.size() && old[i]->config == am) {
      sets.push_back(old[i]);
      continue;
    }
    Result<std::shared_ptr<AlertmanagerSet>> set = AlertmanagerSet::Make(am, std::move(name));
    if (!set.ok()) return set.status();
    sets.push_back(std::move(*set));
  }
  if (discovery_) discovery_->Stop();  // no stale update may land on the new sets
  std::vector<scrape::ScrapeConfig> discovery;
  for (const auto& set : sets) discovery.push_back(set->DiscoveryConfig());
  {
    MutexLock l(&sets_mu_);
    sets_ = std::move(sets);
    external_labels_ = external_labels;
    alert_relabel_configs_ = config.alert_relabel_configs;
    UpdateDiscoveredGauge();
  }
  if (stopped_) return Status::OK();
  if (!discovery_) {
    discovery_ = std::make_unique<scrape::DiscoveryManager>(
        metrics_,
        [this](const std::string& job, std::vector<scrape::TargetGroup> groups) {
          OnDiscovered(job, std::move(groups));
        },
        opts_.discovery_tick_ms);
  }
  discovery_->Run(discovery);
  return Status::OK();
}

void Notifier::OnDiscovered(const std::string& job, std::vector<scrape::TargetGroup> groups) {
  MutexLock l(&sets_mu_);
  for (auto& set : sets_) {
    if (set->name == job) set = set->WithGroups(std::move(groups));
  }
  UpdateDiscoveredGauge();
}

void Notifier::UpdateDiscoveredGauge() {
  size_t n = 0;
  for (const auto& set : sets_) {
    n += set->active.size();
    // As Prometheus, the counters of a known Alertmanager exist from 0.
    for (const AlertmanagerTarget& t : set->active) {
      const MetricLabels labels = {{"alertmanager", t.Url()}};
      metrics_->GetCounter("prometheus_notifications_sent_total", "Total number of alerts sent.", labels);
      metrics_->GetCounter("prometheus_notifications_errors_total", "Total number of sent alerts affected by errors.",
                           labels);
    }
  }
  discovered_->Set(static_cast<double>(n));
}

std::vector<std::shared_ptr<const AlertmanagerSet>> Notifier::SnapshotSets() const {
  MutexLock l(&sets_mu_);
  return sets_;
}

void Notifier::Send(std::vector<NotifierAlert> alerts) {
  {
    MutexLock l(&sets_mu_);
    alerts = RelabelAlerts(std::move(alerts), external_labels_, alert_relabel_configs_);
  }
  if (alerts.empty()) return;
  MutexLock l(&queue_mu_);
  const size_t cap = opts_.queue_capacity;
  if (alerts.size() > cap) {
    const size_t d = alerts.size() - cap;
    alerts.erase(alerts.begin(), alerts.begin() + static_cast<std::ptrdiff_t>(d));
    LogWarn(kLog, "Alert batch larger than queue capacity, dropping alerts: num_dropped={}", d);
    dropped_->Inc(static_cast<double>(d));
  }
  if (queue_.size() + alerts.size() > cap) {
    const size_t d = queue_.size() + alerts.size() - cap;
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(d));
    LogWarn(kLog, "Alert notification queue full, dropping alerts: num_dropped={}", d);
    dropped_->Inc(static_cast<double>(d));
  }
  for (NotifierAlert& a : alerts) queue_.push_back(std::move(a));
  queue_length_->Set(static_cast<double>(queue_.size()));
  queue_cv_.Signal();
}

std::vector<NotifierAlert> Notifier::NextBatch() {
  MutexLock l(&queue_mu_);
  const size_t n = std::min(queue_.size(), opts_.max_batch_size);
  std::vector<NotifierAlert> batch(std::make_move_iterator(queue_.begin()),
                                   std::make_move_iterator(queue_.begin() + static_cast<std::ptrdiff_t>(n)));
  queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
  queue_length_->Set(static_cast<double>(queue_.size()));
  return batch;
}

size_t Notifier::QueueLength() const {
  MutexLock l(&queue_mu_);
  return queue_.size();
}

void Notifier::Start() {
  MutexLock control(&control_mu_);
  if (started_ || stopped_) return;
  started_ = true;
  thread_ = std::thread([this] { SenderLoop(); });
}

void Notifier::SenderLoop() {
  for (;;) {
    {
      MutexLock l(&queue_mu_);
      queue_cv_.Wait(&queue_mu_, [this]() REQUIRES(queue_mu_) { return stop_requested_ || !queue_.empty(); });
      if (stop_requested_) break;
    }
    std::vector<NotifierAlert> batch = NextBatch();
    if (!sender_->SendAll(SnapshotSets(), batch)) dropped_->Inc(static_cast<double>(batch.size()));
  }
  Drain();
}

void Notifier::Drain() {
  if (opts_.drain_on_shutdown && QueueLength() > 0) {
    LogInfo(kLog, "Draining any remaining notifications...");
    for (;;) {
      std::vector<NotifierAlert> batch = NextBatch();
      if (batch.empty()) break;
      if (!sender_->SendAll(SnapshotSets(), batch)) {
        dropped_->Inc(static_cast<double>(batch.size()));
        break;  // the rest would fail the same way: count it below
      }
    }
  }
  MutexLock l(&queue_mu_);
  if (!queue_.empty()) {
    LogWarn(kLog, "Dropping notifications left on shutdown: count={}", queue_.size());
    dropped_->Inc(static_cast<double>(queue_.size()));
    queue_.clear();
    queue_length_->Set(0);
  }
}

void Notifier::Stop() {
  MutexLock control(&control_mu_);
  if (stopped_) return;
  stopped_ = true;
  if (discovery_) discovery_->Stop();
  {
    MutexLock l(&queue_mu_);
    stop_requested_ = true;
  }
  queue_cv_.SignalAll();
  if (thread_.joinable()) thread_.join();
  LogInfo(kLog, "Notification manager stopped");
}

std::vector<std::string> Notifier::Alertmanagers() const {
  std::vector<std::string> out;
  for (const auto& set : SnapshotSets()) {
    for (const AlertmanagerTarget& t : set->active) out.push_back(t.Url());
  }
  return out;
}

std::vector<std::string> Notifier::DroppedAlertmanagers() const {
  std::vector<std::string> out;
  for (const auto& set : SnapshotSets()) {
    for (const AlertmanagerTarget& t : set->dropped) out.push_back(t.Url());
  }
  return out;
}

}  // namespace promethium::rules
