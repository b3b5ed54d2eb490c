// Remote write receiver: POST /api/v1/write (Prometheus's
// storage/remote/write_handler.go behind --web.enable-remote-write-receiver),
// protocol 1.0 (prometheus.WriteRequest) and 2.0
// (io.prometheus.write.v2.Request, chosen by the Content-Type's proto=).
//
// 1.0: the whole request is decoded and validated before anything is
// appended, so a malformed request changes nothing: bad snappy or protobuf,
// a series without __name__, invalid UTF-8, unsorted or duplicate label
// names, a label name or value longer than RemoteWriteLimits, an invalid
// native histogram (Histogram::Validate's text) and timestamps more than 10
// minutes in the future answer 400. Then every sample and histogram goes
// through one Appender; an append error rolls the whole batch back.
// Out-of-order, duplicate and out-of-bounds samples answer 400, as
// Prometheus does so that senders do not retry them; other storage errors
// (including "unsupported: native histograms ..." from a storage without
// histograms) 500, as Prometheus answers any other append error.
//
// 2.0 allows partial writes, as Prometheus: a series with bad labels, no
// samples, an invalid histogram, or a sample refused as out of order,
// duplicate or out of bounds is skipped and its error kept; the rest is
// committed and the answer is 400 with the errors (one a line) when any was
// kept. Any other append error rolls everything back (500). A 2.0 request
// that reached the appender and was committed (204, or 400 for the skipped
// series) is answered with X-Prometheus-Remote-Write-{Samples,Histograms,
// Exemplars}-Written counting what was committed; 404, 415, a body that
// does not decode (400) and 500 carry none.
//
// Histograms with an exponential schema finer than 8 (9..52) are reduced to
// schema 8 first, as Prometheus does. Success is 204 No Content. Metadata is
// accepted and ignored.
//
// Exemplars go through Appender::AppendExemplar after their series' samples
// (with the ref those got), as Prometheus's receiver does. Like it, they
// never fail a 1.0 request: refusals (out of order, too far in the future,
// no exemplar storage: "unsupported: exemplar storage") are counted and
// logged once per request. In 2.0, unresolvable exemplar label references
// and out-of-order exemplars join the skipped-series errors (400, the rest
// committed); other refusals are logged; a duplicate of the series' newest
// exemplar counts as written, as Prometheus's head accepts it silently.
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

// Bounds on what one series may carry (ours; Prometheus's receiver has
// none). 0 disables a bound. The defaults keep a peer from growing the
// head's symbol table with megabyte-long labels while leaving room for any
// sensible label.
struct RemoteWriteLimits {
  size_t label_name_length_limit = 1024;    // bytes
  size_t label_value_length_limit = 16384;  // bytes
};

// `appendable` null means the receiver is disabled (404, as Prometheus).
// `now_ms` bounds how far in the future samples may be.
HttpResponse ServeRemoteWrite(Appendable* appendable, const HttpRequest& req, int64_t now_ms,
                              const RemoteWriteLimits& limits = RemoteWriteLimits());

}  // namespace promethium::web
