// The `remote_read:` section of prometheus.yml (see config_remote_read.h).
#include "server/config_remote_read.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "server/config_http_client.h"
#include "server/config_paths.h"

namespace promethium::server::config_internal {
namespace {

// go-yaml names the type RemoteReadConfig decodes through (a local `plain`).
constexpr std::string_view kRemoteReadType = "config.plain";

// HTTP client options and remote-storage auth Prometheus has and we do not.
const std::set<std::string_view> kUnsupportedRemoteRead = {"oauth2", "http_headers", "sigv4", "azuread", "google_iam"};

// Prometheus's reservedHeaders (lower case); "authorization" has its own
// message.
const std::set<std::string_view> kReservedHeaders = {
    "host",
    "content-encoding",
    "content-length",
    "content-type",
    "user-agent",
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "www-authenticate",
    "accept-encoding",
    "x-prometheus-remote-write-version",
    "x-prometheus-remote-read-version",
    "x-amz-date",
    "x-amz-security-token",
    "x-amz-content-sha256",
};

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// model.LabelSet: valid label names to string values.
Status DecodeLabelSet(YamlDecoder& dec, const YAML::Node& v, Labels* out) {
  if (v.IsNull()) return Status::OK();
  if (!v.IsMap()) return dec.TypeError(v, "model.LabelSet");
  std::vector<Label> labels;
  for (auto it = v.begin(); it != v.end(); ++it) {
    std::string name, value;
    PROMETHIUM_RETURN_IF_ERROR(dec.DecodeString(it->first, &name));
    PROMETHIUM_RETURN_IF_ERROR(dec.DecodeString(it->second, &value));
    if (!IsValidLabelName(name)) {
      return Status::InvalidArgument(fmt::format("{} is not a valid label name", QuoteLabelValue(name)));
    }
    labels.push_back({std::move(name), std::move(value)});
  }
  *out = Labels::FromVector(std::move(labels));
  return Status::OK();
}

Status DecodeRemoteRead(YamlDecoder& dec, const YAML::Node& node, remote::RemoteReadConfig* rr) {
  HttpClientDraft client;
  int url_line = 0;
  const size_t errors_before = dec.errors().size();
  PROMETHIUM_RETURN_IF_ERROR(dec.ForEachField(node, kRemoteReadType, kUnsupportedRemoteRead,
                                              [&](const std::string& key, const YAML::Node& v) -> Status {
                                                Status s = DecodeHttpClientField(dec, key, v, &client);
                                                if (s.code() != Status::Code::kNotFound) return s;
                                                if (key == "url") {
                                                  url_line = LineOf(v);
                                                  return dec.DecodeString(v, &rr->url);
                                                }
                                                if (key == "name") return dec.DecodeString(v, &rr->name);
                                                if (key == "remote_timeout")
                                                  return dec.DecodeDuration(v, &rr->remote_timeout_ms);
                                                if (key == "chunked_read_limit")
                                                  return dec.DecodeUint(v, &rr->chunked_read_limit);
                                                if (key == "headers")
                                                  return DecodeRemoteHeaders(dec, v, "remote_read", &rr->headers);
                                                if (key == "read_recent") return dec.DecodeBool(v, &rr->read_recent);
                                                if (key == "filter_external_labels")
                                                  return dec.DecodeBool(v, &rr->filter_external_labels);
                                                if (key == "required_matchers")
                                                  return DecodeLabelSet(dec, v, &rr->required_matchers);
                                                return YamlDecoder::Unknown();
                                              }));
  // go-yaml's unmarshal errors come before UnmarshalYAML's own checks.
  if (dec.errors().size() != errors_before) return Status::OK();
  if (url_line == 0) return Status::InvalidArgument("url for remote_read is empty");
  PROMETHIUM_RETURN_IF_ERROR(CheckRemoteUrl(rr->url, url_line, "remote_read"));
  return FinishHttpClient(&client, &rr->http_client);
}

}  // namespace

// The url.Parse failures Prometheus reports while decoding, plus what the
// client cannot use (another scheme, no host), each naming the line.
Status CheckRemoteUrl(const std::string& url, int line, std::string_view section) {
  const std::string at = fmt::format(" (line {})", line);
  for (unsigned char c : url) {
    if (c < 0x20 || c == 0x7f)
      return Status::InvalidArgument(
          fmt::format("parse {}: net/url: invalid control character in URL{}", QuoteLabelValue(url), at));
  }
  const size_t sep = url.find("://");
  const std::string scheme = sep == std::string::npos ? "" : Lower(url.substr(0, sep));
  if (scheme != "http" && scheme != "https") {
    return Status::Unsupported(
        fmt::format("{} url {} (only http:// and https://){}", section, QuoteLabelValue(url), at));
  }
  const std::string rest = url.substr(sep + 3);
  std::string authority = rest.substr(0, rest.find_first_of("/?#"));
  if (size_t user = authority.rfind('@'); user != std::string::npos) authority.erase(0, user + 1);
  std::string host = authority;
  const size_t bracket = authority.rfind(']');
  const size_t colon = authority.rfind(':');
  if (colon != std::string::npos && (bracket == std::string::npos || colon > bracket)) {
    const std::string port = authority.substr(colon + 1);
    if (!std::all_of(port.begin(), port.end(), [](unsigned char c) { return std::isdigit(c); })) {
      return Status::InvalidArgument(
          fmt::format("parse {}: invalid port {} after host{}", QuoteLabelValue(url), QuoteLabelValue(":" + port), at));
    }
    host = authority.substr(0, colon);
  }
  for (char c : host) {
    if (c == ' ' || std::string_view("<>\"{}|\\^`").find(c) != std::string_view::npos) {
      return Status::InvalidArgument(fmt::format("parse {}: invalid character {} in host name{}", QuoteLabelValue(url),
                                                 QuoteLabelValue(std::string(1, c)), at));
    }
  }
  if (host.empty())
    return Status::InvalidArgument(fmt::format("{} url {} has no host{}", section, QuoteLabelValue(url), at));
  return Status::OK();
}

// headers: map[string]string, checked as validateHeaders does.
Status DecodeRemoteHeaders(YamlDecoder& dec, const YAML::Node& v, std::string_view section,
                           std::vector<std::pair<std::string, std::string>>* out) {
  if (v.IsNull()) return Status::OK();
  if (!v.IsMap()) return dec.TypeError(v, "map[string]string");
  for (auto it = v.begin(); it != v.end(); ++it) {
    std::string name, value;
    PROMETHIUM_RETURN_IF_ERROR(dec.DecodeString(it->first, &name));
    PROMETHIUM_RETURN_IF_ERROR(dec.DecodeString(it->second, &value));
    const std::string lower = Lower(name);
    if (lower == "authorization") {
      return Status::InvalidArgument(
          "authorization header must be changed via the basic_auth, authorization, oauth2, sigv4, azuread or "
          "google_iam parameter");
    }
    if (kReservedHeaders.contains(lower)) {
      return Status::InvalidArgument(fmt::format("{} is a reserved header. It must not be changed", name));
    }
    // Not checked by Prometheus (Go's HTTP client refuses them when sending);
    // here they would inject lines into the request.
    const auto bad = [](unsigned char c) { return c == '\r' || c == '\n' || c == '\0'; };
    if (name.empty() || std::any_of(name.begin(), name.end(), bad) || std::any_of(value.begin(), value.end(), bad)) {
      return Status::InvalidArgument(
          fmt::format("invalid {} header {} (line {})", section, QuoteLabelValue(name), LineOf(it->first)));
    }
    out->emplace_back(std::move(name), std::move(value));
  }
  return Status::OK();
}

Status DecodeRemoteReadList(YamlDecoder& dec, const YAML::Node& v, std::vector<remote::RemoteReadConfig>* out) {
  out->clear();
  if (v.IsNull()) return Status::OK();
  if (!v.IsSequence()) return dec.TypeError(v, "[]*config.RemoteReadConfig");
  std::set<std::string> names;
  for (const YAML::Node& item : v) {
    if (item.IsNull()) return Status::InvalidArgument("empty or null remote read config section");
    remote::RemoteReadConfig rr;
    PROMETHIUM_RETURN_IF_ERROR(DecodeRemoteRead(dec, item, &rr));
    // Unnamed entries are told apart by their position at run time.
    if (!rr.name.empty() && !names.insert(rr.name).second) {
      return Status::InvalidArgument(
          fmt::format("found multiple remote read configs with job name {}", QuoteLabelValue(rr.name)));
    }
    out->push_back(std::move(rr));
  }
  return Status::OK();
}

void ResolveRemoteReadPaths(const std::string& dir, std::vector<remote::RemoteReadConfig>* cfgs) {
  for (remote::RemoteReadConfig& rr : *cfgs) ResolveHttpClientPaths(dir, &rr.http_client);
}

}  // namespace promethium::server::config_internal
