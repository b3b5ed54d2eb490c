// /api/v1/status/* and /api/v1/targets, shaped as Prometheus's
// web/api/v1/api.go.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <map>
#include <string>
#include <thread>

#include "tsdb/base/duration.h"
#include "web/api_endpoints.h"
#include "web/json_writer.h"

namespace promethium::web {

namespace {

// The Prometheus version /api/v1/status/buildinfo reports. Clients such as
// Grafana read it to pick API features; Promethium implements Prometheus
// 3.x semantics (left-open range selectors, UTF-8 names) and 3.0.0 makes
// them use the modern paths (label values with match[], /api/v1/series,
// /api/v1/metadata, POST queries).
constexpr std::string_view kCompatibleVersion = "3.0.0";

}  // namespace

std::string FormatRfc3339Ms(int64_t ms) { return FormatRfc3339Nano(ms, 0); }

std::string FormatRfc3339Nano(int64_t ms, int32_t sub_ms_ns) {
  int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;  // floor
  const int fraction = static_cast<int>(ms - secs * 1000) * 1'000'000 + std::clamp(sub_ms_ns, 0, 999'999);
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out(buf, n);
  if (fraction != 0) {
    char frac[16];
    std::snprintf(frac, sizeof(frac), ".%09d", fraction);
    std::string f(frac);
    while (f.back() == '0') f.pop_back();
    out += f;
  }
  out += 'Z';
  return out;
}

ApiResult ServeBuildInfo() {
  JsonWriter w;
  w.BeginObject();
  w.Key("version");
  w.String(kCompatibleVersion);
  w.Key("revision");
  w.String("promethium");
  w.Key("branch");
  w.String("main");
  w.Key("buildUser");
  w.String("promethium");
  w.Key("buildDate");
  w.String(__DATE__);
  w.Key("goVersion");
  w.String("none (C++20)");
  w.EndObject();
  return ApiResult::Data(w.Take());
}

ApiResult ServeRuntimeInfo(std::chrono::system_clock::time_point start_time, int64_t now_ms) {
  int64_t start_ms = std::chrono::duration_cast<std::chrono::milliseconds>(start_time.time_since_epoch()).count();
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  std::error_code ec;
  std::string cwd = std::filesystem::current_path(ec).string();
  JsonWriter w;
  w.BeginObject();
  w.Key("startTime");
  w.String(FormatRfc3339Ms(start_ms));
  w.Key("CWD");
  w.String(cwd);
  w.Key("hostname");
  w.String(host);
  w.Key("serverTime");
  w.String(FormatRfc3339Ms(now_ms));
  w.Key("reloadConfigSuccess");
  w.Bool(true);
  w.Key("lastConfigTime");
  w.String(FormatRfc3339Ms(start_ms));
  w.Key("corruptionCount");
  w.Int(0);
  w.Key("goroutineCount");
  w.Int(0);
  w.Key("GOMAXPROCS");
  w.Int(static_cast<int64_t>(std::thread::hardware_concurrency()));
  w.Key("GOMEMLIMIT");
  w.Int(0);
  w.Key("GOGC");
  w.String("");
  w.Key("GODEBUG");
  w.String("");
  w.Key("storageRetention");
  w.String("");
  w.EndObject();
  return ApiResult::Data(w.Take());
}

ApiResult ServeConfig(const ApiDeps& deps) {
  JsonWriter w;
  w.BeginObject();
  w.Key("yaml");
  w.String(deps.config_yaml ? deps.config_yaml() : std::string());
  w.EndObject();
  return ApiResult::Data(w.Take());
}

ApiResult ServeFlags(const ApiDeps& deps) {
  // A Go map: keys sorted, the last duplicate wins.
  std::vector<std::pair<std::string, std::string>> flags = deps.flags;
  std::stable_sort(flags.begin(), flags.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  JsonWriter w;
  w.BeginObject();
  for (size_t i = 0; i < flags.size(); ++i) {
    if (i + 1 < flags.size() && flags[i + 1].first == flags[i].first) continue;
    w.Key(flags[i].first);
    w.String(flags[i].second);
  }
  w.EndObject();
  return ApiResult::Data(w.Take());
}

ApiResult ServeTargets(const ApiDeps& deps, const ApiCall& call) {
  std::vector<TargetInfo> targets;
  if (deps.targets) targets = deps.targets();
  std::stable_sort(targets.begin(), targets.end(),
                   [](const TargetInfo& a, const TargetInfo& b) { return a.scrape_pool < b.scrape_pool; });
  // Go's r.URL.Query(): only URL parameters count here, not the body.
  FormValues url_params = FormValues::FromQueryString(SplitTarget(call.request.target).second);
  std::string pool_filter = url_params.Get("scrapePool");
  std::string state = url_params.Get("state");
  std::transform(state.begin(), state.end(), state.begin(), [](unsigned char c) { return std::tolower(c); });
  bool show_active = state.empty() || state == "any" || state == "active";
  bool show_dropped = state.empty() || state == "any" || state == "dropped";
  JsonWriter w;
  w.BeginObject();
  w.Key("activeTargets");
  w.BeginArray();
  for (const TargetInfo& t : targets) {
    if (!show_active || (!pool_filter.empty() && t.scrape_pool != pool_filter)) continue;
    w.BeginObject();
    w.Key("discoveredLabels");
    w.LabelsObject(t.discovered_labels);
    w.Key("labels");
    w.LabelsObject(t.labels);
    w.Key("scrapePool");
    w.String(t.scrape_pool);
    w.Key("scrapeUrl");
    w.String(t.scrape_url);
    w.Key("globalUrl");
    w.String(t.scrape_url);
    w.Key("lastError");
    w.String(t.last_error);
    w.Key("lastScrape");
    // Go's zero time.Time when the target was never scraped.
    w.String(t.last_scrape_ms == 0 ? "0001-01-01T00:00:00Z" : FormatRfc3339Ms(t.last_scrape_ms));
    w.Key("lastScrapeDuration");
    w.Double(t.last_scrape_duration_seconds);
    w.Key("health");
    w.String(t.health);
    w.Key("scrapeInterval");
    w.String(FormatDuration(t.interval_ms));
    w.Key("scrapeTimeout");
    w.String(FormatDuration(t.timeout_ms));
    w.EndObject();
  }
  w.EndArray();
  std::vector<TargetInfo> dropped;
  if (show_dropped && deps.dropped_targets) dropped = deps.dropped_targets();
  std::map<std::string, int64_t> dropped_counts;  // per scrape pool, before the pool filter
  w.Key("droppedTargets");
  w.BeginArray();
  for (const TargetInfo& t : dropped) {
    ++dropped_counts[t.scrape_pool];
    if (!pool_filter.empty() && t.scrape_pool != pool_filter) continue;
    w.BeginObject();
    w.Key("discoveredLabels");
    w.LabelsObject(t.discovered_labels);
    w.Key("scrapePool");
    w.String(t.scrape_pool);
    w.EndObject();
  }
  w.EndArray();
  w.Key("droppedTargetCounts");
  if (show_dropped) {
    w.BeginObject();
    for (const auto& [pool, n] : dropped_counts) {
      w.Key(pool);
      w.Int(n);
    }
    w.EndObject();
  } else {
    w.Null();
  }
  w.EndObject();
  return ApiResult::Data(w.Take());
}

}  // namespace promethium::web
