#include "web/api_result.h"

#include "tsdb/api/labels.h"
#include "web/json_writer.h"

namespace promethium::web {

std::string_view ApiErrorTypeName(ApiErrorType type) {
  switch (type) {
    case ApiErrorType::kNone: return "";
    case ApiErrorType::kBadData: return "bad_data";
    case ApiErrorType::kExecution: return "execution";
    case ApiErrorType::kCanceled: return "canceled";
    case ApiErrorType::kTimeout: return "timeout";
    case ApiErrorType::kInternal: return "internal";
    case ApiErrorType::kUnavailable: return "unavailable";
    case ApiErrorType::kNotFound: return "not_found";
    case ApiErrorType::kUnsupported: return "unsupported";
  }
  return "internal";
}

int HttpStatusForApiError(ApiErrorType type) {
  switch (type) {
    case ApiErrorType::kNone: return 200;
    case ApiErrorType::kBadData: return 400;
    case ApiErrorType::kExecution: return 422;
    case ApiErrorType::kCanceled: return 499;
    case ApiErrorType::kTimeout: return 503;
    case ApiErrorType::kInternal: return 500;
    case ApiErrorType::kUnavailable: return 503;
    case ApiErrorType::kNotFound: return 404;
    case ApiErrorType::kUnsupported: return 501;
  }
  return 500;
}

ApiResult ApiResult::InvalidParam(std::string_view name, std::string_view message) {
  return Error(ApiErrorType::kBadData, "invalid parameter " + QuoteLabelValue(name) + ": " + std::string(message));
}

namespace {

// Prometheus returns at most 10 warnings and 10 infos, then a count of the
// rest (annotations.AsStrings).
constexpr size_t kMaxAnnotations = 10;

void WriteAnnotations(JsonWriter* w, const std::vector<std::string>& items, std::string_view kind) {
  w->BeginArray();
  for (size_t i = 0; i < items.size() && i < kMaxAnnotations; ++i) w->String(items[i]);
  if (items.size() > kMaxAnnotations) {
    w->String(std::to_string(items.size() - kMaxAnnotations) + " more " + std::string(kind) + " annotations omitted");
  }
  w->EndArray();
}

}  // namespace

HttpResponse RenderApiResult(const ApiResult& result) {
  if (result.ok() && result.no_content) {
    HttpResponse resp;
    resp.status = 204;
    return resp;
  }
  JsonWriter w;
  w.BeginObject();
  w.Key("status");
  w.String(result.ok() ? "success" : "error");
  if (!result.data_json.empty()) {
    w.Key("data");
    w.Raw(result.data_json);
  }
  if (!result.ok()) {
    w.Key("errorType");
    w.String(ApiErrorTypeName(result.error_type));
    w.Key("error");
    w.String(result.error);
  }
  // As Prometheus, error responses carry no warnings or infos.
  if (result.ok() && !result.warnings.empty()) {
    w.Key("warnings");
    WriteAnnotations(&w, result.warnings, "warning");
  }
  if (result.ok() && !result.infos.empty()) {
    w.Key("infos");
    WriteAnnotations(&w, result.infos, "info");
  }
  w.EndObject();
  HttpResponse resp;
  resp.status = HttpStatusForApiError(result.error_type);
  resp.headers.emplace_back("Content-Type", "application/json");
  resp.body = w.Take();
  return resp;
}

}  // namespace promethium::web
