// /api/v1/labels, /api/v1/label/<name>/values and /api/v1/series, read
// through the Querier interface, as Prometheus's web/api/v1/api.go.
#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "promql/parser/parser.h"
#include "tsdb/api/storage.h"
#include "web/api_endpoints.h"
#include "web/api_params.h"
#include "web/json_writer.h"

namespace promethium::web {

namespace {

constexpr std::string_view kTruncated = "results truncated due to limit";

// The parameters every metadata endpoint shares.
struct MetadataParams {
  int64_t limit = 0;
  int64_t start = kMinTime;
  int64_t end = kMaxTime;
  std::vector<Matchers> matcher_sets;
};

// ParseTimeParam, clamped to [kMinTime, kMaxTime].
bool ParseOptionalTime(const ApiCall& call, const char* name, int64_t* out, ApiResult* error) {
  if (!ParseTimeParam(call, name, out, error)) return false;
  *out = std::clamp(*out, kMinTime, kMaxTime);
  return true;
}

// Parses match[] selectors; each set must have a matcher that does not match
// the empty string.
Result<std::vector<Matchers>> ParseMatcherSets(const std::vector<std::string>& selectors) {
  std::vector<Matchers> sets;
  for (const std::string& selector : selectors) {
    Result<Matchers> matchers = promql::ParseMetricSelector(selector);
    if (!matchers.ok()) return matchers.status();
    bool has_non_empty =
        std::any_of(matchers->begin(), matchers->end(), [](const Matcher& m) { return !m.Matches(""); });
    if (!has_non_empty) return Status::InvalidArgument("match[] must contain at least one non-empty matcher");
    sets.push_back(std::move(matchers).value());
  }
  return sets;
}

// Parses limit, start, end and match[]; `match_param_name` non-empty wraps
// match[] errors as invalidParamError (series does, labels do not).
bool ParseMetadataParams(const ApiCall& call, bool wrap_match_errors, MetadataParams* params, ApiResult* error) {
  Result<int64_t> limit = ParseLimitParam(call.form.Get("limit"));
  if (!limit.ok()) {
    *error = ApiResult::InvalidParam("limit", limit.status().message());
    return false;
  }
  params->limit = *limit;
  if (!ParseOptionalTime(call, "start", &params->start, error)) return false;
  if (!ParseOptionalTime(call, "end", &params->end, error)) return false;
  Result<std::vector<Matchers>> sets = ParseMatcherSets(call.form.GetAll("match[]"));
  if (!sets.ok()) {
    *error = wrap_match_errors ? ApiResult::InvalidParam("match[]", sets.status().message())
                               : ApiResult::Error(ApiErrorType::kBadData, sets.status().message());
    return false;
  }
  params->matcher_sets = std::move(sets).value();
  return true;
}

ApiResult StorageError(const Status& status) {
  if (status.code() == Status::Code::kCanceled) return ApiResult::Error(ApiErrorType::kCanceled, status.message());
  if (status.code() == Status::Code::kDeadlineExceeded) {
    return ApiResult::Error(ApiErrorType::kTimeout, status.message());
  }
  return ApiResult::Error(ApiErrorType::kExecution, status.message());
}

// Runs `lookup` once per matcher set (or once with no matchers) and returns
// the sorted union, truncated to the limit.
template <typename Lookup>
ApiResult StringListResult(const MetadataParams& params, Lookup lookup) {
  std::vector<std::string> values;
  if (params.matcher_sets.size() <= 1) {
    Result<std::vector<std::string>> one = lookup(params.matcher_sets.empty() ? Matchers{} : params.matcher_sets[0]);
    if (!one.ok()) return StorageError(one.status());
    values = std::move(one).value();
    std::sort(values.begin(), values.end());
  } else {
    std::set<std::string> merged;
    for (const Matchers& matchers : params.matcher_sets) {
      Result<std::vector<std::string>> part = lookup(matchers);
      if (!part.ok()) return StorageError(part.status());
      merged.insert(part->begin(), part->end());
    }
    values.assign(merged.begin(), merged.end());
  }
  std::vector<std::string> warnings;
  if (params.limit > 0 && static_cast<int64_t>(values.size()) > params.limit) {
    values.resize(static_cast<size_t>(params.limit));
    warnings.emplace_back(kTruncated);
  }
  JsonWriter w;
  w.StringArray(values);
  ApiResult result = ApiResult::Data(w.Take());
  result.warnings = std::move(warnings);
  return result;
}

ApiResult NoStorage() { return ApiResult::Error(ApiErrorType::kUnavailable, "unsupported: no storage configured"); }

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AppendUtf8(std::string* out, uint32_t cp) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Undoes Prometheus's "U__" value-encoding escaping of label names in URL
// paths ("U__http_2e_status" -> "http.status", "__" -> "_"). Returns the
// input unchanged when it is not validly escaped, as Go's UnescapeName does.
std::string UnescapeLabelName(const std::string& name) {
  if (name.rfind("U__", 0) != 0) return name;
  std::string out;
  for (size_t i = 3; i < name.size(); ++i) {
    char c = name[i];
    if (c != '_') {
      out.push_back(c);
      continue;
    }
    if (i + 1 < name.size() && name[i + 1] == '_') {
      out.push_back('_');
      ++i;
      continue;
    }
    uint32_t cp = 0;
    size_t j = i + 1;
    for (; j < name.size() && name[j] != '_'; ++j) {
      int digit = HexDigit(name[j]);
      if (digit < 0 || cp > 0x10FFFF) return name;
      cp = cp * 16 + static_cast<uint32_t>(digit);
    }
    if (j >= name.size() || j == i + 1 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return name;
    AppendUtf8(&out, cp);
    i = j;
  }
  return out;
}

}  // namespace

ApiResult ServeLabelNames(const ApiDeps& deps, const ApiCall& call) {
  MetadataParams params;
  ApiResult error;
  if (!ParseMetadataParams(call, /*wrap_match_errors=*/false, &params, &error)) return error;
  if (deps.storage == nullptr) return NoStorage();
  Result<std::unique_ptr<Querier>> querier = QueryStorage(deps)->NewQuerier(params.start, params.end);
  if (!querier.ok()) return StorageError(querier.status());
  return StringListResult(params, [&](const Matchers& matchers) { return (*querier)->LabelNames(matchers); });
}

ApiResult ServeLabelValues(const ApiDeps& deps, const ApiCall& call, std::string name) {
  name = UnescapeLabelName(name);
  // Prometheus 3.x accepts any non-empty UTF-8 label name.
  std::string escaped;
  AppendJsonString(&escaped, name);
  if (name.empty() || escaped.find("\\ufffd") != std::string::npos) {
    return ApiResult::Error(ApiErrorType::kBadData, "invalid label name: " + QuoteLabelValue(name));
  }
  MetadataParams params;
  ApiResult error;
  if (!ParseMetadataParams(call, /*wrap_match_errors=*/false, &params, &error)) return error;
  if (deps.storage == nullptr) return NoStorage();
  Result<std::unique_ptr<Querier>> querier = QueryStorage(deps)->NewQuerier(params.start, params.end);
  if (!querier.ok()) return StorageError(querier.status());
  return StringListResult(params, [&](const Matchers& matchers) { return (*querier)->LabelValues(name, matchers); });
}

ApiResult ServeSeries(const ApiDeps& deps, const ApiCall& call) {
  if (!call.form.parse_error().empty()) {
    return ApiResult::Error(ApiErrorType::kBadData, "error parsing form values: " + call.form.parse_error());
  }
  if (!call.form.Has("match[]")) return ApiResult::Error(ApiErrorType::kBadData, "no match[] parameter provided");
  MetadataParams params;
  ApiResult error;
  if (!ParseMetadataParams(call, /*wrap_match_errors=*/true, &params, &error)) return error;
  if (deps.storage == nullptr) return NoStorage();
  Result<std::unique_ptr<Querier>> querier = QueryStorage(deps)->NewQuerier(params.start, params.end);
  if (!querier.ok()) return StorageError(querier.status());
  SelectHints hints;
  hints.start = params.start;
  hints.end = params.end;
  hints.func = "series";  // no samples needed
  // Several selectors may match the same series: collect into a sorted set.
  std::set<Labels> series;
  std::vector<std::string> warnings;
  bool truncated = false;
  for (const Matchers& matchers : params.matcher_sets) {
    std::unique_ptr<SeriesSet> set = (*querier)->Select(/*sorted=*/true, &hints, matchers);
    while (set->Next()) {
      if (call.canceled != nullptr && call.canceled->load(std::memory_order_relaxed)) {
        return ApiResult::Error(ApiErrorType::kCanceled, "context canceled");
      }
      series.insert(set->At().labels());
    }
    if (!set->Err().ok()) return StorageError(set->Err());
    for (std::string& w : set->Warnings()) warnings.push_back(std::move(w));
  }
  JsonWriter w;
  w.BeginArray();
  int64_t written = 0;
  for (const Labels& labels : series) {
    if (params.limit > 0 && written == params.limit) {
      truncated = true;
      break;
    }
    w.LabelsObject(labels);
    ++written;
  }
  w.EndArray();
  if (truncated) warnings.emplace_back(kTruncated);
  ApiResult result = ApiResult::Data(w.Take());
  result.warnings = std::move(warnings);
  return result;
}

}  // namespace promethium::web
