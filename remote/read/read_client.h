// ReadClient: asks one remote read endpoint for the series of one query
// (Prometheus's storage/remote client.go Read).
//
// Each Read POSTs a snappy-compressed ReadRequest with Prometheus's headers
// (Content-Encoding: snappy, Accept-Encoding: snappy, Content-Type:
// application/x-protobuf, User-Agent, X-Prometheus-Remote-Read-Version:
// 0.1.0, then the configured `headers`) through scrape's HttpClient (TLS,
// basic auth / authorization, proxies), bounded by remote_timeout and
// max_response_bytes, and decodes the answer by its Content-Type: a
// streamed XOR-chunk body or a SAMPLES body (codec.h). A non-2xx answer
// fails with "remote server <url> returned http status <code> <reason>:
// <body>" (body cut at 1 KiB), an unknown content type with "unsupported
// content type: <type>", a transport failure with "error sending request:
// ...".
//
// Self-metrics, as Prometheus's client (labels remote_name, url):
// prometheus_remote_read_client_queries_total{response_type="sampled" |
// "chunked" | "unsupported", code}, the in-flight gauge
// prometheus_remote_read_client_queries and
// prometheus_remote_read_client_request_duration_seconds{response_type}.
//
// RemoteReader is the seam the querier uses, so it can be tested with a
// fake.
//
// Ownership: the client owns its config and TLS/proxy state. Thread-safety:
// Read may be called from several threads at once; each call runs its own
// io_context and connection on the calling thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "remote/read/codec.h"
#include "remote/read/read_config.h"
#include "tsdb/base/metrics.h"
#include "tsdb/base/result.h"

namespace promethium::remote {

class RemoteReader {
 public:
  virtual ~RemoteReader() = default;
  // Series matching the query, sorted by labels, samples in its range.
  virtual Result<SeriesList> Read(const ReadQuery& query) = 0;
};

struct ReadClientOptions {
  // In order of preference (Prometheus 3.x: chunks first, then samples).
  // A query with the "series" hint (labels only) accepts SAMPLES only.
  std::vector<ResponseType> accepted_response_types = {ResponseType::kStreamedXorChunks, ResponseType::kSamples};
  uint64_t max_response_bytes = 256ULL << 20;  // the HTTP body as received
  uint64_t max_samples = 50'000'000;           // decoded, per Read
  MetricsRegistry* metrics = nullptr;          // borrowed; null: no self-metrics
  std::string remote_name;                     // the remote_name label
};

class ReadClient final : public RemoteReader {
 public:
  // Fails on a URL that is not http(s)://host[:port]/path or unusable TLS
  // or proxy settings.
  static Result<std::unique_ptr<ReadClient>> Make(const RemoteReadConfig& config, ReadClientOptions options = {});
  ~ReadClient() override;

  Result<SeriesList> Read(const ReadQuery& query) override;

 private:
  // Counts one finished query (when metrics are on).
  void Record(std::string_view response_type, unsigned code, double seconds) const;

  struct Endpoint;
  ReadClient(RemoteReadConfig config, ReadClientOptions options, std::unique_ptr<Endpoint> endpoint);

  const RemoteReadConfig config_;
  const ReadClientOptions options_;
  std::unique_ptr<Endpoint> endpoint_;
};

}  // namespace promethium::remote
