// RulesOptions: what every rule group needs from the outside (storage,
// engine, notifier, self-metrics and Prometheus's --rules.* flags), shared
// by the Manager and the Groups it builds.
//
// Ownership: the pointers are borrowed and must outlive the groups; the
// functions are copied.
// Thread-safety: read-only after construction; `query`, `notify` and
// `now_ms` are called from group threads (and must be thread-safe).
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "rules/manager/alert.h"
#include "rules/manager/rule.h"
#include "tsdb/api/storage.h"

namespace promethium {
class MetricsRegistry;
}

namespace promethium::rules {

// Receives the alerts of one alerting rule that need sending after its
// evaluation (Prometheus's NotifyFunc; called even when `alerts` is empty).
// `expr` is the rule's expression, for the generator URL.
using NotifyFunc = std::function<void(std::string_view expr, const std::vector<Alert>& alerts)>;

struct RulesOptions {
  QueryFunc query;                               // required
  Appendable* appendable = nullptr;              // required: where rule output goes
  Queryable* queryable = nullptr;                // for restoring `for` state; null skips restoring
  NotifyFunc notify;                             // may be empty
  MetricsRegistry* metrics = nullptr;            // may be null (metrics kept privately)
  int64_t resend_delay_ms = 60 * 1000;           // --rules.alert.resend-delay
  int64_t outage_tolerance_ms = 60 * 60 * 1000;  // --rules.alert.for-outage-tolerance
  int64_t for_grace_period_ms = 10 * 60 * 1000;  // --rules.alert.for-grace-period
  std::function<int64_t()> now_ms;               // wall clock; empty: the system clock
};

}  // namespace promethium::rules
