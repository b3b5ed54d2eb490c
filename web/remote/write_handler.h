// Remote write 1.0 receiver: POST /api/v1/write (Prometheus's
// storage/remote/write_handler.go behind --web.enable-remote-write-receiver).
//
// The body is a snappy-compressed protobuf prometheus.WriteRequest. The
// whole request is decoded and validated before anything is appended, so a
// malformed request changes nothing: bad snappy or protobuf, a series
// without __name__, invalid UTF-8, unsorted or duplicate label names and
// native histograms (not stored yet: "unsupported: ...") answer 400. Then
// every sample goes through one Appender; an append error rolls the whole
// batch back. Out-of-order, duplicate and out-of-bounds samples (including
// timestamps more than 10 minutes in the future) answer 400, as Prometheus
// does so that senders do not retry them; other storage errors 500.
// Success is 204 No Content. Exemplars and metadata are accepted and
// ignored (Prometheus's default, exemplar storage disabled).
//
// Ownership: borrows the Appendable for the call.
// Thread-safety: reentrant; the Appendable must be thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>

#include "web/http_types.h"

namespace promethium {
class Appendable;
}

namespace promethium::web {

// The largest decompressed WriteRequest accepted (the compressed body is
// already bounded by the HTTP server).
inline constexpr size_t kMaxRemoteWriteDecodedBytes = 256 << 20;

// `appendable` null means the receiver is disabled (404, as Prometheus).
// `now_ms` bounds how far in the future samples may be.
HttpResponse ServeRemoteWrite(Appendable* appendable, const HttpRequest& req, int64_t now_ms);

}  // namespace promethium::web
