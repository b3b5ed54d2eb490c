// MetricMetadataInfo / TargetMetadataInfo: the TYPE, HELP and UNIT a scrape
// target last exposed for its metric families, as /api/v1/metadata and
// /api/v1/targets/metadata serve them.
//
// web defines these plain structs so that it never links the scrape module;
// the server fills them from the scrape manager on request (see
// ApiDeps::target_metadata).
// Thread-safety: plain value types.
#pragma once

#include <string>
#include <vector>

#include "tsdb/api/labels.h"

namespace promethium::web {

// One metric family's metadata as one target exposed it.
struct MetricMetadataInfo {
  std::string metric_family;  // the family name, e.g. "http_requests" for an OpenMetrics counter
  std::string type;           // "counter", "gauge", "histogram", "gaugehistogram", "summary", "info",
                              // "stateset" or "unknown"
  std::string help;
  std::string unit;
};

// The metadata of one active target.
struct TargetMetadataInfo {
  Labels target_labels;  // the target's labels after relabeling (job, instance, ...)
  std::vector<MetricMetadataInfo> metadata;
};

}  // namespace promethium::web
