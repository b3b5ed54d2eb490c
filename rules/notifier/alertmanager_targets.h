// Alertmanager targets: turning discovered target groups into Alertmanager
// URLs (Prometheus's notifier.AlertmanagerFromGroup and postPath).
//
// Each target starts as {__address__, __scheme__ = scheme, __alerts_path__ =
// <path_prefix>/api/v2/alerts} plus its group's labels, then goes through
// the set's relabel_configs; the result is
// <__scheme__>://<__address__><__alerts_path__>. Targets dropped by
// relabeling are kept (with their labels before relabeling) for
// /api/v1/alertmanagers.
//
// Thread-safety: pure functions over plain values.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "rules/notifier/notifier_config.h"
#include "tsdb/api/labels.h"
#include "tsdb/base/status.h"

namespace promethium::rules {

inline constexpr std::string_view kAlertsPathLabel = "__alerts_path__";

struct AlertmanagerTarget {
  std::string scheme;
  std::string address;  // host[:port]
  std::string path;     // e.g. "/api/v2/alerts"
  Labels labels;        // after relabeling (before, for a dropped target)
  std::string Url() const { return scheme + "://" + address + path; }
};

// path.Join("/", prefix, "/api/<version>/alerts").
std::string AlertsPostPath(std::string_view prefix, std::string_view api_version);

// Appends the group's Alertmanagers to `active` and those relabeling
// dropped to `dropped`. An address containing '/' after relabeling fails
// the whole group, as in Prometheus (`"x/y" is not a valid hostname`).
Status AlertmanagersFromGroup(const scrape::TargetGroup& group, const AlertmanagerConfig& cfg,
                              std::vector<AlertmanagerTarget>* active, std::vector<AlertmanagerTarget>* dropped);

}  // namespace promethium::rules
