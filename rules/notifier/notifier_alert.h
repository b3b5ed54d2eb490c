// NotifierAlert: an alert as sent to Alertmanager (Prometheus's
// notifier.Alert), its conversion from a rules::Alert (rules.SendAlerts)
// and its JSON for Alertmanager's API v2 (POST /api/v2/alerts).
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rules/manager/alert.h"
#include "tsdb/api/labels.h"

namespace promethium::rules {

struct NotifierAlert {
  Labels labels;
  Labels annotations;
  std::optional<int64_t> starts_at_ms;  // nullopt: Go's zero time
  std::optional<int64_t> ends_at_ms;
  std::string generator_url;
  friend bool operator==(const NotifierAlert&, const NotifierAlert&) = default;
};

// Go's url.QueryEscape: unreserved bytes kept, ' ' as '+', the rest %XX.
std::string QueryEscape(std::string_view s);

// Prometheus's strutil.TableLinkForExpression:
// "/graph?g0.expr=<QueryEscape(expr)>&g0.tab=1".
std::string TableLinkForExpression(std::string_view expr);

// rules.SendAlerts: startsAt = firedAt, endsAt = resolvedAt when resolved,
// else validUntil; generatorURL = external_url + TableLinkForExpression(expr).
std::vector<NotifierAlert> ToNotifierAlerts(std::string_view expr, const std::vector<Alert>& alerts,
                                            std::string_view external_url);

// strfmt.DateTime's JSON form: RFC 3339 in UTC with milliseconds,
// "2024-01-02T03:04:05.678Z"; nullopt is "0001-01-01T00:00:00.000Z".
std::string FormatAlertTime(std::optional<int64_t> ms);

// The models.PostableAlerts JSON array, fields in Go's order
// (annotations, endsAt, startsAt, generatorURL, labels), empty annotations
// and generatorURL omitted, strings escaped as encoding/json does.
std::string EncodeAlertsV2(const std::vector<NotifierAlert>& alerts);

}  // namespace promethium::rules
