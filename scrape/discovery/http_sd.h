// HttpDiscoverer: http_sd_configs. GETs the configured URL every
// refresh_interval; the answer must be HTTP 200 with Content-Type
// application/json and a JSON list of target groups. Each group gets the
// label __meta_url=<url> and the source "<url>:<index>".
//
// A failed refresh (connection, status, content type or body) keeps the
// previous groups, logs an error and counts
// prometheus_sd_http_failures_total, as in Prometheus. http:// and https://,
// with the config's HTTP client options (TLS, auth, redirects).
//
// Ownership: `failures` is borrowed (may be null) and must outlive the
// discoverer. Thread-safety: as Discoverer (one polling thread). Each fetch
// runs on a private io_context, bounded by min(refresh_interval, 10s).
#pragma once

#include <string>
#include <vector>

#include "scrape/discovery/discoverer.h"
#include "tsdb/base/metrics.h"
#include "tsdb/base/result.h"

namespace promethium::scrape {

// Fetches and decodes the groups once (no retries, no state).
Result<std::vector<TargetGroup>> FetchHttpTargetGroups(const std::string& url, int64_t timeout_ms);
// The same with TLS (https URLs), auth and redirects from `client`.
Result<std::vector<TargetGroup>> FetchHttpTargetGroups(const std::string& url, int64_t timeout_ms,
                                                       const HttpClientConfig& client);

class HttpDiscoverer final : public Discoverer {
 public:
  HttpDiscoverer(HttpSDConfig config, Counter* failures);
  std::optional<std::vector<TargetGroup>> Poll(int64_t now_ms) override;

 private:
  const HttpSDConfig config_;
  Counter* const failures_;
  bool refreshed_once_ = false;
  int64_t last_refresh_ms_ = 0;
  std::vector<TargetGroup> groups_;  // last good answer
};

}  // namespace promethium::scrape
