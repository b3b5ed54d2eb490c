// /api/v1/admin/tsdb/*: behind --web.enable-admin-api. Disabled, they answer
// as Prometheus does (503, errorType "unavailable", "admin APIs disabled").
// Enabled, each action needs TSDB features Promethium does not have yet
// (tombstones, persistent blocks), so it fails loudly instead of pretending.
#include <string>

#include "web/api_endpoints.h"

namespace promethium::web {

ApiResult ServeAdmin(const ApiDeps& deps, std::string_view action) {
  if (!deps.enable_admin_api) return ApiResult::Error(ApiErrorType::kUnavailable, "admin APIs disabled");
  std::string why;
  if (action == "delete_series" || action == "clean_tombstones") {
    why = "the TSDB has no tombstones yet";
  } else if (action == "snapshot") {
    why = "the TSDB has no persistent blocks to snapshot yet";
  } else {
    why = "unknown admin action";
  }
  return ApiResult::Error(ApiErrorType::kUnsupported,
                          "unsupported: /api/v1/admin/tsdb/" + std::string(action) + ": " + why);
}

}  // namespace promethium::web
