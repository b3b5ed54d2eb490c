// Alert: one instance of an alerting rule (one label set), as Prometheus's
// rules.Alert, and the states it moves through.
//
// Times are milliseconds since the epoch; std::nullopt stands for Go's zero
// time.Time ("never"), so that an evaluation at t = 0 (rule unit tests start
// there) is still a real time.
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "tsdb/api/labels.h"

namespace promethium::rules {

enum class AlertState { kInactive = 0, kPending = 1, kFiring = 2 };
// "inactive", "pending", "firing".
std::string_view AlertStateName(AlertState s);

struct Alert {
  AlertState state = AlertState::kInactive;
  Labels labels;       // identifying: sample labels minus __name__, expanded rule labels, alertname
  Labels annotations;  // expanded
  double value = 0;    // the expression's value at the latest evaluation
  int64_t active_at_ms = 0;
  // Nanoseconds past the millisecond of the evaluation instants this alert's
  // times come from (its group's, see Group::SlotSubMsNs): the API prints
  // activeAt and keepFiringSince with them, as Prometheus does.
  int32_t sub_ms_ns = 0;
  std::optional<int64_t> fired_at_ms;
  std::optional<int64_t> resolved_at_ms;  // set once no longer active
  std::optional<int64_t> last_sent_at_ms;
  std::optional<int64_t> valid_until_ms;
  std::optional<int64_t> keep_firing_since_ms;

  // Prometheus's needsSending: never pending alerts; resolved since the last
  // send; otherwise when the resend delay has passed.
  bool NeedsSending(int64_t ts_ms, int64_t resend_delay_ms) const {
    if (state == AlertState::kPending) return false;
    if (resolved_at_ms && (!last_sent_at_ms || *resolved_at_ms > *last_sent_at_ms)) return true;
    return !last_sent_at_ms || *last_sent_at_ms + resend_delay_ms < ts_ms;
  }
};

}  // namespace promethium::rules
