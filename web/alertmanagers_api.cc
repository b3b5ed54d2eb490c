// /api/v1/alertmanagers, shaped as Prometheus's web/api/v1 alertmanagers():
// {"activeAlertmanagers":[{"url":...}],"droppedAlertmanagers":[{"url":...}]}.
#include <string>
#include <vector>

#include "web/alertmanager_info.h"
#include "web/api_endpoints.h"
#include "web/json_writer.h"

namespace promethium::web {
namespace {

void WriteUrls(JsonWriter* w, const char* key, const std::vector<std::string>& urls) {
  w->Key(key);
  w->BeginArray();
  for (const std::string& url : urls) {
    w->BeginObject();
    w->Key("url");
    w->String(url);
    w->EndObject();
  }
  w->EndArray();
}

}  // namespace

ApiResult ServeAlertmanagers(const ApiDeps& deps) {
  AlertmanagersInfo info;
  if (deps.alertmanagers) info = deps.alertmanagers();
  JsonWriter w;
  w.BeginObject();
  WriteUrls(&w, "activeAlertmanagers", info.active);
  WriteUrls(&w, "droppedAlertmanagers", info.dropped);
  w.EndObject();
  return ApiResult::Data(w.Take());
}

}  // namespace promethium::web
