#include "remote/write/write_client.h"

#include <fmt/format.h>

#include <charconv>
#include <chrono>
#include <ctime>

#include "tsdb/base/logging.h"

namespace promethium::remote {
namespace {

constexpr uint64_t kMaxResponseBytes = 1 << 20;
constexpr size_t kMaxErrorBodyBytes = 1024;

// host, port and request target of an http(s) URL.
struct UrlParts {
  bool tls = false;
  std::string host, port, target;
};

Result<UrlParts> SplitUrl(const std::string& url) {
  UrlParts p;
  std::string_view rest = url;
  if (rest.starts_with("https://")) {
    p.tls = true;
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else {
    return Status::InvalidArgument(fmt::format("remote write URL {}: scheme must be http or https", url));
  }
  const size_t slash = rest.find_first_of("/?#");
  std::string authority(rest.substr(0, slash));
  p.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (const size_t frag = p.target.find('#'); frag != std::string::npos) p.target.resize(frag);
  if (p.target.empty() || p.target[0] != '/') p.target = "/" + p.target;
  if (authority.empty()) return Status::InvalidArgument(fmt::format("remote write URL {}: missing host", url));
  if (authority.find('@') != std::string::npos) {
    return Status::Unsupported(fmt::format("remote write URL {}: user info (use basic_auth)", url));
  }
  const bool bracketed_v6 = authority.front() == '[';
  const size_t colon = authority.rfind(':');
  const bool has_port = colon != std::string::npos && (!bracketed_v6 || authority.find(']') < colon);
  if (!has_port) authority += p.tls ? ":443" : ":80";
  PROMETHIUM_RETURN_IF_ERROR(scrape::SplitHostPort(authority, &p.host, &p.port));
  return p;
}

std::string_view HeaderValue(const scrape::HttpResponse& res, std::string_view name) {
  for (const auto& [k, v] : res.headers) {
    if (k.size() == name.size() && std::equal(k.begin(), k.end(), name.begin(),
                                              [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
      return v;
    }
  }
  return {};
}

int64_t NowUnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Result<std::shared_ptr<const WriteEndpoint>> WriteEndpoint::Make(const RemoteWriteConfig& config) {
  auto ep = std::make_shared<WriteEndpoint>();
  PROMETHIUM_ASSIGN_OR_RETURN(UrlParts parts, SplitUrl(config.url));
  scrape::HttpGetRequest& r = ep->base_;
  r.host = parts.host;
  r.port = parts.port;
  r.target = parts.target;
  r.url = config.url;
  r.timeout_ms = config.remote_timeout_ms;
  r.body_size_limit = kMaxResponseBytes;
  r.use_tls = parts.tls;
  if (parts.tls) {
    PROMETHIUM_ASSIGN_OR_RETURN(r.tls, scrape::NewTlsClientContext(config.http_client.tls_config));
  }
  PROMETHIUM_ASSIGN_OR_RETURN(r.proxy, scrape::ProxySelector::Make(config.http_client.proxy));
  r.post = true;
  r.return_error_status = true;
  r.keep_response_headers = true;
  for (auto& [name, value] : ProtocolHeaders(config.protocol)) {
    if (name == "Content-Type") {
      r.content_type = value;
    } else {
      r.extra_headers.emplace_back(std::move(name), std::move(value));
    }
  }
  for (const auto& [name, value] : config.headers) r.extra_headers.emplace_back(name, value);
  ep->http_client_ = config.http_client;
  ep->url_ = config.url;
  ep->retry_on_http_429_ = config.queue_config.retry_on_http_429;
  return std::shared_ptr<const WriteEndpoint>(std::move(ep));
}

Result<scrape::HttpGetRequest> WriteEndpoint::Request(std::string body, int attempt) const {
  scrape::HttpGetRequest r = base_;
  r.post_body = std::move(body);
  if (attempt > 0) r.extra_headers.emplace_back("Retry-Attempt", std::to_string(attempt));
  PROMETHIUM_ASSIGN_OR_RETURN(r.authorization, scrape::AuthorizationHeader(http_client_));
  return r;
}

int64_t ParseRetryAfter(std::string_view value, int64_t now_unix_ms) {
  if (value.empty()) return 0;
  int64_t seconds = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec == std::errc() && end == value.data() + value.size()) return seconds > 0 ? seconds * 1000 : 0;
  // IMF-fixdate, e.g. "Wed, 21 Oct 2015 07:28:00 GMT" (Go's http.TimeFormat).
  std::tm tm{};
  const std::string copy(value);
  const char* parsed = strptime(copy.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (parsed == nullptr || *parsed != '\0') return 0;
  const int64_t at_ms = static_cast<int64_t>(timegm(&tm)) * 1000;
  return at_ms > now_unix_ms ? at_ms - now_unix_ms : 0;
}

boost::asio::awaitable<StoreOutcome> StoreBatch(scrape::HttpClient* client, const WriteEndpoint& endpoint,
                                                std::string body, int attempt) {
  StoreOutcome out;
  Result<scrape::HttpGetRequest> req = endpoint.Request(std::move(body), attempt);
  if (!req.ok()) {
    out.status = req.status();
    co_return out;
  }
  Result<scrape::HttpResponse> res = co_await client->Get(*req);
  if (!res.ok()) {
    // Transport failures (refused, reset, timeout) are worth retrying; a
    // cancel means the queue is stopping, which the caller knows.
    out.status = res.status();
    out.recoverable = true;
    co_return out;
  }
  out.stats = ParseWriteResponseStats(res->headers);
  if (res->status / 100 == 2) co_return out;
  std::string_view text = res->body;
  if (text.size() > kMaxErrorBodyBytes) text = text.substr(0, kMaxErrorBodyBytes);
  out.status = Status::IOError(fmt::format("server returned HTTP status {} {}: {}", res->status, res->reason, text));
  if (res->status / 100 == 5 || (res->status == 429 && endpoint.retry_on_http_429())) {
    out.recoverable = true;
    out.retry_after_ms = ParseRetryAfter(HeaderValue(*res, "Retry-After"), NowUnixMs());
  }
  co_return out;
}

}  // namespace promethium::remote
