#include "web/federate.h"

#include <algorithm>
#include <memory>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "promql/engine/engine.h"
#include "promql/parser/parser.h"
#include "tsdb/base/duration.h"
#include "tsdb/base/metrics.h"
#include "web/form_values.h"

namespace promethium::web {

namespace {

// How many series to read between two deadline/cancellation checks.
constexpr int kCheckEvery = 256;

struct FederatedSample {
  Labels labels;
  Sample sample;
};

// Sort key of the output: metric name first, then the full label set.
bool FederatedLess(const FederatedSample& a, const FederatedSample& b) {
  int by_name = a.labels.MetricName().compare(b.labels.MetricName());
  if (by_name != 0) return by_name < 0;
  return a.labels < b.labels;
}

// Go's model.isValidLegacyRune: what the "underscores" escaping keeps.
bool IsLegacyNameChar(char c, size_t i) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || (c >= '0' && c <= '9' && i > 0);
}

// Prometheus 3.x's "underscores" name escaping for names the 0.0.4 format
// cannot carry (UTF-8 names): each offending character becomes '_'.
std::string EscapeName(std::string_view name, bool valid) {
  if (valid) return std::string(name);
  std::string out;
  size_t rune_index = 0;
  for (size_t i = 0; i < name.size(); ++rune_index) {
    unsigned char lead = static_cast<unsigned char>(name[i]);
    size_t len = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    if (len == 1 && IsLegacyNameChar(name[i], rune_index)) {
      out.push_back(name[i]);
    } else {
      out.push_back('_');
    }
    i += std::min(len, name.size() - i);
  }
  return out;
}

// Label value escaping of the text format: backslash, double quote, newline.
void AppendEscapedLabelValue(std::string* out, std::string_view value) {
  for (char c : value) {
    switch (c) {
      case '\\': out->append("\\\\"); break;
      case '"': out->append("\\\""); break;
      case '\n': out->append("\\n"); break;
      default: out->push_back(c);
    }
  }
}

// The labels one series is written with: its own (without __name__) plus
// every external label it lacks, instance="" included as Prometheus does.
std::vector<Label> ExpositionLabels(const Labels& series, const Labels& external) {
  std::vector<Label> out;
  for (const Label& l : series) {
    if (l.name != kMetricName) out.push_back(l);
  }
  auto add_missing = [&](std::string_view name, std::string_view value) {
    if (!series.Has(name)) out.push_back(Label{std::string(name), std::string(value)});
  };
  for (const Label& l : external) add_missing(l.name, l.value);
  if (!external.Has("instance")) add_missing("instance", "");
  std::sort(out.begin(), out.end(), [](const Label& a, const Label& b) { return a.name < b.name; });
  return out;
}

void AppendSeriesLine(std::string* out, const std::string& name, const std::vector<Label>& labels,
                      const Sample& sample) {
  out->append(name);
  if (!labels.empty()) {
    out->push_back('{');
    for (size_t i = 0; i < labels.size(); ++i) {
      if (i > 0) out->push_back(',');
      out->append(EscapeName(labels[i].name, IsValidLabelName(labels[i].name)));
      out->append("=\"");
      AppendEscapedLabelValue(out, labels[i].value);
      out->push_back('"');
    }
    out->push_back('}');
  }
  out->push_back(' ');
  out->append(FormatPromFloat(sample.v));
  out->push_back(' ');
  out->append(std::to_string(sample.t));
  out->push_back('\n');
}

// The newest sample in [mint, maxt], or false when there is none or it is a
// stale marker (the exposition formats cannot carry stale markers).
Result<bool> NewestSample(const Series& series, int64_t mint, int64_t maxt, Sample* out) {
  std::unique_ptr<SampleIterator> it = series.Iterator(nullptr);
  bool found = false;
  for (ValueType vt = it->Seek(mint); vt != ValueType::kNone; vt = it->Next()) {
    Sample s = it->At();
    if (s.t > maxt) break;
    *out = s;
    found = true;
  }
  if (!it->Err().ok()) return it->Err();
  return found && !IsStaleNaN(out->v);
}

// Reads the newest sample of every series matched by any selector.
Status CollectSamples(Querier& querier, const std::vector<Matchers>& matcher_sets, int64_t mint, int64_t maxt,
                      const FederateOptions& opts, const std::atomic<bool>* canceled,
                      std::vector<FederatedSample>* out) {
  auto deadline = std::chrono::steady_clock::now() + opts.timeout;
  SelectHints hints;
  hints.start = mint;
  hints.end = maxt;
  int64_t read = 0;
  for (const Matchers& matchers : matcher_sets) {
    std::unique_ptr<SeriesSet> set = querier.Select(/*sorted=*/false, &hints, matchers);
    while (set->Next()) {
      if (++read % kCheckEvery == 0) {
        if (canceled != nullptr && canceled->load(std::memory_order_relaxed)) {
          return Status::Canceled("context canceled");
        }
        if (std::chrono::steady_clock::now() > deadline) {
          return Status::DeadlineExceeded(
              fmt::format("federation timed out after {} (--query.timeout)", FormatDuration(opts.timeout.count())));
        }
      }
      const Series& series = set->At();
      Sample sample;
      PROMETHIUM_ASSIGN_OR_RETURN(bool keep, NewestSample(series, mint, maxt, &sample));
      if (!keep) continue;
      if (static_cast<int64_t>(out->size()) >= opts.max_series) {
        return Status::ResourceExhausted(
            fmt::format("federation matched more than {} series (--query.max-samples); narrow the match[] selectors",
                        opts.max_series));
      }
      out->push_back(FederatedSample{series.labels(), sample});
    }
    PROMETHIUM_RETURN_IF_ERROR(set->Err());
  }
  return Status::OK();
}

// Go's http.Error: plain text plus a newline, and nosniff.
HttpResponse PlainError(int status, std::string_view text) {
  HttpResponse resp;
  resp.status = status;
  resp.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  resp.headers.emplace_back("X-Content-Type-Options", "nosniff");
  resp.body = std::string(text) + "\n";
  return resp;
}

int HttpStatusFor(const Status& status) {
  switch (status.code()) {
    case Status::Code::kInvalidArgument: return 400;
    case Status::Code::kCanceled: return 499;
    case Status::Code::kDeadlineExceeded: return 503;
    case Status::Code::kResourceExhausted: return 422;
    default: return 500;
  }
}

void CountFederationError(const ApiDeps& deps) {
  if (deps.metrics == nullptr) return;
  deps.metrics
      ->GetCounter("prometheus_web_federation_errors_total",
                   "Total number of errors that occurred while sending federation responses.")
      ->Inc();
}

}  // namespace

FederateOptions FederateOptionsFromDeps(const ApiDeps& deps) {
  FederateOptions opts;
  if (deps.engine != nullptr) {
    const promql::EngineOptions& eopts = deps.engine->options();
    if (eopts.lookback_delta_ms > 0) opts.lookback_delta_ms = eopts.lookback_delta_ms;
    if (eopts.timeout.count() > 0) opts.timeout = eopts.timeout;
    if (eopts.max_samples > 0) opts.max_series = eopts.max_samples;
  }
  return opts;
}

Result<std::string> RenderFederation(Queryable& storage, const std::vector<Matchers>& matcher_sets,
                                     const Labels& external_labels, int64_t now_ms, const FederateOptions& opts,
                                     const std::atomic<bool>* canceled) {
  if (matcher_sets.empty()) return std::string();
  int64_t mint = now_ms - opts.lookback_delta_ms;
  PROMETHIUM_ASSIGN_OR_RETURN(std::unique_ptr<Querier> querier, storage.NewQuerier(mint, now_ms));
  std::vector<FederatedSample> samples;
  PROMETHIUM_RETURN_IF_ERROR(CollectSamples(*querier, matcher_sets, mint, now_ms, opts, canceled, &samples));
  std::sort(samples.begin(), samples.end(), FederatedLess);
  // Overlapping selectors select a series more than once: keep one.
  samples.erase(std::unique(samples.begin(), samples.end(),
                            [](const FederatedSample& a, const FederatedSample& b) { return a.labels == b.labels; }),
                samples.end());

  std::string body;
  std::string last_name;
  for (const FederatedSample& s : samples) {
    std::string_view raw_name = s.labels.MetricName();
    if (raw_name.empty()) continue;  // nameless series are skipped, as Prometheus does
    std::string name = EscapeName(raw_name, IsValidMetricName(raw_name));
    if (body.empty() || name != last_name) {
      body.append("# TYPE ").append(name).append(" untyped\n");
      last_name = name;
    }
    AppendSeriesLine(&body, name, ExpositionLabels(s.labels, external_labels), s.sample);
  }
  return body;
}

HttpResponse ServeFederate(const ApiDeps& deps, const HttpRequest& req, int64_t now_ms,
                           const std::atomic<bool>* canceled) {
  bool head = req.method == "HEAD";
  if (req.method != "GET" && !head) {
    HttpResponse resp = PlainError(405, "Method Not Allowed");
    resp.headers.emplace_back("Allow", "GET, HEAD");
    return resp;
  }
  if (deps.ready && !deps.ready()) {
    HttpResponse resp = PlainError(503, "");
    resp.body = "Service Unavailable";  // Prometheus's readyf writes no newline
    return resp;
  }
  FormValues form = FormValues::FromRequest(req);
  if (!form.parse_error().empty()) return PlainError(400, "error parsing form values: " + form.parse_error());
  std::vector<Matchers> matcher_sets;
  for (const std::string& selector : form.GetAll("match[]")) {
    Result<Matchers> matchers = promql::ParseMetricSelector(selector);
    if (!matchers.ok()) return PlainError(400, matchers.status().message());
    matcher_sets.push_back(std::move(matchers).value());
  }
  if (deps.storage == nullptr) return PlainError(503, "unsupported: no storage configured");

  Labels external = deps.external_labels ? deps.external_labels() : Labels();
  Result<std::string> body =
      RenderFederation(*deps.storage, matcher_sets, external, now_ms, FederateOptionsFromDeps(deps), canceled);
  if (!body.ok()) {
    CountFederationError(deps);
    return PlainError(HttpStatusFor(body.status()), body.status().message());
  }
  HttpResponse resp;
  resp.headers.emplace_back("Content-Type", std::string(kFederateContentType));
  if (!head) resp.body = std::move(body).value();
  return resp;
}

}  // namespace promethium::web
