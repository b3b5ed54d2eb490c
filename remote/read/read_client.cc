// ReadClient: one remote read endpoint (see read_client.h).
#include "remote/read/read_client.h"

#include <fmt/format.h>

#include <chrono>

#include "scrape/http_client.h"

namespace promethium::remote {
namespace {

constexpr size_t kMaxErrorBodyBytes = 1024;  // Prometheus's maxErrMsgLen

std::string TrimNewlines(std::string_view s) {
  while (!s.empty() && s.front() == '\n') s.remove_prefix(1);
  while (!s.empty() && s.back() == '\n') s.remove_suffix(1);
  return std::string(s);
}

}  // namespace

// The parsed URL and the per-config HTTP state shared by every Read.
struct ReadClient::Endpoint {
  scrape::HttpGetRequest base;  // everything but the body and authorization
};

namespace {

// Splits "http(s)://host[:port][/path][?query]" into `req`.
Status ApplyUrl(const std::string& url, scrape::HttpGetRequest* req) {
  const bool tls = url.starts_with("https://");
  if (!tls && !url.starts_with("http://")) {
    return Status::InvalidArgument(fmt::format("remote_read url {} must be http:// or https://", url));
  }
  std::string rest = url.substr(tls ? 8 : 7);
  const size_t path_start = rest.find_first_of("/?#");
  std::string authority = rest.substr(0, path_start);
  std::string target = path_start == std::string::npos ? "/" : rest.substr(path_start);
  if (size_t hash = target.find('#'); hash != std::string::npos) target.resize(hash);
  if (!target.starts_with('/')) target = "/" + target;
  if (authority.empty()) return Status::InvalidArgument(fmt::format("remote_read url {} has no host", url));
  if (authority.find('@') != std::string::npos) return Status::Unsupported("user info in a remote_read url");
  const size_t colon = authority.rfind(':');
  if (colon == std::string::npos || (authority[0] == '[' && authority.find(']') > colon)) {
    authority += tls ? ":443" : ":80";
  }
  PROMETHIUM_RETURN_IF_ERROR(scrape::SplitHostPort(authority, &req->host, &req->port));
  req->target = target;
  req->url = url;
  req->use_tls = tls;
  return Status::OK();
}

}  // namespace

Result<std::unique_ptr<ReadClient>> ReadClient::Make(const RemoteReadConfig& config, ReadClientOptions options) {
  auto endpoint = std::make_unique<Endpoint>();
  scrape::HttpGetRequest& req = endpoint->base;
  PROMETHIUM_RETURN_IF_ERROR(ApplyUrl(config.url, &req));
  if (req.use_tls) {
    PROMETHIUM_ASSIGN_OR_RETURN(req.tls, scrape::NewTlsClientContext(config.http_client.tls_config));
  }
  PROMETHIUM_ASSIGN_OR_RETURN(req.proxy, scrape::ProxySelector::Make(config.http_client.proxy));
  req.timeout_ms = config.remote_timeout_ms;
  req.body_size_limit = options.max_response_bytes;
  req.follow_redirects = false;  // POSTs are not redirected
  req.post = true;
  req.content_type = "application/x-protobuf";
  req.return_error_status = true;
  req.extra_headers = {
      {"Content-Encoding", "snappy"}, {"Accept-Encoding", "snappy"}, {"X-Prometheus-Remote-Read-Version", "0.1.0"}};
  for (const auto& header : config.headers) req.extra_headers.push_back(header);
  return std::unique_ptr<ReadClient>(new ReadClient(config, std::move(options), std::move(endpoint)));
}

ReadClient::ReadClient(RemoteReadConfig config, ReadClientOptions options, std::unique_ptr<Endpoint> endpoint)
    : config_(std::move(config)), options_(std::move(options)), endpoint_(std::move(endpoint)) {}

ReadClient::~ReadClient() = default;

void ReadClient::Record(std::string_view response_type, unsigned code, double seconds) const {
  if (options_.metrics == nullptr) return;
  MetricLabels labels = {{"remote_name", options_.remote_name}, {"url", config_.url}};
  labels.emplace_back("response_type", std::string(response_type));
  options_.metrics
      ->GetHistogram("prometheus_remote_read_client_request_duration_seconds",
                     "Histogram of the latency for remote read requests.",
                     {.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 25, 60}, labels)
      ->Observe(seconds);
  labels.emplace_back("code", std::to_string(code));
  options_.metrics
      ->GetCounter("prometheus_remote_read_client_queries_total", "The total number of remote read queries.", labels)
      ->Inc();
}

Result<SeriesList> ReadClient::Read(const ReadQuery& query) {
  Gauge* in_flight = nullptr;
  if (options_.metrics != nullptr) {
    in_flight = options_.metrics->GetGauge("prometheus_remote_read_client_queries",
                                           "The number of in-flight remote read queries.",
                                           {{"remote_name", options_.remote_name}, {"url", config_.url}});
    in_flight->Add(1);
  }
  struct InFlight {
    Gauge* g;
    ~InFlight() {
      if (g != nullptr) g->Add(-1);
    }
  } in_flight_guard{in_flight};
  const auto start = std::chrono::steady_clock::now();
  const auto seconds = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  scrape::HttpGetRequest req = endpoint_->base;
  // Series-only selects (/api/v1/series, label queries) ask for SAMPLES: a
  // Prometheus server then sends labels without samples, while a chunked
  // answer would carry every chunk.
  static const std::vector<ResponseType> kSamplesOnly = {ResponseType::kSamples};
  const bool series_only = query.has_hints && query.hints.func == "series";
  req.post_body = EncodeReadRequest(query, series_only ? kSamplesOnly : options_.accepted_response_types);
  // Secret files are read per request, as Prometheus does.
  PROMETHIUM_ASSIGN_OR_RETURN(req.authorization, scrape::AuthorizationHeader(config_.http_client));
  Result<scrape::HttpResponse> resp = scrape::FetchBlocking(req);
  if (!resp.ok()) return resp.status().WithContext("error sending request");
  if (resp->status < 200 || resp->status > 299) {
    std::string_view body = resp->body;
    if (body.size() > kMaxErrorBodyBytes) body = body.substr(0, kMaxErrorBodyBytes);
    return Status::IOError(fmt::format("remote server {} returned http status {} {}: {}", config_.url, resp->status,
                                       resp->reason, TrimNewlines(body)));
  }
  DecodeLimits limits;
  limits.frame_limit = config_.chunked_read_limit;
  limits.max_samples = options_.max_samples;
  const std::string& type = resp->content_type;
  if (type.starts_with(kSampledContentType)) {
    Record("sampled", resp->status, seconds());
    return DecodeSampledResponse(resp->body, query.start_ms, query.end_ms, limits);
  }
  if (type.starts_with(kChunkedContentType)) {
    Record("chunked", resp->status, seconds());
    return DecodeChunkedResponse(resp->body, query.start_ms, query.end_ms, limits);
  }
  Record("unsupported", resp->status, seconds());
  return Status::InvalidArgument(fmt::format("unsupported content type: {}", type));
}

}  // namespace promethium::remote
