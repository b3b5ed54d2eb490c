#include "scrape/discovery/http_sd.h"

#include <fmt/format.h>
#include <re2/re2.h>

#include <algorithm>

#include "scrape/discovery/target_group_parse.h"
#include "scrape/http_client.h"
#include "tsdb/base/logging.h"

namespace promethium::scrape {
namespace {

constexpr std::string_view kUrlLabel = "__meta_url";
constexpr int64_t kMaxFetchMs = 10'000;
constexpr uint64_t kMaxBodyBytes = 64ULL << 20;

// Splits "http(s)://host[:port][/path][?query]" into a GET request.
Result<HttpGetRequest> RequestFor(const std::string& url, int64_t timeout_ms, const HttpClientConfig& client) {
  const bool tls = url.starts_with("https://");
  if (!tls && !url.starts_with("http://")) {
    return Status::Unsupported(fmt::format("http_sd URL {} (only http:// and https://)", url));
  }
  std::string rest = url.substr(tls ? 8 : 7);
  size_t path_start = rest.find_first_of("/?#");
  std::string authority = rest.substr(0, path_start);
  std::string target = path_start == std::string::npos ? "/" : rest.substr(path_start);
  if (size_t hash = target.find('#'); hash != std::string::npos) target.resize(hash);
  if (!target.starts_with('/')) target = "/" + target;
  if (authority.empty()) return Status::InvalidArgument("host is missing in URL");
  if (authority.find('@') != std::string::npos) return Status::Unsupported("user info in http_sd URL");
  size_t colon = authority.rfind(':');
  if (tls && (colon == std::string::npos || (authority[0] == '[' && authority.find(']') > colon))) authority += ":443";
  HttpGetRequest req;
  PROMETHIUM_RETURN_IF_ERROR(SplitHostPort(authority, &req.host, &req.port));
  req.target = target;
  req.url = url;
  req.timeout_ms = timeout_ms;
  req.body_size_limit = kMaxBodyBytes;
  req.use_tls = tls;
  req.follow_redirects = client.follow_redirects;
  if (tls) {
    PROMETHIUM_ASSIGN_OR_RETURN(req.tls, NewTlsClientContext(client.tls_config));
  }
  PROMETHIUM_ASSIGN_OR_RETURN(req.authorization, AuthorizationHeader(client));
  PROMETHIUM_ASSIGN_OR_RETURN(req.proxy, ProxySelector::Make(client.proxy));
  return req;
}

}  // namespace

Result<std::vector<TargetGroup>> FetchHttpTargetGroups(const std::string& url, int64_t timeout_ms) {
  return FetchHttpTargetGroups(url, timeout_ms, HttpClientConfig{});
}

Result<std::vector<TargetGroup>> FetchHttpTargetGroups(const std::string& url, int64_t timeout_ms,
                                                       const HttpClientConfig& client) {
  PROMETHIUM_ASSIGN_OR_RETURN(HttpGetRequest req, RequestFor(url, timeout_ms, client));
  Result<HttpResponse> response = FetchBlocking(req);
  if (!response.ok()) return response.status();
  const HttpResponse& resp = *response;
  if (resp.status != 200) return Status::InvalidArgument(fmt::format("server returned HTTP status {}", resp.status));
  static const RE2 kJsonType("^application/json(;.*)?$");
  if (!RE2::FullMatch(resp.content_type, kJsonType)) {
    return Status::InvalidArgument(fmt::format("unsupported content type \"{}\"", resp.content_type));
  }
  PROMETHIUM_ASSIGN_OR_RETURN(std::vector<TargetGroup> groups, ParseTargetGroupsJson(resp.body, url));
  for (TargetGroup& g : groups) {
    LabelsBuilder b(g.labels);
    b.Set(kUrlLabel, url);
    g.labels = b.Build();
  }
  return groups;
}

HttpDiscoverer::HttpDiscoverer(HttpSDConfig config, Counter* failures)
    : config_(std::move(config)), failures_(failures) {}

std::optional<std::vector<TargetGroup>> HttpDiscoverer::Poll(int64_t now_ms) {
  if (refreshed_once_ && now_ms - last_refresh_ms_ < config_.refresh_interval_ms) return std::nullopt;
  refreshed_once_ = true;
  last_refresh_ms_ = now_ms;
  Result<std::vector<TargetGroup>> groups =
      FetchHttpTargetGroups(config_.url, std::min(config_.refresh_interval_ms, kMaxFetchMs), config_.http_client);
  if (!groups.ok()) {
    LogError("discovery", "Unable to refresh target groups from {}: {}", config_.url, groups.status().message());
    if (failures_) failures_->Inc();
  } else {
    groups_ = std::move(*groups);
  }
  return groups_;
}

}  // namespace promethium::scrape
