// /api/v1/rules and /api/v1/alerts, shaped as Prometheus's web/api/v1
// (rules(), alerts(), rulesAlertsToAPIAlerts): groups with their rules,
// health and timings, and the active alerts.
#include <charconv>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "promql/parser/parser.h"
#include "web/api_endpoints.h"
#include "web/json_writer.h"
#include "web/rules_info.h"

namespace promethium::web {
namespace {

// Go's strconv.FormatFloat(v, 'e', -1, 64), which the API uses for alert
// values: shortest digits in scientific form ("1e+00", "1.25e-01").
std::string FormatAlertValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  return std::string(buf, res.ptr);
}

// Go's zero time.Time for a rule never evaluated.
void WriteTime(JsonWriter* w, int64_t ms, int32_t sub_ms_ns = 0) {
  w->String(ms == 0 ? "0001-01-01T00:00:00Z" : FormatRfc3339Nano(ms, sub_ms_ns));
}

void WriteAlert(JsonWriter* w, const AlertInfo& a) {
  w->BeginObject();
  w->Key("labels");
  w->LabelsObject(a.labels);
  w->Key("annotations");
  w->LabelsObject(a.annotations);
  w->Key("state");
  w->String(a.state);
  w->Key("activeAt");
  WriteTime(w, a.active_at_ms, a.sub_ms_ns);
  if (a.keep_firing_since != 0) {
    w->Key("keepFiringSince");
    WriteTime(w, a.keep_firing_since, a.sub_ms_ns);
  }
  w->Key("value");
  w->String(FormatAlertValue(a.value));
  w->EndObject();
}

void WriteRule(JsonWriter* w, const RuleInfo& r, bool exclude_alerts) {
  w->BeginObject();
  if (r.alerting) {
    w->Key("state");
    w->String(r.state);
  }
  w->Key("name");
  w->String(r.name);
  w->Key("query");
  w->String(r.query);
  if (r.alerting) {
    w->Key("duration");
    w->Double(static_cast<double>(r.for_ms) / 1000.0);
    w->Key("keepFiringFor");
    w->Double(static_cast<double>(r.keep_firing_for_ms) / 1000.0);
  }
  w->Key("labels");
  w->LabelsObject(r.labels);
  if (r.alerting) {
    w->Key("annotations");
    w->LabelsObject(r.annotations);
    w->Key("alerts");
    w->BeginArray();
    if (!exclude_alerts) {
      for (const AlertInfo& a : r.alerts) WriteAlert(w, a);
    }
    w->EndArray();
  }
  w->Key("health");
  w->String(r.health);
  if (!r.last_error.empty()) {
    w->Key("lastError");
    w->String(r.last_error);
  }
  w->Key("evaluationTime");
  w->Double(r.evaluation_seconds);
  w->Key("lastEvaluation");
  WriteTime(w, r.last_evaluation_ms);
  w->Key("type");
  w->String(r.alerting ? "alerting" : "recording");
  w->EndObject();
}

// The filters of /api/v1/rules.
struct RuleFilter {
  bool alerts = true;
  bool recording = true;
  bool exclude_alerts = false;
  std::set<std::string> names, groups, files;
  std::vector<Matchers> match;

  bool KeepsGroup(const RuleGroupInfo& g) const {
    return (groups.empty() || groups.contains(g.name)) && (files.empty() || files.contains(g.file));
  }
  bool KeepsRule(const RuleInfo& r) const {
    if (r.alerting ? !alerts : !recording) return false;
    if (!names.empty() && !names.contains(r.name)) return false;
    if (match.empty()) return true;
    for (const Matchers& set : match) {
      bool all = true;
      for (const Matcher& m : set) all = all && m.Matches(r.labels.Get(m.name()));
      if (all) return true;
    }
    return false;
  }
  bool Any() const { return !names.empty() || !groups.empty() || !files.empty() || !match.empty(); }
};

// Go's strconv.ParseBool, as exclude_alerts is parsed.
bool ParseGoBool(const std::string& s, bool* out) {
  static const std::set<std::string> kTrue = {"1", "t", "T", "TRUE", "true", "True"};
  static const std::set<std::string> kFalse = {"0", "f", "F", "FALSE", "false", "False"};
  if (kTrue.contains(s)) *out = true;
  if (kFalse.contains(s)) *out = false;
  return kTrue.contains(s) || kFalse.contains(s);
}

Result<RuleFilter> ParseRuleFilter(const ApiCall& call) {
  RuleFilter f;
  const std::string type = call.form.Get("type");
  if (!type.empty() && type != "alert" && type != "record") {
    return Status::InvalidArgument("not supported value \"" + type + "\"");
  }
  f.alerts = type.empty() || type == "alert";
  f.recording = type.empty() || type == "record";
  const std::string exclude = call.form.Get("exclude_alerts");
  if (!exclude.empty() && !ParseGoBool(exclude, &f.exclude_alerts)) {
    return Status::InvalidArgument("parsing exclude_alerts: strconv.ParseBool: parsing \"" + exclude +
                                   "\": invalid syntax");
  }
  for (const std::string& v : call.form.GetAll("rule_name[]")) f.names.insert(v);
  for (const std::string& v : call.form.GetAll("rule_group[]")) f.groups.insert(v);
  for (const std::string& v : call.form.GetAll("file[]")) f.files.insert(v);
  for (const std::string& selector : call.form.GetAll("match[]")) {
    Result<Matchers> m = promql::ParseMetricSelector(selector);
    if (!m.ok()) return m.status();
    f.match.push_back(std::move(*m));
  }
  return f;
}

}  // namespace

ApiResult ServeRules(const ApiDeps& deps, const ApiCall& call) {
  Result<RuleFilter> filter = ParseRuleFilter(call);
  if (!filter.ok()) return ApiResult::Error(ApiErrorType::kBadData, filter.status().message());
  std::vector<RuleGroupInfo> groups;
  if (deps.rule_groups) groups = deps.rule_groups();
  JsonWriter w;
  w.BeginObject();
  w.Key("groups");
  w.BeginArray();
  for (const RuleGroupInfo& g : groups) {
    if (!filter->KeepsGroup(g)) continue;
    std::vector<const RuleInfo*> rules;
    for (const RuleInfo& r : g.rules) {
      if (filter->KeepsRule(r)) rules.push_back(&r);
    }
    if (rules.empty() && (filter->Any() || !filter->alerts || !filter->recording)) continue;
    w.BeginObject();
    w.Key("name");
    w.String(g.name);
    w.Key("file");
    w.String(g.file);
    w.Key("rules");
    w.BeginArray();
    for (const RuleInfo* r : rules) WriteRule(&w, *r, filter->exclude_alerts);
    w.EndArray();
    w.Key("interval");
    w.Double(static_cast<double>(g.interval_ms) / 1000.0);
    w.Key("limit");
    w.Int(g.limit);
    w.Key("evaluationTime");
    w.Double(g.evaluation_seconds);
    w.Key("lastEvaluation");
    WriteTime(&w, g.last_evaluation_ms);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return ApiResult::Data(w.Take());
}

ApiResult ServeAlerts(const ApiDeps& deps) {
  std::vector<AlertInfo> alerts;
  if (deps.alerts) alerts = deps.alerts();
  JsonWriter w;
  w.BeginObject();
  w.Key("alerts");
  w.BeginArray();
  for (const AlertInfo& a : alerts) WriteAlert(&w, a);
  w.EndArray();
  w.EndObject();
  return ApiResult::Data(w.Take());
}

}  // namespace promethium::web
