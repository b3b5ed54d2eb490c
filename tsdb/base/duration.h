// Prometheus durations: "1m30s", "2h", "5d", "1y", "250ms", "0".
//
// Units, largest first, each at most once: y (365d), w, d, h, m, s, ms.
// These are model.ParseDuration's rules, used by config files, PromQL range
// and offset literals, and the HTTP API's step/timeout parameters.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tsdb/base/result.h"

namespace promethium {

// Parses a duration into milliseconds. Fails with InvalidArgument (message
// "not a valid duration string: \"x\"") on empty input, unknown units, units
// out of order or repeated, or overflow.
Result<int64_t> ParseDuration(std::string_view text);
// Formats milliseconds as Prometheus does: "1h30m", "5m", "0s", "1d", "1y",
// "1w2d" and "-5m" for negatives (used when printing PromQL offsets).
std::string FormatDuration(int64_t ms);

}  // namespace promethium
