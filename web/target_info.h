// TargetInfo: one scrape target as /api/v1/targets shows it.
//
// web defines this plain struct so that it never links the scrape module;
// the server fills a vector of these from the scrape manager on request.
// Thread-safety: a plain value type.
#pragma once

#include <cstdint>
#include <string>

#include "tsdb/api/labels.h"

namespace promethium::web {

struct TargetInfo {
  std::string scrape_pool;
  std::string scrape_url;
  std::string health = "unknown";  // "up", "down" or "unknown"
  std::string last_error;
  Labels labels;               // after relabeling
  Labels discovered_labels;    // before relabeling
  int64_t last_scrape_ms = 0;  // 0: never scraped
  double last_scrape_duration_seconds = 0;
  int64_t interval_ms = 0;
  int64_t timeout_ms = 0;
};

}  // namespace promethium::web
