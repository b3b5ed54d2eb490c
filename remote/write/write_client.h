// WriteEndpoint and StoreBatch: one remote write POST (Prometheus's
// remote.Client.Store) over the scrape module's HTTP client.
//
// The endpoint is built once per queue from its config: the parsed URL, TLS
// context, proxy selector and the headers every request carries (the
// protocol's Content-Encoding / Content-Type / version header, then the
// configured `headers`). StoreBatch POSTs one compressed body within
// remote_timeout and classifies the answer as Prometheus does:
//   2xx                 -> ok (with the 2.0 written-count headers)
//   5xx                 -> recoverable, Retry-After honoured if given
//   429                 -> recoverable only with retry_on_http_429
//   other statuses      -> not recoverable: the batch is dropped
//   connection/timeouts -> recoverable
// Error text: "server returned HTTP status 500 Internal Server Error: <body>"
// (the body cut at 1 KiB).
//
// Ownership: the endpoint is immutable and shared by the shards; each shard
// owns its HttpClient. Thread-safety: StoreBatch runs on the client's
// executor, one call per client at a time.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "remote/write/codec.h"
#include "remote/write/remote_write_config.h"
#include "scrape/http_client.h"
#include "tsdb/base/result.h"

namespace promethium::remote {

class WriteEndpoint {
 public:
  static Result<std::shared_ptr<const WriteEndpoint>> Make(const RemoteWriteConfig& config);

  // The POST of `body` (attempt > 0 adds Retry-Attempt), or why not (e.g. an
  // unreadable credentials file).
  Result<scrape::HttpGetRequest> Request(std::string body, int attempt) const;
  const std::string& url() const { return url_; }
  bool retry_on_http_429() const { return retry_on_http_429_; }

 private:
  scrape::HttpGetRequest base_;  // everything but the body and auth
  scrape::HttpClientConfig http_client_;
  std::string url_;
  bool retry_on_http_429_ = false;
};

struct StoreOutcome {
  Status status;               // OK for a 2xx answer
  bool recoverable = false;    // retry the same batch
  int64_t retry_after_ms = 0;  // > 0: the receiver's Retry-After; 0: use the backoff
  WriteResponseStats stats;
};

boost::asio::awaitable<StoreOutcome> StoreBatch(scrape::HttpClient* client, const WriteEndpoint& endpoint,
                                                std::string body, int attempt);

// Retry-After as a delay in ms from `now_unix_ms`: delay-seconds or an
// HTTP-date; 0 when absent, unparsable or in the past.
int64_t ParseRetryAfter(std::string_view value, int64_t now_unix_ms);

}  // namespace promethium::remote
