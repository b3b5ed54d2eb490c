// /api/v1/metadata and /api/v1/targets/metadata: the TYPE/HELP/UNIT the
// active targets last exposed, with Prometheus's parameters, errors and JSON
// shapes (web/api/v1/api.go metricMetadata and targetMetadata).
//
// Where Prometheus's answer depends on Go map order (which families survive
// `limit`, the order of a family's entries), Promethium is deterministic:
// families in name order, entries in the order targets reported them.
#include <algorithm>
#include <charconv>
#include <map>
#include <string>
#include <vector>

#include "promql/parser/parser.h"
#include "web/api_endpoints.h"
#include "web/json_writer.h"

namespace promethium::web {

namespace {

// Go's strconv.Atoi: optional sign, decimal digits, no overflow.
bool ParseAtoi(std::string_view text, int64_t* out) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

// An optional integer parameter (default -1) with Prometheus's message
// "<name> must be a number".
bool ParseNumberParam(const ApiCall& call, const char* name, int64_t* out, ApiResult* error) {
  *out = -1;
  std::string value = call.form.Get(name);
  if (value.empty()) return true;
  if (ParseAtoi(value, out)) return true;
  *error = ApiResult::Error(ApiErrorType::kBadData, std::string(name) + " must be a number");
  return false;
}

bool SameMetadata(const MetricMetadataInfo& a, const MetricMetadataInfo& b) {
  return a.type == b.type && a.help == b.help && a.unit == b.unit;
}

std::vector<TargetMetadataInfo> FetchMetadata(const ApiDeps& deps, const std::string& metric) {
  if (!deps.target_metadata) return {};
  return deps.target_metadata(metric);
}

void WriteMetadataFields(JsonWriter* w, const MetricMetadataInfo& md) {
  w->Key("type");
  w->String(md.type.empty() ? "unknown" : md.type);
  w->Key("help");
  w->String(md.help);
  w->Key("unit");
  w->String(md.unit);
}

}  // namespace

ApiResult ServeMetadata(const ApiDeps& deps, const ApiCall& call) {
  ApiResult error;
  int64_t limit = -1, limit_per_metric = -1;
  if (!ParseNumberParam(call, "limit", &limit, &error)) return error;
  if (!ParseNumberParam(call, "limit_per_metric", &limit_per_metric, &error)) return error;
  std::string metric = call.form.Get("metric");

  // Family -> distinct (type, help, unit) entries, as Prometheus's sets.
  std::map<std::string, std::vector<MetricMetadataInfo>> families;
  for (const TargetMetadataInfo& target : FetchMetadata(deps, metric)) {
    for (const MetricMetadataInfo& md : target.metadata) {
      if (!metric.empty() && md.metric_family != metric) continue;
      std::vector<MetricMetadataInfo>& entries = families[md.metric_family];
      if (limit_per_metric > 0 && static_cast<int64_t>(entries.size()) >= limit_per_metric) continue;
      bool seen =
          std::any_of(entries.begin(), entries.end(), [&](const MetricMetadataInfo& e) { return SameMetadata(e, md); });
      if (!seen) entries.push_back(md);
    }
  }

  JsonWriter w;
  w.BeginObject();
  int64_t written = 0;
  for (const auto& [name, entries] : families) {
    if (limit >= 0 && written >= limit) break;
    ++written;
    w.Key(name);
    w.BeginArray();
    for (const MetricMetadataInfo& md : entries) {
      w.BeginObject();
      WriteMetadataFields(&w, md);
      w.EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
  return ApiResult::Data(w.Take());
}

ApiResult ServeTargetMetadata(const ApiDeps& deps, const ApiCall& call) {
  ApiResult error;
  int64_t limit = -1;
  if (!ParseNumberParam(call, "limit", &limit, &error)) return error;
  std::string match_target = call.form.Get("match_target");
  Matchers matchers;
  if (!match_target.empty()) {
    Result<Matchers> parsed = promql::ParseMetricSelector(match_target);
    if (!parsed.ok()) return ApiResult::InvalidParam("match_target", parsed.status().message());
    matchers = std::move(parsed).value();
  }
  std::string metric = call.form.Get("metric");

  JsonWriter w;
  w.BeginArray();
  int64_t entries = 0;
  for (const TargetMetadataInfo& target : FetchMetadata(deps, metric)) {
    // As Prometheus, the limit is checked per target, so the last target's
    // entries may take the answer past it.
    if (limit >= 0 && entries >= limit) break;
    bool selected = std::all_of(matchers.begin(), matchers.end(),
                                [&](const Matcher& m) { return m.Matches(target.target_labels.Get(m.name())); });
    if (!selected) continue;
    for (const MetricMetadataInfo& md : target.metadata) {
      if (!metric.empty() && md.metric_family != metric) continue;
      w.BeginObject();
      w.Key("target");
      w.LabelsObject(target.target_labels);
      // Prometheus names the family only when listing all of them.
      if (metric.empty()) {
        w.Key("metric");
        w.String(md.metric_family);
      }
      WriteMetadataFields(&w, md);
      w.EndObject();
      ++entries;
      if (!metric.empty()) break;  // one entry per target for a named metric
    }
  }
  w.EndArray();
  return ApiResult::Data(w.Take());
}

}  // namespace promethium::web
