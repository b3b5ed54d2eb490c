// Decoding of the `remote_read:` section of prometheus.yml into
// remote::RemoteReadConfig (Prometheus's config.RemoteReadConfig): url,
// name, remote_timeout (default 1m), chunked_read_limit, headers,
// read_recent, required_matchers, filter_external_labels (default true) and
// the inlined HTTP client options, with Prometheus's checks and messages
// ("url for remote_read is empty", reserved headers, "found multiple remote
// read configs with job name ..."). A url that is not http(s)://host... fails
// naming its line. sigv4, azuread, google_iam, oauth2 and http_headers fail
// with "unsupported: <key> (line N)".
//
// Internal to server/ (used by config.cc). Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "remote/read/read_config.h"
#include "server/config_decoder.h"

namespace promethium::server::config_internal {

Status DecodeRemoteReadList(YamlDecoder& dec, const YAML::Node& v, std::vector<remote::RemoteReadConfig>* out);

// Shared with remote_write (config_remote_write.cc); `section` names the
// section in messages. The url checks: a control character or bad port as
// url.Parse reports them, a scheme other than http(s) or no host.
Status CheckRemoteUrl(const std::string& url, int line, std::string_view section);
// `headers:` (map[string]string) with Prometheus's reserved-header checks,
// refusing CR, LF and NUL.
Status DecodeRemoteHeaders(YamlDecoder& dec, const YAML::Node& v, std::string_view section,
                           std::vector<std::pair<std::string, std::string>>* out);

// SetDirectory: relative TLS and secret file paths become relative to `dir`
// ("" or ending in '/').
void ResolveRemoteReadPaths(const std::string& dir, std::vector<remote::RemoteReadConfig>* cfgs);

}  // namespace promethium::server::config_internal
