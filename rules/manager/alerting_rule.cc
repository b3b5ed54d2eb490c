// AlertingRule: construction, template expansion and the state machine
// (see alerting_rule.h).
#include "rules/manager/alerting_rule.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <utility>

namespace promethium::rules {

std::string_view AlertStateName(AlertState s) {
  switch (s) {
    case AlertState::kPending: return "pending";
    case AlertState::kFiring: return "firing";
    case AlertState::kInactive: break;
  }
  return "inactive";
}

namespace {

// Answers a template's `query` through the rule's QueryFunc at the
// evaluation time (not offset, as Prometheus's expander does).
class QueryFuncTemplateQuerier final : public TemplateQuerier {
 public:
  QueryFuncTemplateQuerier(const QueryFunc* query, int64_t ts_ms) : query_(query), ts_ms_(ts_ms) {}
  Result<std::vector<TemplateQueryResult>> Query(std::string_view promql) override {
    if (query_ == nullptr || !*query_) return Status::InvalidArgument("no query function");
    PROMETHIUM_ASSIGN_OR_RETURN(promql::Vector vec, (*query_)(promql, ts_ms_));
    std::vector<TemplateQueryResult> out;
    out.reserve(vec.size());
    for (auto& s : vec) {
      // Prometheus hands templates the histogram itself; a 0 would be wrong.
      if (s.h != nullptr) return Status::Unsupported("native histogram samples in template query results");
      out.push_back({std::move(s.metric), s.v});
    }
    return out;
  }

 private:
  const QueryFunc* query_;
  int64_t ts_ms_;
};

int64_t FloorSeconds(int64_t ms) { return ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000); }

}  // namespace

// One parsed template (or why it did not parse) per label and annotation.
struct AlertingRule::Expansion {
  struct Entry {
    std::string name;
    std::unique_ptr<Template> tmpl;
    Status parse_error;
    // Whether the text names the sample value. A textual check: Prometheus
    // gives a histogram sample's templates the histogram, which Template
    // cannot represent, so such templates must fail rather than print 0.
    bool mentions_value = false;
  };
  std::vector<Entry> labels;
  std::vector<Entry> annotations;

  static Entry Make(const std::string& alert, const std::string& name, const std::string& text) {
    Entry e{name, nullptr, Status::OK(),
            text.find("$value") != std::string::npos || text.find(".Value") != std::string::npos};
    auto t = Template::Parse("__alert_" + alert, text);
    if (t.ok()) {
      e.tmpl = std::move(t).value();
    } else {
      e.parse_error = t.status();
    }
    return e;
  }
};

namespace {
AlertingRuleOptions SortedAnnotations(AlertingRuleOptions o) {
  std::stable_sort(o.annotations.begin(), o.annotations.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  return o;
}
}  // namespace

AlertingRule::AlertingRule(AlertingRuleOptions opts)
    : opts_(SortedAnnotations(std::move(opts))), expansion_(std::make_unique<Expansion>()), restored_(opts_.restored) {
  for (const Label& l : opts_.labels) expansion_->labels.push_back(Expansion::Make(opts_.name, l.name, l.value));
  for (const auto& [n, v] : opts_.annotations) expansion_->annotations.push_back(Expansion::Make(opts_.name, n, v));
}

AlertingRule::~AlertingRule() = default;

std::string AlertingRule::Definition() const {
  std::string out =
      fmt::format("alert: {}\nexpr: {}\nfor: {}\nkeep_firing_for: {}\nlabels: {}\nannotations:", opts_.name, opts_.expr,
                  opts_.for_ms, opts_.keep_firing_for_ms, opts_.labels.ToString());
  for (const auto& [n, v] : opts_.annotations) out += fmt::format(" {}={}", n, QuoteLabelValue(v));
  return out + "\n";
}

Result<std::map<Labels, Alert>> AlertingRule::BuildAlerts(const promql::Vector& res, const RuleEvalContext& ctx) const {
  QueryFuncTemplateQuerier querier(ctx.query, ctx.ts_ms);
  const std::string tname = "__alert_" + opts_.name;
  auto expand = [&](const Expansion::Entry& e, const TemplateData& data, bool histogram) -> std::string {
    if (e.tmpl == nullptr) {
      return fmt::format("<error expanding template: error parsing template {}: {}>", tname, e.parse_error.message());
    }
    if (histogram && e.mentions_value) {
      return fmt::format("<error expanding template: error executing template {}: {}>", tname,
                         Status::Unsupported("$value of a native histogram sample in alert templates").message());
    }
    auto out = e.tmpl->Execute(data, &querier);
    if (out.ok()) return std::move(out).value();
    return fmt::format("<error expanding template: error executing template {}: {}>", tname, out.status().message());
  };

  std::map<Labels, Alert> alerts;
  LabelsBuilder lb;
  for (const auto& smpl : res) {
    const bool histogram = smpl.h != nullptr;
    const double value = histogram ? 0 : smpl.v;
    TemplateData data{smpl.metric, opts_.external_labels, opts_.external_url, value, ctx.ts_ms};
    lb.Reset(smpl.metric);
    lb.Del(kMetricName);
    for (const auto& e : expansion_->labels) lb.Set(e.name, expand(e, data, histogram));
    lb.Set("alertname", opts_.name);

    std::vector<Label> annotations;
    annotations.reserve(expansion_->annotations.size());
    for (const auto& e : expansion_->annotations) annotations.push_back({e.name, expand(e, data, histogram)});

    Labels key = lb.Build();
    if (alerts.count(key) != 0) {
      return Status::InvalidArgument("vector contains metrics with the same labelset after applying alert labels");
    }
    Alert a;
    a.state = AlertState::kPending;
    a.labels = key;
    a.annotations = Labels::FromSortedUnchecked(std::move(annotations));
    a.active_at_ms = ctx.ts_ms;
    a.sub_ms_ns = ctx.ts_sub_ms_ns;
    a.value = value;
    alerts.emplace(std::move(key), std::move(a));
  }
  return alerts;
}

promql::VectorElement AlertingRule::AlertSample(const Alert& a, int64_t ts) const {
  LabelsBuilder lb(opts_.labels);
  for (const Label& l : a.labels) lb.Set(l.name, l.value);
  lb.Set(kMetricName, kAlertMetricName);
  lb.Set("alertname", opts_.name);
  lb.Set("alertstate", AlertStateName(a.state));
  return {lb.Build(), ts, 1};
}

promql::VectorElement AlertingRule::ForStateSample(const Alert& a, int64_t ts) const {
  LabelsBuilder lb(opts_.labels);
  for (const Label& l : a.labels) lb.Set(l.name, l.value);
  lb.Set(kMetricName, kAlertForStateMetricName);
  lb.Set("alertname", opts_.name);
  return {lb.Build(), ts, static_cast<double>(FloorSeconds(a.active_at_ms))};
}

Labels AlertingRule::ForStateSelectorLabels() const {
  LabelsBuilder lb;
  for (const Label& l : opts_.labels) {
    if (l.value.find("{{") == std::string::npos) lb.Set(l.name, l.value);
  }
  lb.Set(kMetricName, kAlertForStateMetricName);
  lb.Set("alertname", opts_.name);
  return lb.Build();
}

Result<promql::Vector> AlertingRule::Eval(const RuleEvalContext& ctx) {
  const int64_t ts = ctx.ts_ms;
  const int64_t query_ts = ts - ctx.query_offset_ms;
  PROMETHIUM_ASSIGN_OR_RETURN(promql::Vector res, (*ctx.query)(opts_.expr, query_ts));
  using AlertMap = std::map<Labels, Alert>;
  PROMETHIUM_ASSIGN_OR_RETURN(AlertMap alerts, BuildAlerts(res, ctx));

  MutexLock l(&alerts_mu_);
  for (auto& [key, a] : alerts) {
    auto it = active_.find(key);
    if (it != active_.end() && it->second.state != AlertState::kInactive) {
      it->second.value = a.value;
      it->second.annotations = std::move(a.annotations);
      continue;
    }
    active_.insert_or_assign(key, std::move(a));
  }

  promql::Vector out;
  int64_t num_active_pending = 0;
  for (auto it = active_.begin(); it != active_.end();) {
    Alert& a = it->second;
    if (alerts.count(it->first) == 0) {
      bool keep_firing = false;
      if (a.state == AlertState::kFiring && opts_.keep_firing_for_ms > 0) {
        if (!a.keep_firing_since_ms) a.keep_firing_since_ms = ts;
        keep_firing = ts - *a.keep_firing_since_ms < opts_.keep_firing_for_ms;
      }
      if (a.state == AlertState::kPending || (a.resolved_at_ms && ts - *a.resolved_at_ms > kResolvedRetentionMs)) {
        it = active_.erase(it);  // neither case can be keep_firing
        continue;
      }
      if (a.state != AlertState::kInactive && !keep_firing) {
        a.state = AlertState::kInactive;
        a.resolved_at_ms = ts;
      }
      if (!keep_firing) {
        ++it;
        continue;
      }
    } else {
      a.keep_firing_since_ms.reset();
    }
    ++num_active_pending;
    if (a.state == AlertState::kPending && ts - a.active_at_ms >= opts_.for_ms) {
      a.state = AlertState::kFiring;
      a.fired_at_ms = ts;
    }
    if (a.state == AlertState::kFiring && ts - a.active_at_ms < opts_.for_ms) {
      a.state = AlertState::kPending;
      a.fired_at_ms.reset();
      a.last_sent_at_ms.reset();
      a.keep_firing_since_ms.reset();
    }
    if (restored_.load()) {
      out.push_back(AlertSample(a, query_ts));
      out.push_back(ForStateSample(a, query_ts));
    }
    ++it;
  }

  if (ctx.limit > 0 && num_active_pending > ctx.limit) {
    active_.clear();
    return Status::ResourceExhausted(fmt::format("exceeded limit of {} with {} alerts", ctx.limit, num_active_pending));
  }
  return out;
}

std::vector<Alert> AlertingRule::CurrentAlerts() const {
  MutexLock l(&alerts_mu_);
  std::vector<Alert> out;
  out.reserve(active_.size());
  for (const auto& [k, a] : active_) out.push_back(a);
  return out;
}

std::vector<Alert> AlertingRule::ActiveAlerts() const {
  MutexLock l(&alerts_mu_);
  std::vector<Alert> out;
  for (const auto& [k, a] : active_) {
    if (!a.resolved_at_ms) out.push_back(a);
  }
  return out;
}

AlertState AlertingRule::State() const {
  MutexLock l(&alerts_mu_);
  AlertState max = AlertState::kInactive;
  for (const auto& [k, a] : active_) max = std::max(max, a.state);
  return max;
}

std::vector<Alert> AlertingRule::TakeAlertsToSend(int64_t ts_ms, int64_t resend_delay_ms, int64_t interval_ms) {
  MutexLock l(&alerts_mu_);
  std::vector<Alert> out;
  for (auto& [k, a] : active_) {
    if (!a.NeedsSending(ts_ms, resend_delay_ms)) continue;
    a.last_sent_at_ms = ts_ms;
    a.valid_until_ms = ts_ms + 4 * std::max(interval_ms, resend_delay_ms);
    out.push_back(a);
  }
  return out;
}

void AlertingRule::ForEachAlert(const std::function<void(Alert*)>& fn) {
  MutexLock l(&alerts_mu_);
  for (auto& [k, a] : active_) fn(&a);
}

void AlertingRule::CopyAlertsFrom(const AlertingRule& from) {
  std::vector<Alert> copy = from.CurrentAlerts();
  MutexLock l(&alerts_mu_);
  for (auto& a : copy) active_.insert_or_assign(a.labels, std::move(a));
}

}  // namespace promethium::rules
