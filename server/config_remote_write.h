// Decoding of the `remote_write:` section of prometheus.yml into
// remote::RemoteWriteConfig (Prometheus's config.RemoteWriteConfig,
// QueueConfig and MetadataConfig, with their defaults): url, name,
// remote_timeout (30s), headers, write_relabel_configs, send_exemplars,
// send_native_histograms, round_robin_dns, protobuf_message,
// failed_request_logging, queue_config, metadata_config and the inlined
// HTTP client options, with Prometheus's checks and messages ("url for
// remote_write is empty", the queue_config bounds, reserved headers, "found
// multiple remote write configs with job name ..."). sigv4, azuread,
// google_iam, oauth2 and http_headers fail with "unsupported: <key> (line N)".
//
// An entry without a name gets the first 6 hex digits of its config hash
// (an MD5 of the entry's YAML), as Prometheus names it.
//
// Internal to server/ (used by config.cc). Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "remote/write/remote_write_config.h"
#include "server/config_alerting.h"
#include "server/config_decoder.h"

namespace promethium::server::config_internal {

// `scrape_field` decodes write_relabel_configs as metric_relabel_configs.
Status DecodeRemoteWriteList(YamlDecoder& dec, const YAML::Node& v, const ScrapeFieldFn& scrape_field,
                             std::vector<remote::RemoteWriteConfig>* out);

// SetDirectory: relative TLS and secret file paths become relative to `dir`
// ("" or ending in '/').
void ResolveRemoteWritePaths(const std::string& dir, std::vector<remote::RemoteWriteConfig>* cfgs);

}  // namespace promethium::server::config_internal
