// The HTTP client options of scrape and http_sd configs
// (common/config.HTTPClientConfig, inlined): decoding and validation.
#include "server/config_http_client.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace promethium::server::config_internal {
namespace {

const std::set<std::string_view> kUnsupportedTls = {"ca",       "cert",    "key",        "ca_ref",
                                                    "cert_ref", "key_ref", "max_version"};
const std::set<std::string_view> kUnsupportedBasicAuth = {"username_file", "username_ref", "password_ref"};
const std::set<std::string_view> kUnsupportedAuthorization = {"credentials_ref"};

// proxy_url: parsed now so that a bad URL names its line, as go-yaml
// reports url.Parse errors while decoding.
Status DecodeProxyUrl(YamlDecoder& dec, const YAML::Node& v, std::string* out) {
  PROMETHIUM_RETURN_IF_ERROR(dec.DecodeString(v, out));
  if (out->empty()) return Status::OK();
  Result<scrape::ProxyEndpoint> ep = scrape::ParseProxyUrl(*out);
  if (ep.ok()) return Status::OK();
  const std::string line = fmt::format(" (line {})", LineOf(v));
  if (ep.status().code() == Status::Code::kUnsupported) {
    constexpr std::string_view kPrefix = "unsupported: ";
    return Status::Unsupported(ep.status().message().substr(kPrefix.size()) + line);
  }
  return Status::InvalidArgument(ep.status().message() + line);
}

// config.Header: header name -> list of secret values.
Status DecodeProxyHeader(YamlDecoder& dec, const YAML::Node& v, std::map<std::string, std::vector<std::string>>* out) {
  if (v.IsNull()) return Status::OK();
  if (!v.IsMap()) return dec.TypeError(v, "config.Header");
  for (auto it = v.begin(); it != v.end(); ++it) {
    std::string name;
    PROMETHIUM_RETURN_IF_ERROR(dec.DecodeString(it->first, &name));
    const YAML::Node values = it->second;
    if (!values.IsNull() && !values.IsSequence()) {
      PROMETHIUM_RETURN_IF_ERROR(dec.TypeError(values, "[]config.Secret"));
      continue;
    }
    PROMETHIUM_RETURN_IF_ERROR(dec.DecodeStringList(values, &(*out)[name]));
  }
  return Status::OK();
}

// The common/config.ProxyConfig keys; NotFound for any other key.
Status DecodeProxyField(YamlDecoder& dec, const std::string& key, const YAML::Node& v, scrape::ProxyConfig* p) {
  if (key == "proxy_url") return DecodeProxyUrl(dec, v, &p->proxy_url);
  if (key == "no_proxy") return dec.DecodeString(v, &p->no_proxy);
  if (key == "proxy_from_environment") return dec.DecodeBool(v, &p->proxy_from_environment);
  if (key == "proxy_connect_header") return DecodeProxyHeader(dec, v, &p->proxy_connect_header);
  return Status::NotFound("");
}

}  // namespace

const std::set<std::string_view> kUnsupportedHttpClientKeys = {"oauth2", "http_headers"};

// The common/config.HTTPClientConfig keys Promethium implements; NotFound
// for any other key.
Status DecodeHttpClientField(YamlDecoder& dec, const std::string& key, const YAML::Node& v, HttpClientDraft* d) {
  scrape::HttpClientConfig& c = d->config;
  Status proxy = DecodeProxyField(dec, key, v, &c.proxy);
  if (proxy.code() != Status::Code::kNotFound) return proxy;
  if (key == "follow_redirects") return dec.DecodeBool(v, &c.follow_redirects);
  if (key == "enable_http2") return dec.DecodeBool(v, &c.enable_http2);
  if (key == "bearer_token") return dec.DecodeString(v, &d->bearer_token);
  if (key == "bearer_token_file") return dec.DecodeString(v, &d->bearer_token_file);
  if (key == "tls_config") {
    return dec.ForEachField(v, "config.TLSConfig", kUnsupportedTls, [&](const std::string& k, const YAML::Node& x) {
      scrape::TLSConfig& t = c.tls_config;
      if (k == "ca_file") return dec.DecodeString(x, &t.ca_file);
      if (k == "cert_file") return dec.DecodeString(x, &t.cert_file);
      if (k == "key_file") return dec.DecodeString(x, &t.key_file);
      if (k == "server_name") return dec.DecodeString(x, &t.server_name);
      if (k == "insecure_skip_verify") return dec.DecodeBool(x, &t.insecure_skip_verify);
      if (k != "min_version") return YamlDecoder::Unknown();
      PROMETHIUM_RETURN_IF_ERROR(dec.DecodeString(x, &t.min_version));
      if (t.min_version.empty() || t.min_version == "TLS10" || t.min_version == "TLS11" || t.min_version == "TLS12" ||
          t.min_version == "TLS13") {
        return Status::OK();
      }
      return Status::InvalidArgument(fmt::format("unknown TLS version: {}", t.min_version));
    });
  }
  if (key == "basic_auth") {
    if (v.IsNull()) return Status::OK();
    c.basic_auth.emplace();
    return dec.ForEachField(v, "config.BasicAuth", kUnsupportedBasicAuth,
                            [&](const std::string& k, const YAML::Node& x) {
                              if (k == "username") return dec.DecodeString(x, &c.basic_auth->username);
                              if (k == "password") return dec.DecodeString(x, &c.basic_auth->password);
                              if (k == "password_file") return dec.DecodeString(x, &c.basic_auth->password_file);
                              return YamlDecoder::Unknown();
                            });
  }
  if (key == "authorization") {
    if (v.IsNull()) return Status::OK();
    c.authorization.emplace();
    c.authorization->type.clear();
    return dec.ForEachField(v, "config.Authorization", kUnsupportedAuthorization,
                            [&](const std::string& k, const YAML::Node& x) {
                              if (k == "type") return dec.DecodeString(x, &c.authorization->type);
                              if (k == "credentials") return dec.DecodeString(x, &c.authorization->credentials);
                              if (k == "credentials_file")
                                return dec.DecodeString(x, &c.authorization->credentials_file);
                              return YamlDecoder::Unknown();
                            });
  }
  return Status::NotFound("");
}

// HTTPClientConfig.Validate: exclusive options, and the legacy bearer
// token keys become an Authorization of type Bearer.
Status FinishHttpClient(HttpClientDraft* d, scrape::HttpClientConfig* out) {
  scrape::HttpClientConfig& c = d->config;
  const bool bearer = !d->bearer_token.empty() || !d->bearer_token_file.empty();
  if (!d->bearer_token.empty() && !d->bearer_token_file.empty()) {
    return Status::InvalidArgument("at most one of bearer_token & bearer_token_file must be configured");
  }
  if (c.basic_auth && bearer) {
    return Status::InvalidArgument(
        "at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured");
  }
  if (c.basic_auth && !c.basic_auth->password.empty() && !c.basic_auth->password_file.empty()) {
    return Status::InvalidArgument(
        "at most one of basic_auth password, password_file & password_ref must be configured");
  }
  if (c.authorization) {
    scrape::Authorization& a = *c.authorization;
    if (bearer) return Status::InvalidArgument("authorization is not compatible with bearer_token & bearer_token_file");
    if (!a.credentials.empty() && !a.credentials_file.empty()) {
      return Status::InvalidArgument("at most one of authorization credentials & credentials_file must be configured");
    }
    while (!a.type.empty() && std::isspace(static_cast<unsigned char>(a.type.back()))) a.type.pop_back();
    while (!a.type.empty() && std::isspace(static_cast<unsigned char>(a.type.front()))) a.type.erase(0, 1);
    if (a.type.empty()) a.type = "Bearer";
    std::string lower = a.type;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char ch) { return std::tolower(ch); });
    if (lower == "basic") {
      return Status::InvalidArgument("authorization type cannot be set to \"basic\", use \"basic_auth\" instead");
    }
    if (c.basic_auth) {
      return Status::InvalidArgument("at most one of basic_auth, oauth2 & authorization must be configured");
    }
  } else if (bearer) {
    c.authorization = scrape::Authorization{"Bearer", d->bearer_token, d->bearer_token_file};
  }
  PROMETHIUM_RETURN_IF_ERROR(scrape::ValidateProxyConfig(c.proxy));
  *out = std::move(c);
  return Status::OK();
}

}  // namespace promethium::server::config_internal
