// AlertmanagerSet: one `alertmanagers` entry as the notifier uses it
// (Prometheus's alertmanagerSet): its config, the TLS and proxy setup built
// from it once, and the Alertmanagers currently known from its static and
// discovered target groups.
//
// Immutable once built: a discovery update builds a new set (WithGroups), so
// the sender thread can use a snapshot without locking.
// Thread-safety: immutable; share freely.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "rules/notifier/alertmanager_targets.h"
#include "rules/notifier/notifier_config.h"
#include "scrape/http_client.h"
#include "tsdb/base/result.h"

namespace promethium::rules {

struct AlertmanagerSet {
  AlertmanagerConfig config;
  std::string name;                                     // "config-<index>", as Prometheus's ToMap keys
  std::shared_ptr<const scrape::TlsClientContext> tls;  // for https; null when the TLS config failed to load
  std::shared_ptr<const scrape::ProxySelector> proxy;   // null: direct
  std::vector<scrape::TargetGroup> discovered;          // latest groups of its discoverers
  std::vector<AlertmanagerTarget> active;               // deduplicated by URL
  std::vector<AlertmanagerTarget> dropped;

  // Validates `config` (api_version v2 only, TLS files, proxy) and builds a
  // set with its static Alertmanagers.
  static Result<std::shared_ptr<AlertmanagerSet>> Make(const AlertmanagerConfig& config, std::string name);
  // A copy whose Alertmanagers come from static_configs plus `groups`.
  std::shared_ptr<AlertmanagerSet> WithGroups(std::vector<scrape::TargetGroup> groups) const;
  // The discovery config of this set (job name = `name`), for a
  // scrape::DiscoveryManager.
  scrape::ScrapeConfig DiscoveryConfig() const;

 private:
  void Sync();  // recomputes active and dropped
};

}  // namespace promethium::rules
