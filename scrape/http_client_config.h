// HttpClientConfig: the HTTP client options Prometheus inlines into scrape
// and http_sd configs (common/config.HTTPClientConfig): TLS, basic auth,
// Authorization / bearer tokens (also from files), redirects, and the HTTP
// proxy options of common/config.ProxyConfig.
//
// Files (ca_file, cert_file, key_file, password_file, credentials_file) are
// absolute after config loading (server/ resolves them against the config
// file's directory). Secret files are re-read for every request, as
// Prometheus does, so rotating a token needs no reload.
//
// enable_http2 is accepted but Promethium always speaks HTTP/1.1.
//
// Proxies: only http:// proxy URLs (an https:// or socks5:// proxy is
// "unsupported: ..."). ProxySelector decides per request, as Go's
// http.ProxyURL (proxy_url alone: every request) or
// golang.org/x/net/http/httpproxy (no_proxy or proxy_from_environment:
// loopback and localhost always direct, then the no_proxy rules) do.
//
// Thread-safety: plain values; AuthorizationHeader only reads files. A
// ProxySelector is immutable once built and may be shared across threads.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

// common/config.ProxyConfig, as configured (validated by ValidateProxyConfig).
struct ProxyConfig {
  std::string proxy_url;                // "http://[user:password@]host[:port]"; "" none
  std::string no_proxy;                 // comma-separated hosts, .domain suffixes, IPs, CIDRs, "*"
  bool proxy_from_environment = false;  // HTTP_PROXY, HTTPS_PROXY, NO_PROXY (and lower-case forms)
  // Sent to the proxy on CONNECT (https targets); values are secrets.
  std::map<std::string, std::vector<std::string>> proxy_connect_header;
  friend bool operator==(const ProxyConfig&, const ProxyConfig&) = default;
};

struct HttpClientConfig {
  std::optional<BasicAuth> basic_auth;
  // Also set by the legacy bearer_token / bearer_token_file keys.
  std::optional<Authorization> authorization;
  TLSConfig tls_config;
  bool follow_redirects = true;
  bool enable_http2 = true;  // accepted; HTTP/1.1 is always used
  ProxyConfig proxy;
  friend bool operator==(const HttpClientConfig&, const HttpClientConfig&) = default;
};

// The Authorization header value for a request ("" when none), reading
// password_file / credentials_file now. Trailing whitespace of a file is
// trimmed, as Prometheus does.
Result<std::string> AuthorizationHeader(const HttpClientConfig& config);

// Standard base64 (RFC 4648, with padding).
std::string Base64Encode(std::string_view in);

// One HTTP proxy: where to connect and what to tell it.
struct ProxyEndpoint {
  std::string host;           // name or IP literal (IPv6 without brackets)
  std::string port;           // "80" when the URL had none
  std::string authorization;  // Proxy-Authorization from the URL's user info; "" none
  std::string redacted_url;   // the URL with its password as "xxxxx", for messages
};

// Parses a proxy URL. http:// only: https://, socks5:// and socks5h:// are
// Unsupported ("proxy_url scheme ..."), anything else InvalidArgument.
// Errors name `option` ("proxy_url", "HTTP_PROXY", ...).
Result<ProxyEndpoint> ParseProxyUrl(std::string_view url, std::string_view option = "proxy_url");

// ProxyConfig.Validate's rules (and their messages), the URL check above,
// and proxy_connect_header names (RFC 9110 tokens) and values (no CR, LF or
// NUL), so a config cannot inject lines into a CONNECT request.
Status ValidateProxyConfig(const ProxyConfig& config);

// Chooses the proxy of each request.
class ProxySelector {
 public:
  // The proxy settings of the environment (httpproxy.FromEnvironment).
  struct Environment {
    std::string http_proxy;   // HTTP_PROXY or http_proxy
    std::string https_proxy;  // HTTPS_PROXY or https_proxy
    std::string no_proxy;     // NO_PROXY or no_proxy
    bool cgi = false;         // REQUEST_METHOD set: HTTP_PROXY is refused
  };
  static Environment ReadEnvironment();

  // nullptr when `config` asks for no proxy. proxy_from_environment uses
  // `env` (ReadEnvironment() when not given), read once here.
  static Result<std::shared_ptr<const ProxySelector>> Make(const ProxyConfig& config,
                                                           const std::optional<Environment>& env = std::nullopt);

  // The proxy for a request to http(s)://host:port; nullopt: connect
  // directly. Fails for an environment proxy Promethium cannot use
  // (https or socks5 scheme; HTTP_PROXY under CGI).
  Result<std::optional<ProxyEndpoint>> For(bool https, const std::string& host, const std::string& port) const;

  // proxy_connect_header, one entry per value, in name order.
  const std::vector<std::pair<std::string, std::string>>& connect_headers() const { return connect_headers_; }

 private:
  struct Route {
    std::optional<ProxyEndpoint> endpoint;
    Status error;  // set instead of endpoint for an unusable environment value
  };
  struct NoProxyRule;
  bool UseProxy(const std::string& host, const std::string& port) const;
  void AddNoProxyRules(std::string_view list);

  bool always_ = false;  // http.ProxyURL: no loopback or no_proxy exceptions
  Route http_, https_;
  bool cgi_ = false;
  bool no_proxy_all_ = false;
  std::vector<std::shared_ptr<const NoProxyRule>> no_proxy_;
  std::vector<std::pair<std::string, std::string>> connect_headers_;
};

}  // namespace promethium::scrape
