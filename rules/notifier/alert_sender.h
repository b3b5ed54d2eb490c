// AlertSender: the HTTP side of the notifier's sender thread (Prometheus's
// sendAll/sendOne): POSTs one batch to every Alertmanager of every set at
// once and waits for all of them, each bounded by its set's timeout.
//
// Runs its own io_context on the calling thread; keeps one HttpClient per
// (set, Alertmanager) so connections are reused between batches.
// Ownership: `metrics` is borrowed and must outlive the sender.
// Thread-safety: one thread only (the notifier's sender thread).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "rules/notifier/alertmanager_set.h"
#include "rules/notifier/notifier_alert.h"
#include "tsdb/base/metrics.h"

namespace promethium::rules {

class AlertSender {
 public:
  explicit AlertSender(MetricsRegistry* metrics);
  ~AlertSender();
  AlertSender(const AlertSender&) = delete;
  AlertSender& operator=(const AlertSender&) = delete;

  // Sends `alerts` (after each set's alert_relabel_configs) to every active
  // Alertmanager. False when some set that had Alertmanagers (and alerts
  // left after its relabeling) reached none of them.
  bool SendAll(const std::vector<std::shared_ptr<const AlertmanagerSet>>& sets,
               const std::vector<NotifierAlert>& alerts);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Applies `configs` to each alert's labels, after adding `external_labels`
// the alert does not have (Prometheus's relabelAlerts); dropped alerts are
// left out.
std::vector<NotifierAlert> RelabelAlerts(std::vector<NotifierAlert> alerts, const Labels& external_labels,
                                         const std::vector<scrape::RelabelConfig>& configs);

}  // namespace promethium::rules
