// Decoding of the HTTP client options that scrape_configs and
// http_sd_configs inline (common/config.HTTPClientConfig): basic_auth,
// authorization, the legacy bearer_token keys, tls_config, follow_redirects,
// enable_http2 and the proxy options (proxy_url, no_proxy,
// proxy_from_environment, proxy_connect_header), with
// HTTPClientConfig.Validate's checks and messages.
//
// Internal to server/ (used by config.cc). Thread-safety: pure functions.
#pragma once

#include <set>
#include <string>
#include <string_view>

#include "scrape/http_client_config.h"
#include "server/config_decoder.h"

namespace promethium::server::config_internal {

// HTTPClientConfig keys Prometheus knows that Promethium does not implement.
extern const std::set<std::string_view> kUnsupportedHttpClientKeys;

// An HTTPClientConfig as decoded, before FinishHttpClient folds the legacy
// bearer_token keys into `authorization`.
struct HttpClientDraft {
  scrape::HttpClientConfig config;
  std::string bearer_token;
  std::string bearer_token_file;
};

// Decodes one key of the inlined HTTPClientConfig into `d`; NotFound when
// `key` is not one of its (implemented) keys.
Status DecodeHttpClientField(YamlDecoder& dec, const std::string& key, const YAML::Node& v, HttpClientDraft* d);

// HTTPClientConfig.Validate: exclusive options, the proxy rules, and the
// legacy bearer token keys become an Authorization of type Bearer.
Status FinishHttpClient(HttpClientDraft* d, scrape::HttpClientConfig* out);

}  // namespace promethium::server::config_internal
