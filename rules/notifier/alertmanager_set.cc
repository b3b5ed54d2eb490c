#include "rules/notifier/alertmanager_set.h"

#include <fmt/format.h>

#include <set>

#include "tsdb/base/logging.h"

namespace promethium::rules {

Result<std::shared_ptr<AlertmanagerSet>> AlertmanagerSet::Make(const AlertmanagerConfig& config, std::string name) {
  if (config.api_version != "v2") {
    // Prometheus's AlertmanagerAPIVersion.UnmarshalYAML message.
    return Status::InvalidArgument(
        fmt::format("expected Alertmanager api version to be one of [v2] but got {}", config.api_version));
  }
  if (config.scheme != "http" && config.scheme != "https") {
    return Status::InvalidArgument(fmt::format("invalid scheme {} for alertmanagers", QuoteLabelValue(config.scheme)));
  }
  auto set = std::make_shared<AlertmanagerSet>();
  set->config = config;
  set->name = std::move(name);
  // Built even for http: relabeling may turn __scheme__ into https.
  Result<std::shared_ptr<const scrape::TlsClientContext>> tls =
      scrape::NewTlsClientContext(config.http_client.tls_config);
  if (!tls.ok()) return tls.status().WithContext("alertmanagers tls_config");
  set->tls = *tls;
  PROMETHIUM_ASSIGN_OR_RETURN(set->proxy, scrape::ProxySelector::Make(config.http_client.proxy));
  set->Sync();
  return set;
}

std::shared_ptr<AlertmanagerSet> AlertmanagerSet::WithGroups(std::vector<scrape::TargetGroup> groups) const {
  auto copy = std::make_shared<AlertmanagerSet>(*this);
  copy->discovered = std::move(groups);
  copy->Sync();
  return copy;
}

scrape::ScrapeConfig AlertmanagerSet::DiscoveryConfig() const {
  scrape::ScrapeConfig sc;
  sc.job_name = name;
  sc.file_sd_configs = config.file_sd_configs;
  sc.http_sd_configs = config.http_sd_configs;
  sc.dns_sd_configs = config.dns_sd_configs;
  return sc;
}

void AlertmanagerSet::Sync() {
  std::vector<AlertmanagerTarget> all_active, all_dropped;
  auto add = [&](const scrape::TargetGroup& g) {
    Status s = AlertmanagersFromGroup(g, config, &all_active, &all_dropped);
    if (!s.ok()) LogError("notifier", "Creating discovered Alertmanagers failed: err={}", s.message());
  };
  for (const scrape::TargetGroup& g : config.static_configs) add(g);
  for (const scrape::TargetGroup& g : discovered) add(g);
  active.clear();
  std::set<std::string> seen;
  for (AlertmanagerTarget& t : all_active) {
    if (seen.insert(t.Url()).second) active.push_back(std::move(t));
  }
  dropped = std::move(all_dropped);
}

}  // namespace promethium::rules
