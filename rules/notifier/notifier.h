// Notifier: sends alerts to Alertmanagers (Prometheus's notifier.Manager,
// 3.x design with one shared queue).
//
// Send() relabels the alerts (global.external_labels added where the alert
// has no such label, then alerting.alert_relabel_configs; dropped alerts are
// never sent) and appends them to a bounded queue: when it is full, the
// oldest alerts are dropped and counted. It never blocks on the network.
// One sender thread takes batches of at most `max_batch_size` alerts and
// POSTs each batch, as Alertmanager API v2 JSON, to every discovered
// Alertmanager of every `alertmanagers` set concurrently (each with the
// set's timeout); a batch that reaches no Alertmanager of some set that had
// any is counted as dropped. A down, slow or failing Alertmanager only
// delays the following batches, never rule evaluation.
//
// Alertmanagers come from each set's static_configs plus its file, http and
// dns discovery (run by a scrape::DiscoveryManager owned here), relabeled
// as in alertmanager_targets.h; duplicates within a set are sent to once.
//
// Self-metrics (Prometheus's names): prometheus_notifications_sent_total,
// _errors_total, _latency_seconds (summary: quantiles 0.5 0.9 0.99 over 10
// minutes) and _latency_histogram_seconds (buckets .01 .1 1 10), all with
// {alertmanager=<url>};
// prometheus_notifications_dropped_total, _queue_length, _queue_capacity and
// prometheus_notifications_alertmanagers_discovered. As in Prometheus,
// sent_total counts every alert posted, whether the POST failed or not.
//
// Stop() ends the sender; with drain_on_shutdown the queued alerts are
// still sent, batch by batch, until the queue is empty or a batch fails (so
// an unreachable Alertmanager cannot hold shutdown for more than one
// timeout); what remains is counted as dropped.
//
// Ownership: `metrics` is borrowed and must outlive the Notifier (null: a
// private registry). The Notifier owns its threads, HTTP clients and
// discovery.
// Thread-safety: Send, ApplyConfig, Alertmanagers and DroppedAlertmanagers
// are safe from any thread; Start and Stop from one controlling thread.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "rules/notifier/alert_sender.h"
#include "rules/notifier/alertmanager_set.h"
#include "rules/notifier/notifier_alert.h"
#include "rules/notifier/notifier_config.h"
#include "tsdb/base/cond_var.h"
#include "tsdb/base/metrics.h"
#include "tsdb/base/status.h"
#include "tsdb/base/thread_annotations.h"

namespace promethium::scrape {
class DiscoveryManager;
}  // namespace promethium::scrape

namespace promethium::rules {

struct NotifierOptions {
  size_t queue_capacity = 10000;  // --alertmanager.notification-queue-capacity
  size_t max_batch_size = 256;    // Prometheus's DefaultMaxBatchSize
  bool drain_on_shutdown = true;  // --alertmanager.drain-notification-queue-on-shutdown
  MetricsRegistry* metrics = nullptr;
  int64_t discovery_tick_ms = 1000;
};

class Notifier {
 public:
  explicit Notifier(NotifierOptions opts);
  ~Notifier();  // Stop()
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  // Replaces the Alertmanager sets and the relabeling. Fails (keeping the
  // previous config) on an api_version other than v2 or a TLS/proxy option
  // that cannot be set up. A set whose config did not change keeps its
  // discovered Alertmanagers.
  Status ApplyConfig(const AlertingConfig& config, const Labels& external_labels) EXCLUDES(control_mu_);
  // Starts the sender thread. Alerts sent before Start wait in the queue.
  void Start() EXCLUDES(control_mu_);
  // Stops discovery and the sender (draining, see above). Idempotent.
  void Stop() EXCLUDES(control_mu_);

  // Relabels and queues; never blocks on the network.
  void Send(std::vector<NotifierAlert> alerts) EXCLUDES(queue_mu_, sets_mu_);

  // URLs of the active and of the relabeling-dropped Alertmanagers, in set
  // order.
  std::vector<std::string> Alertmanagers() const;
  std::vector<std::string> DroppedAlertmanagers() const;
  size_t QueueLength() const EXCLUDES(queue_mu_);

 private:
  std::vector<NotifierAlert> NextBatch() EXCLUDES(queue_mu_);
  void SenderLoop() EXCLUDES(queue_mu_);
  void Drain() EXCLUDES(queue_mu_);
  void OnDiscovered(const std::string& job, std::vector<scrape::TargetGroup> groups);
  // Also creates the per-Alertmanager counters (from 0).
  void UpdateDiscoveredGauge() REQUIRES(sets_mu_);
  std::vector<std::shared_ptr<const AlertmanagerSet>> SnapshotSets() const;
  void SendBatch(const std::vector<NotifierAlert>& batch);

  const NotifierOptions opts_;
  std::unique_ptr<MetricsRegistry> own_metrics_;
  MetricsRegistry* metrics_;
  Counter* dropped_;
  Gauge* queue_length_;
  Gauge* queue_capacity_;
  Gauge* discovered_;

  mutable Mutex queue_mu_;
  CondVar queue_cv_;  // with queue_mu_: alerts queued or stop requested
  std::deque<NotifierAlert> queue_ GUARDED_BY(queue_mu_);
  bool stop_requested_ GUARDED_BY(queue_mu_) = false;

  mutable Mutex sets_mu_;
  // Immutable sets, replaced on config and discovery changes, so the sender
  // uses a snapshot without holding the lock.
  std::vector<std::shared_ptr<const AlertmanagerSet>> sets_ GUARDED_BY(sets_mu_);
  Labels external_labels_ GUARDED_BY(sets_mu_);
  std::vector<scrape::RelabelConfig> alert_relabel_configs_ GUARDED_BY(sets_mu_);

  Mutex control_mu_;  // serializes ApplyConfig, Start and Stop
  std::unique_ptr<scrape::DiscoveryManager> discovery_ GUARDED_BY(control_mu_);
  std::unique_ptr<AlertSender> sender_;  // the sender thread's only
  std::thread thread_;
  bool started_ GUARDED_BY(control_mu_) = false;
  bool stopped_ GUARDED_BY(control_mu_) = false;
};

}  // namespace promethium::rules
