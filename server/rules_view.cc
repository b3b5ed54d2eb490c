#include "server/rules_view.h"

#include <algorithm>

#include "rules/manager/alerting_rule.h"

namespace promethium::server {
namespace {

Labels PairsToLabels(const std::vector<std::pair<std::string, std::string>>& pairs) {
  std::vector<Label> out;
  for (const auto& [k, v] : pairs) out.push_back(Label{k, v});
  return Labels::FromVector(std::move(out));
}

web::AlertInfo ToAlertInfo(const rules::Alert& a) {
  web::AlertInfo out;
  out.labels = a.labels;
  out.annotations = a.annotations;
  out.state = std::string(rules::AlertStateName(a.state));
  out.active_at_ms = a.active_at_ms;
  out.keep_firing_since = a.keep_firing_since_ms.value_or(0);
  out.sub_ms_ns = a.sub_ms_ns;
  out.value = a.value;
  return out;
}

web::RuleInfo ToRuleInfo(const rules::Rule& rule) {
  web::RuleInfo out;
  out.name = rule.name();
  out.query = rule.expr();
  out.labels = rule.labels();
  const rules::RuleStatus st = rule.status();
  out.health = std::string(rules::RuleHealthName(st.health));
  out.last_error = st.last_error;
  out.evaluation_seconds = st.evaluation_seconds;
  out.last_evaluation_ms = st.last_evaluation_ms;
  if (!rule.is_alerting()) return out;
  const auto& alerting = static_cast<const rules::AlertingRule&>(rule);
  out.alerting = true;
  out.for_ms = alerting.for_ms();
  out.keep_firing_for_ms = alerting.keep_firing_for_ms();
  out.annotations = PairsToLabels(alerting.annotations());
  out.state = std::string(rules::AlertStateName(alerting.State()));
  out.alerts = ToAlertInfos(alerting.ActiveAlerts());
  return out;
}

}  // namespace

std::vector<web::AlertInfo> ToAlertInfos(const std::vector<rules::Alert>& alerts) {
  std::vector<web::AlertInfo> out;
  out.reserve(alerts.size());
  for (const rules::Alert& a : alerts) out.push_back(ToAlertInfo(a));
  return out;
}

std::vector<web::RuleGroupInfo> ToRuleGroupInfos(const std::vector<std::shared_ptr<rules::Group>>& groups) {
  std::vector<web::RuleGroupInfo> out;
  for (const auto& g : groups) {
    web::RuleGroupInfo info;
    info.name = g->name();
    info.file = g->file();
    info.interval_ms = g->interval_ms();
    info.limit = g->limit();
    info.evaluation_seconds = g->evaluation_seconds();
    info.last_evaluation_ms = g->last_evaluation_ms();
    for (const auto& r : g->rules()) info.rules.push_back(ToRuleInfo(*r));
    out.push_back(std::move(info));
  }
  return out;
}

}  // namespace promethium::server
