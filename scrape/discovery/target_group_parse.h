// Decoding of target group lists as file_sd and http_sd serve them:
//
//   [{"targets": ["host:port", ...], "labels": {"name": "value", ...}}, ...]
//
// in JSON (file_sd *.json, http_sd) or YAML (file_sd *.yml / *.yaml).
// Validation follows Prometheus's targetgroup.Group: targets are strings,
// label names valid (UTF-8, Prometheus 3's default scheme) and label values
// valid UTF-8. `source_prefix` names each group "<prefix>:<index>".
// Third-party exceptions (yaml-cpp, Boost.JSON) never escape: they become
// InvalidArgument.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "scrape/scrape_config.h"
#include "tsdb/base/result.h"

namespace promethium::scrape {

Result<std::vector<TargetGroup>> ParseTargetGroupsJson(std::string_view text, const std::string& source_prefix);
Result<std::vector<TargetGroup>> ParseTargetGroupsYaml(std::string_view text, const std::string& source_prefix);

}  // namespace promethium::scrape
