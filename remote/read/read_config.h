// RemoteReadConfig: one `remote_read` entry of prometheus.yml, resolved
// (Prometheus's config.RemoteReadConfig with its defaults applied).
//
// server/ decodes YAML into this plain struct (defaults applied, relative
// file paths resolved), so remote/read/ never sees YAML. Header-only, so the
// config loader can fill it without linking the client.
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "scrape/http_client_config.h"
#include "tsdb/api/labels.h"

namespace promethium::remote {

// Prometheus's DefaultChunkedReadLimit: the largest streamed frame accepted.
inline constexpr uint64_t kDefaultChunkedReadLimit = 50'000'000;

struct RemoteReadConfig {
  std::string url;  // http(s)://host[:port]/path, e.g. http://prom:9090/api/v1/read
  std::string name;
  int64_t remote_timeout_ms = 60'000;
  uint64_t chunked_read_limit = kDefaultChunkedReadLimit;
  // Extra request headers, by name (validated against the reserved ones).
  std::vector<std::pair<std::string, std::string>> headers;
  // false: skip the remote for time ranges the local storage covers.
  bool read_recent = false;
  // Equality matchers a selector must all have for this remote to be asked.
  Labels required_matchers;
  // true: external labels become equality matchers of the remote query and
  // are removed from the series it answers.
  bool filter_external_labels = true;
  scrape::HttpClientConfig http_client;  // TLS, auth, proxy

  friend bool operator==(const RemoteReadConfig&, const RemoteReadConfig&) = default;
};

}  // namespace promethium::remote
