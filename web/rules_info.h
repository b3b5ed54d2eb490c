// What /api/v1/rules and /api/v1/alerts render: plain snapshots of rule
// groups, rules and alerts, filled in by the server from the rules manager
// (web does not link rules/, as it does not link scrape/: see TargetInfo).
//
// Ownership: plain values. Thread-safety: values; the callbacks in ApiDeps
// that produce them must be safe to call from any request thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tsdb/api/labels.h"

namespace promethium::web {

struct AlertInfo {
  Labels labels;
  Labels annotations;
  std::string state;              // "pending" or "firing"
  int64_t active_at_ms = 0;       // when the alert became pending
  int64_t keep_firing_since = 0;  // ms; 0 when not kept firing
  double value = 0;
  int32_t sub_ms_ns = 0;  // ns past the ms of activeAt and keepFiringSince (Prometheus's are ns-precise)
};

struct RuleInfo {
  bool alerting = false;  // else recording
  std::string name;       // alert or record name
  std::string query;      // the expression as written
  Labels labels;
  // Alerting rules only.
  int64_t for_ms = 0;
  int64_t keep_firing_for_ms = 0;
  Labels annotations;
  std::string state;  // "inactive", "pending" or "firing"
  std::vector<AlertInfo> alerts;
  // Both kinds.
  std::string health;  // "ok", "err" or "unknown"
  std::string last_error;
  double evaluation_seconds = 0;
  int64_t last_evaluation_ms = 0;  // 0 before the first evaluation
};

struct RuleGroupInfo {
  std::string name;
  std::string file;
  int64_t interval_ms = 0;
  int64_t limit = 0;
  std::vector<RuleInfo> rules;
  double evaluation_seconds = 0;
  int64_t last_evaluation_ms = 0;
};

}  // namespace promethium::web
