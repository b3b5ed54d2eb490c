// Parsing of the HTTP API's time and duration parameters, with the exact
// rules and error messages of Prometheus's web/api/v1 (parseTime,
// parseDuration, parseLimitParam).
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string_view>

#include "tsdb/base/result.h"

namespace promethium::web {

// A timestamp given as Unix seconds ("1700000000", "1700000000.123", "1e9";
// the fraction is rounded to milliseconds) or RFC 3339 with optional
// fractional seconds and a zone ("2023-11-14T22:13:20.5Z",
// "2023-11-14T23:13:20+01:00"), or the exact min/max boundary strings Go
// clients send for an open range ("-292273086-05-16T16:47:06Z",
// "292277025-08-18T07:12:54.999999999Z"). Returns milliseconds since the
// epoch.
// Error (InvalidArgument): `cannot parse "x" to a valid timestamp`.
Result<int64_t> ParseApiTime(std::string_view text);

// A duration given as float seconds ("15", "0.5") or in Prometheus syntax
// ("15s", "1m30s"). Returns nanoseconds, as Go's time.Duration.
// Errors: `cannot parse "x" to a valid duration` and
// `cannot parse "x" to a valid duration. It overflows int64`.
Result<int64_t> ParseApiDuration(std::string_view text);

// The "limit" parameter: "" means 0 (no limit). Errors as Go's strconv.Atoi
// (`strconv.Atoi: parsing "x": invalid syntax`) or "limit must be non-negative".
Result<int64_t> ParseLimitParam(std::string_view text);

}  // namespace promethium::web
