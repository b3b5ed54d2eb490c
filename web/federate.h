// Federation: the /federate endpoint, as Prometheus's web/federate.go.
//
// GET /federate?match[]=<selector>&match[]=... answers, for the union of the
// series matched by the selectors, the newest sample of each series within
// the lookback delta before "now", in the text exposition format 0.0.4
// (or, when the Accept header prefers it, the delimited protobuf format):
//
//   # TYPE up untyped
//   up{instance="a:9100",job="node",region="eu"} 1 1700000000123
//
// Families are grouped by metric name (one "# TYPE <name> untyped" line
// each), series sorted by name then labels, timestamps in milliseconds. A
// series whose newest sample is a stale marker is omitted (the exposition
// format cannot carry one). No match[] at all answers 200 with an empty body,
// as Prometheus does.
//
// Native histograms, as Prometheus does in the text format: a series whose
// newest sample is an exponential native histogram is left out (Prometheus
// federates those only in its protobuf format, which is not served here);
// a custom-bucket (NHCB) histogram is written as a classic histogram
// ("# TYPE <name> histogram", cumulative <name>_bucket{le=...} lines ending
// with le="+Inf", then _sum and _count). A family also ends where the kind
// changes (floats, counter histograms, gauge histograms), so a name may get
// more than one TYPE line, as in Prometheus. The delimited protobuf format
// (Accept: application/vnd.google.protobuf;
// proto=io.prometheus.client.MetricFamily;encoding=delimited, as a
// Prometheus scraping native histograms sends) carries every kind: one
// length-delimited MetricFamily per family (UNTYPED, HISTOGRAM or
// GAUGE_HISTOGRAM), exponential histograms as native ones (float counts,
// Prometheus's makeNativeHistogram), custom-bucket ones as classic buckets
// without +Inf (makeClassicHistogram).
//
// External labels: every series gets the global external_labels it does not
// already carry, plus instance="" when neither the series nor the external
// labels have an instance, as Prometheus does. The federating (scraping)
// Prometheus should therefore set honor_labels: true on its federation job,
// so the job/instance labels of the federated series survive instead of
// being renamed to exported_job/exported_instance.
//
// Bounds: the work stops with an error when it exceeds the query timeout or
// when more series than max_series match (both taken from the engine's
// options when an engine is wired in: --query.timeout, --query.max-samples).
//
// Ownership: borrows the ApiDeps' storage for the duration of one call.
// Thread-safety: every function is reentrant.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "tsdb/api/labels.h"
#include "tsdb/api/storage.h"
#include "tsdb/base/result.h"
#include "web/api_deps.h"
#include "web/http_types.h"

namespace promethium::web {

struct FederateOptions {
  int64_t lookback_delta_ms = 5 * 60 * 1000;         // --query.lookback-delta
  std::chrono::milliseconds timeout{2 * 60 * 1000};  // --query.timeout
  int64_t max_series = 50'000'000;                   // --query.max-samples
  // The delimited protobuf format (io.prometheus.client.MetricFamily)
  // instead of the text format.
  bool protobuf = false;
};

// Prometheus's format negotiation (expfmt.Negotiate) reduced to what is
// served: true when the Accept header's most preferred supported type is
// the delimited protobuf format, false for the text format (the default).
// The protobuf text encodings are not served; an Accept listing only them
// gets the text format.
bool AcceptsDelimitedProtobuf(std::string_view accept);

// The engine's limits when deps.engine is set, else the defaults above.
FederateOptions FederateOptionsFromDeps(const ApiDeps& deps);

// Renders the federation body for already parsed selectors at `now_ms`.
// Errors: DeadlineExceeded (timeout), Canceled (*canceled became true),
// ResourceExhausted (more than max_series series), or the storage's error.
Result<std::string> RenderFederation(Queryable& storage, const std::vector<Matchers>& matcher_sets,
                                     const Labels& external_labels, int64_t now_ms, const FederateOptions& opts,
                                     const std::atomic<bool>* canceled = nullptr);

// The whole endpoint: method check, form parsing, selector parsing, limits,
// and the plain-text error answers (Go's http.Error style) Prometheus gives.
HttpResponse ServeFederate(const ApiDeps& deps, const HttpRequest& req, int64_t now_ms,
                           const std::atomic<bool>* canceled = nullptr);

// The text format 0.0.4 Content-Type of a successful answer.
inline constexpr std::string_view kFederateContentType = "text/plain; version=0.0.4; charset=utf-8";
// The delimited protobuf one.
inline constexpr std::string_view kFederateProtobufContentType =
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";

}  // namespace promethium::web
