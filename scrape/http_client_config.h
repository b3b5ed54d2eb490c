// HttpClientConfig: the HTTP client options Prometheus inlines into scrape
// and http_sd configs (common/config.HTTPClientConfig): TLS, basic auth,
// Authorization / bearer tokens (also from files), redirects.
//
// Files (ca_file, cert_file, key_file, password_file, credentials_file) are
// absolute after config loading (server/ resolves them against the config
// file's directory). Secret files are re-read for every request, as
// Prometheus does, so rotating a token needs no reload.
//
// enable_http2 is accepted but Promethium always speaks HTTP/1.1.
// proxy_url is rejected by the loader (unsupported).
//
// Thread-safety: plain values; AuthorizationHeader only reads files.
#pragma once

#include <optional>
#include <string>

#include "tsdb/base/result.h"

namespace promethium::scrape {

struct TLSConfig {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  std::string server_name;  // SNI and certificate name; empty: the target host
  bool insecure_skip_verify = false;
  std::string min_version;  // "", "TLS10", "TLS11", "TLS12", "TLS13"
  friend bool operator==(const TLSConfig&, const TLSConfig&) = default;
};

struct BasicAuth {
  std::string username;
  std::string password;
  std::string password_file;
  friend bool operator==(const BasicAuth&, const BasicAuth&) = default;
};

struct Authorization {
  std::string type = "Bearer";
  std::string credentials;
  std::string credentials_file;
  friend bool operator==(const Authorization&, const Authorization&) = default;
};

struct HttpClientConfig {
  std::optional<BasicAuth> basic_auth;
  // Also set by the legacy bearer_token / bearer_token_file keys.
  std::optional<Authorization> authorization;
  TLSConfig tls_config;
  bool follow_redirects = true;
  bool enable_http2 = true;  // accepted; HTTP/1.1 is always used
  friend bool operator==(const HttpClientConfig&, const HttpClientConfig&) = default;
};

// The Authorization header value for a request ("" when none), reading
// password_file / credentials_file now. Trailing whitespace of a file is
// trimmed, as Prometheus does.
Result<std::string> AuthorizationHeader(const HttpClientConfig& config);

// Standard base64 (RFC 4648, with padding).
std::string Base64Encode(std::string_view in);

}  // namespace promethium::scrape
