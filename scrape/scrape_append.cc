#include "scrape/scrape_append.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "scrape/histogram_limits.h"
#include "scrape/nhcb_text_parser.h"
#include "scrape/relabel/relabel.h"
#include "scrape/textparse/openmetrics_parser.h"
#include "scrape/textparse/prom_parser.h"
#include "scrape/textparse/protobuf_parser.h"
#include "tsdb/api/sample.h"
#include "tsdb/base/metrics.h"

namespace promethium::scrape {
namespace {

using textparse::Entry;
using textparse::LabelView;
using textparse::MetricType;
using textparse::OpenMetricsParser;
using textparse::PromParser;
using textparse::ProtobufParser;

// As Prometheus 3 (normalizeFloatsInLabelValues): the "le" of a histogram
// and the "quantile" of a summary are rewritten in OpenMetrics float form,
// so `le="1"` and `le="1.0"` name the same series ("1.0", "0.25", "+Inf").
void NormalizeBucketLabel(MetricType type, const std::string& name, std::string* value) {
  bool bucket =
      (type == MetricType::kHistogram && name == "le") || (type == MetricType::kSummary && name == "quantile");
  double f;
  if (!bucket || !textparse::ParsePromFloat(*value, &f)) return;
  std::string formatted = FormatPromFloat(f);
  if (!std::isnan(f) && !std::isinf(f) && formatted.find_first_of(".e") == std::string::npos) formatted += ".0";
  *value = std::move(formatted);
}

// The labels of the parser's current series, merged with the target's.
// `type` is the last # TYPE seen, as Prometheus's parser keeps it.
template <typename Parser>
Labels BuildSampleLabels(const Parser& p, MetricType type, const Target& target, bool honor_labels) {
  std::vector<Label> exposed;
  exposed.reserve(p.Labels().size() + 1);
  exposed.push_back({std::string(kMetricName), std::string(p.MetricName())});
  for (const LabelView& l : p.Labels()) {
    Label label{std::string(l.name), {}};
    if (l.escaped) {
      Parser::UnescapeLabelValue(l.value, &label.value);
    } else {
      label.value.assign(l.value);
    }
    NormalizeBucketLabel(type, label.name, &label.value);
    exposed.push_back(std::move(label));
  }
  return MergeTargetLabels(Labels::FromVector(std::move(exposed)), target.labels, honor_labels);
}

// Appends through a cache entry's ref alone; the labels are unpacked only
// when the storage no longer knows the ref (see Appender::Append).
Result<SeriesRef> AppendCached(const ScrapeCache::Entry& e, int64_t t, double v, Appender* app) {
  static const Labels kNoLabels;
  Result<SeriesRef> ref = app->Append(e.ref, kNoLabels, t, v);
  if (ref.ok() || ref.status().code() != Status::Code::kNotFound) return ref;
  return app->Append(0, e.labels(), t, v);
}

// Appends the parser's native histogram, after the job's limits, through a
// cache entry's ref (labels only when the storage lost the ref) or with
// the new series' labels.
template <typename Parser>
Result<SeriesRef> AppendNativeHistogram(const Parser& parser, const ScrapeCache::Entry* ce, const Labels& labels,
                                        int64_t t, const AppendOptions& opts, Appender* app) {
  if constexpr (requires { parser.CurrentHistogram(); }) {
    const Histogram* h = parser.CurrentHistogram();
    const FloatHistogram* fh = parser.CurrentFloatHistogram();
    std::optional<Histogram> limited_h;
    std::optional<FloatHistogram> limited_fh;
    if (opts.native_histogram_bucket_limit > 0 || opts.native_histogram_max_schema < kMaxExponentialSchema) {
      if (h != nullptr) limited_h = *h;
      if (fh != nullptr) limited_fh = *fh;
      PROMETHIUM_RETURN_IF_ERROR(ApplyNativeHistogramLimits(opts.native_histogram_bucket_limit,
                                                            opts.native_histogram_max_schema, &limited_h, &limited_fh));
      h = limited_h ? &*limited_h : nullptr;
      fh = limited_fh ? &*limited_fh : nullptr;
    }
    if (ce == nullptr) return app->AppendHistogram(0, labels, t, h, fh);
    static const Labels kNoLabels;
    Result<SeriesRef> ref = app->AppendHistogram(ce->ref, kNoLabels, t, h, fh);
    if (ref.ok() || ref.status().code() != Status::Code::kNotFound) return ref;
    return app->AppendHistogram(0, ce->labels(), t, h, fh);
  } else {
    (void)parser, (void)ce, (void)labels, (void)t, (void)opts, (void)app;
    return Status::Internal("native histogram entry from a text-format parser");
  }
}

// Sorts a storage error into the tolerated per-sample kinds; returns false
// for errors that must fail the scrape.
bool CountTolerated(const Status& st, AppendStats* stats) {
  switch (st.code()) {
    case Status::Code::kOutOfOrder: ++stats->out_of_order; return true;
    case Status::Code::kDuplicate: ++stats->duplicate; return true;
    case Status::Code::kOutOfBounds: ++stats->out_of_bounds; return true;
    default: return false;
  }
}

// The native-histogram rejections that skip one sample: the bucket limit
// (the scrape fails after the body, as Prometheus's bucketLimitErr) and a
// storage without native histograms.
bool CountHistogramRejection(const Status& st, AppendStats* stats) {
  if (st.code() == Status::Code::kResourceExhausted && st.message() == kBucketLimitExceeded) {
    stats->bucket_limit_exceeded = true;
    return true;
  }
  if (st.code() == Status::Code::kUnsupported) {
    ++stats->histograms_unsupported;
    return true;
  }
  return false;
}

// Keeps # TYPE / # HELP / # UNIT lines for the metadata APIs. Prometheus
// reports an untyped family as "unknown".
template <typename Parser>
void RecordMetadata(const Parser& parser, Entry entry, MetadataStore* store) {
  switch (entry) {
    case Entry::kType: {
      MetricType t = parser.Type();
      store->SetType(parser.MetaName(), t == MetricType::kUnknown ? "unknown" : textparse::MetricTypeName(t));
      break;
    }
    case Entry::kHelp:
      // Unescaping allocates; most help texts have nothing to unescape.
      if (parser.HelpRaw().find('\\') == std::string_view::npos) {
        store->SetHelp(parser.MetaName(), parser.HelpRaw());
      } else {
        store->SetHelp(parser.MetaName(), parser.Help());
      }
      break;
    case Entry::kUnit:
      if constexpr (requires { parser.Unit(); }) store->SetUnit(parser.MetaName(), parser.Unit());
      break;
    default: break;
  }
}

// Appends the exemplar of the parser's current sample, when it has one
// (only the OpenMetrics parser yields them; Prometheus keeps exemplars from
// OpenMetrics responses only). Without its own timestamp an exemplar takes
// the sample's. As Prometheus, a rejected exemplar (out of order,
// duplicate, too long, storage disabled) never fails the scrape.
// `labels` are the new series' labels, or empty for a cached series (`ce`).
template <typename Parser>
void AppendExemplarOf(const Parser& parser, SeriesRef ref, const ScrapeCache::Entry* ce, const Labels& labels,
                      int64_t sample_ts, Appender* app) {
  if constexpr (requires { parser.Exemplars(); }) {
    // Protobuf: one exemplar per counter or bucket series, several per
    // native histogram (those already come with timestamps), in time order.
    std::vector<Exemplar> exemplars;
    for (const textparse::ParsedExemplar& pe : parser.Exemplars()) {
      std::vector<Label> exemplar_labels;
      for (const auto& [name, value] : pe.labels) exemplar_labels.push_back({name, value});
      exemplars.push_back(
          {Labels::FromVector(std::move(exemplar_labels)), pe.value, pe.has_timestamp ? pe.timestamp_ms : sample_ts});
    }
    std::stable_sort(exemplars.begin(), exemplars.end(),
                     [](const Exemplar& a, const Exemplar& b) { return a.ts < b.ts; });
    for (const Exemplar& e : exemplars) {
      app->AppendExemplar(ref, ce != nullptr ? ce->labels() : labels, e).IgnoreError();  // never fails the scrape
    }
  } else if constexpr (requires { parser.HasExemplar(); }) {
    if (!parser.HasExemplar()) return;
    std::vector<Label> exemplar_labels;
    exemplar_labels.reserve(parser.ExemplarLabels().size());
    for (const LabelView& l : parser.ExemplarLabels()) {
      Label label{std::string(l.name), {}};
      if (l.escaped) {
        Parser::UnescapeLabelValue(l.value, &label.value);
      } else {
        label.value.assign(l.value);
      }
      exemplar_labels.push_back(std::move(label));
    }
    Exemplar e{Labels::FromVector(std::move(exemplar_labels)), parser.ExemplarValue(),
               parser.ExemplarHasTimestamp() ? parser.ExemplarTimestamp() : sample_ts};
    app->AppendExemplar(ref, ce != nullptr ? ce->labels() : labels, e).IgnoreError();  // never fails the scrape
  }
}

// label_name_length_limit and label_value_length_limit, with Prometheus's
// messages (its %.50s and %.50q cut at 50 runes; here at 50 bytes).
Status CheckLabelLengths(const Labels& labels, const AppendOptions& opts) {
  if (opts.label_name_length_limit == 0 && opts.label_value_length_limit == 0) return Status::OK();
  std::string_view metric = labels.MetricName().substr(0, 50);
  for (const Label& l : labels) {
    if (opts.label_name_length_limit > 0 && l.name.size() > opts.label_name_length_limit) {
      return Status::ResourceExhausted(
          fmt::format("label_name_length_limit exceeded (metric: {}, label name: {:.50}, length: {}, limit: {})",
                      metric, l.name, l.name.size(), opts.label_name_length_limit));
    }
    if (opts.label_value_length_limit > 0 && l.value.size() > opts.label_value_length_limit) {
      return Status::ResourceExhausted(fmt::format(
          "label_value_length_limit exceeded (metric: {}, label name: {:.50}, value: {}, length: {}, limit: {})",
          metric, l.name, QuoteLabelValue(std::string_view(l.value).substr(0, 50)), l.value.size(),
          opts.label_value_length_limit));
    }
  }
  return Status::OK();
}

// The append loop, written once for both parsers (same entry interface).
template <typename Parser>
AppendStats AppendParsed(Parser& parser, int64_t scrape_ts_ms, const Target& target, const AppendOptions& opts,
                         ScrapeCache* cache, Appender* app) {
  AppendStats stats;
  MetricType type = MetricType::kUnknown;
  auto fail = [&](Status st) {
    stats.status = std::move(st);
    cache->DropSeen();
    return stats;
  };
  for (;;) {
    Result<Entry> entry = parser.Next();
    if (!entry.ok()) return fail(entry.status());
    if (*entry == Entry::kEof) break;
    const bool is_histogram = *entry == Entry::kHistogram;
    if (*entry != Entry::kSeries && !is_histogram) {
      RecordMetadata(parser, *entry, &cache->metadata());
      if (*entry == Entry::kType) type = parser.Type();
      continue;
    }
    ++stats.scraped;
    if (stats.sample_limit_exceeded) continue;  // keep counting, stop appending
    bool explicit_ts = opts.honor_timestamps && parser.HasTimestamp();
    int64_t ts = explicit_ts ? parser.Timestamp() : scrape_ts_ms;

    ScrapeCache::Entry* ce = cache->Find(parser.Series());
    if (ce != nullptr && ce->dropped()) {  // metric relabeling dropped it: no re-relabeling
      cache->MarkSeen(ce);                 // keeps the drop remembered while the series is exposed
      continue;
    }
    Labels built;
    if (ce == nullptr) {
      built = BuildSampleLabels(parser, type, target, opts.honor_labels);
      if (target.metric_relabel_configs && !target.metric_relabel_configs->empty()) {
        RelabelResult relabeled = Relabel(built, *target.metric_relabel_configs);
        if (!relabeled.keep || relabeled.labels.empty()) {
          cache->MarkSeen(cache->Insert(parser.Series(), 0, Labels(), /*track_staleness=*/false));
          continue;
        }
        if (!relabeled.labels.Has(kMetricName)) {
          return fail(Status::InvalidArgument("missing metric name (__name__ label)"));
        }
        built = std::move(relabeled.labels);
      }
      if (opts.label_limit > 0 && built.size() > opts.label_limit) {
        return fail(Status::ResourceExhausted(
            fmt::format("label_limit exceeded (metric: {:.50}, number of labels: {}, limit: {})", parser.Series(),
                        built.size(), opts.label_limit)));
      }
      if (Status lengths = CheckLabelLengths(built, opts); !lengths.ok()) return fail(std::move(lengths));
    }
    ++stats.added;
    if (opts.sample_limit > 0 && stats.added > opts.sample_limit) {
      stats.sample_limit_exceeded = true;
      continue;
    }
    Result<SeriesRef> ref = is_histogram ? AppendNativeHistogram(parser, ce, built, ts, opts, app)
                            : ce         ? AppendCached(*ce, ts, parser.Value(), app)
                                         : app->Append(0, built, ts, parser.Value());
    if (!ref.ok()) {
      if (CountTolerated(ref.status(), &stats)) continue;
      if (is_histogram && CountHistogramRejection(ref.status(), &stats)) continue;
      return fail(ref.status());
    }
    AppendExemplarOf(parser, *ref, ce, built, ts, app);
    if (ce == nullptr) {
      ce = cache->Insert(parser.Series(), *ref, built, !explicit_ts);
      ++stats.series_added;
    } else {
      ce->ref = *ref;
      ce->track_staleness = !explicit_ts;
    }
    cache->MarkSeen(ce);
  }
  if (stats.sample_limit_exceeded) return fail(Status::ResourceExhausted("sample limit exceeded"));
  if (stats.bucket_limit_exceeded) return fail(Status::ResourceExhausted(std::string(kBucketLimitExceeded)));
  return stats;
}

}  // namespace

AppendStats AppendScrapeBody(std::string_view body, int64_t scrape_ts_ms, const Target& target,
                             const AppendOptions& opts, ScrapeCache* cache, Appender* app) {
  return AppendScrapeBody(body, ExpositionFormat::kPrometheusText, scrape_ts_ms, target, opts, cache, app);
}

AppendStats AppendScrapeBody(std::string_view body, ExpositionFormat format, int64_t scrape_ts_ms, const Target& target,
                             const AppendOptions& opts, ScrapeCache* cache, Appender* app) {
  if (format == ExpositionFormat::kProtobuf) {
    ProtobufParser::Options po;
    po.parse_native_histograms = opts.scrape_native_histograms;
    po.keep_classic_histograms = opts.always_scrape_classic_histograms;
    po.convert_classic_to_nhcb = opts.convert_classic_histograms_to_nhcb;
    ProtobufParser parser(body, po);
    return AppendParsed(parser, scrape_ts_ms, target, opts, cache, app);
  }
  if (format == ExpositionFormat::kOpenMetrics) {
    OpenMetricsParser parser(body);
    if (opts.convert_classic_histograms_to_nhcb) {
      NhcbTextParser<OpenMetricsParser> nhcb(&parser, opts.always_scrape_classic_histograms);
      return AppendParsed(nhcb, scrape_ts_ms, target, opts, cache, app);
    }
    return AppendParsed(parser, scrape_ts_ms, target, opts, cache, app);
  }
  PromParser parser(body);
  if (opts.convert_classic_histograms_to_nhcb) {
    NhcbTextParser<PromParser> nhcb(&parser, opts.always_scrape_classic_histograms);
    return AppendParsed(nhcb, scrape_ts_ms, target, opts, cache, app);
  }
  return AppendParsed(parser, scrape_ts_ms, target, opts, cache, app);
}

void AppendStaleMarkers(ScrapeCache* cache, int64_t ts_ms, Appender* app) {
  // A stale marker the storage rejects (e.g. out of order) leaves only that
  // series without its end marker; the batch's Commit reports real failures.
  cache->ForEachStale([&](const ScrapeCache::Entry& e) { AppendCached(e, ts_ms, StaleNaN(), app).IgnoreError(); });
}

ReportAppender::ReportAppender(const Labels& target_labels) {
  static constexpr std::array<std::string_view, kNumSeries> kNames = {
      "up", "scrape_duration_seconds", "scrape_samples_scraped", "scrape_samples_post_metric_relabeling",
      "scrape_series_added"};
  for (size_t i = 0; i < kNumSeries; ++i) {
    LabelsBuilder b(target_labels);
    b.Set(kMetricName, kNames[i]);
    labels_[i] = b.Build();
  }
}

Status ReportAppender::Append(const ScrapeReport& report, int64_t ts_ms, Appender* app) {
  const std::array<double, kNumSeries> values = {report.up ? 1.0 : 0.0, report.duration_seconds,
                                                 static_cast<double>(report.scraped), static_cast<double>(report.added),
                                                 static_cast<double>(report.series_added)};
  for (size_t i = 0; i < kNumSeries; ++i) {
    Result<SeriesRef> ref = app->Append(refs_[i], labels_[i], ts_ms, values[i]);
    if (ref.ok()) {
      refs_[i] = *ref;
      continue;
    }
    AppendStats ignored;
    if (!CountTolerated(ref.status(), &ignored)) return ref.status();
  }
  return Status::OK();
}

void ReportAppender::AppendStale(int64_t ts_ms, Appender* app) {
  // As AppendStaleMarkers: a rejected marker is skipped, Commit reports the rest.
  for (size_t i = 0; i < kNumSeries; ++i) app->Append(refs_[i], labels_[i], ts_ms, StaleNaN()).IgnoreError();
}

}  // namespace promethium::scrape
