// Calendar fields of a Unix time the way Prometheus's date functions
// (hour, minute, month, year, day_of_*, days_in_month) compute them: Go's
// int64(float) conversion followed by time.Unix(sec, 0).UTC().
//
// Go's calendar works on an unsigned "absolute" second count that wraps
// modulo 2^64, so huge or converted-out-of-range inputs still give a date
// (NaN, +-Inf and values beyond the int64 range become -2^63 on amd64, whose
// date is 292277026596-12-04 15:30:08). These functions reproduce that
// arithmetic exactly instead of rejecting such inputs, so answers match
// Prometheus bit for bit; tests/promqltest/date_functions_edges.test holds
// answers recorded from Prometheus 2.42.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>

#include "tsdb/base/go_float.h"

namespace promethium::promql {

using promethium::GoFloatToInt64;  // Go's int64(v) on amd64 (tsdb/base/go_float.h)

enum class DateField : uint8_t { kYear, kMonth, kDayOfMonth, kDaysInMonth, kHour, kMinute, kDayOfWeek, kDayOfYear };

// The field of time.Unix(unix_seconds, 0).UTC() (day_of_week: Sunday = 0;
// days_in_month: Go's 32 - time.Date(year, month, 32).Day()).
double GoDateField(DateField field, int64_t unix_seconds);

}  // namespace promethium::promql
