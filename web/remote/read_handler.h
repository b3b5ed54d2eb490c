// Remote read server: POST /api/v1/read (Prometheus's
// storage/remote/read_handler.go; always enabled, as in Prometheus).
//
// The body is a snappy-compressed prometheus.ReadRequest (read_request.h).
// Each query selects the series matching its matchers with samples in
// [start, end]; the returned series carry the global external labels they
// lack. The answer is, by the first supported type in
// accepted_response_types:
//  - SAMPLES (also when none is listed): one snappy-compressed ReadResponse
//    with one QueryResult per query (Content-Type application/x-protobuf,
//    Content-Encoding snappy). More than `sample_limit` samples in one query
//    fails the request with 400 "exceeded sample limit (N)".
//  - STREAMED_XOR_CHUNKS: frames of ChunkedReadResponse
//    (read_chunked_stream.h), produced while the response is sent; the
//    sample limit does not apply (as in Prometheus).
// Errors are plain text as Go's http.Error: 400 for a bad body or no
// supported response type, 500 for matchers that do not convert and for
// storage errors. An error after streamed frames were sent ends the body
// with its text (the status is already 200), as in Prometheus.
//
// Concurrency: at most `concurrency_limit` requests (0: no limit) are
// answered at once, a streamed one until its last frame is sent. Prometheus
// queues the others; here they are refused at once with 503, because a
// queued request would hold one of the query threads that the running
// streams need to produce their frames (a deadlock when all are queued).
// prometheus_remote_read_handler_queries counts the requests in progress.
//
// Without storage (null Queryable) every request gets 404 "not found".
//
// Ownership: borrows the Queryable and the MetricsRegistry (may be null);
// streamed answers keep a Querier open until they are sent or dropped, so
// the storage must outlive the web server's sessions.
// Thread-safety: Serve may be called from many threads at once.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "tsdb/api/labels.h"
#include "web/http_types.h"

namespace promethium {
class MetricsRegistry;
class Queryable;
}  // namespace promethium

namespace promethium::web {

// --storage.remote.read-* flags, with Prometheus's defaults.
struct RemoteReadOptions {
  int64_t sample_limit = 50'000'000;     // per query, SAMPLES only; 0: none
  int64_t concurrency_limit = 10;        // 0: none
  int64_t max_bytes_in_frame = 1 << 20;  // streamed frames' chunk budget
};

class RemoteReadHandler {
 public:
  // `external_labels` is called per request (reloads take effect); null
  // means none.
  RemoteReadHandler(Queryable* storage, std::function<Labels()> external_labels, RemoteReadOptions options,
                    MetricsRegistry* metrics);
  ~RemoteReadHandler();

  HttpResponse Serve(const HttpRequest& req) const;

 private:
  class Gate;

  Queryable* storage_;
  std::function<Labels()> external_labels_;
  RemoteReadOptions options_;
  std::shared_ptr<Gate> gate_;
};

}  // namespace promethium::web
