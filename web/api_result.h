// ApiResult: what one /api/v1 endpoint produced, before it becomes HTTP.
//
// Endpoints return either serialized JSON for the envelope's "data" field
// (plus warnings/infos) or an error with Prometheus's error type. RenderApi
// wraps it in Prometheus's envelope:
//   {"status":"success","data":...,"warnings":[...],"infos":[...]}
//   {"status":"error","errorType":"bad_data","error":"..."}
// with the HTTP status Prometheus uses for each error type.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "web/http_types.h"

namespace promethium::web {

enum class ApiErrorType {
  kNone,
  kBadData,      // 400
  kExecution,    // 422
  kCanceled,     // 499, as Prometheus 3.x (client closed request)
  kTimeout,      // 503
  kInternal,     // 500
  kUnavailable,  // 503 (no engine/storage wired in)
  kNotFound,     // 404
  kUnsupported,  // 501: a Prometheus endpoint we do not implement
};

std::string_view ApiErrorTypeName(ApiErrorType type);  // "bad_data", ...
int HttpStatusForApiError(ApiErrorType type);

struct ApiResult {
  std::string data_json;  // serialized "data"; empty means the field is omitted
  std::vector<std::string> warnings;
  std::vector<std::string> infos;
  ApiErrorType error_type = ApiErrorType::kNone;
  std::string error;
  // Success without data: 204 and no body, as Prometheus answers
  // delete_series and clean_tombstones.
  bool no_content = false;

  bool ok() const { return error_type == ApiErrorType::kNone; }
  static ApiResult Data(std::string json) {
    ApiResult r;
    r.data_json = std::move(json);
    return r;
  }
  static ApiResult NoContent() {
    ApiResult r;
    r.no_content = true;
    return r;
  }
  static ApiResult Error(ApiErrorType type, std::string message) {
    ApiResult r;
    r.error_type = type;
    r.error = std::move(message);
    return r;
  }
  // Prometheus's invalidParamError: `invalid parameter "name": <message>`.
  static ApiResult InvalidParam(std::string_view name, std::string_view message);
};

// Renders the JSON envelope and status code (Content-Type application/json).
HttpResponse RenderApiResult(const ApiResult& result);

}  // namespace promethium::web
