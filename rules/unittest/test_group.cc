// One test group of a rule unit-test file: input, rule evaluation, alert
// and PromQL checks (see runner.h).
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <utility>
#include <variant>

#include "promql/engine/engine.h"
#include "promql/seriesnotation/series_notation.h"
#include "rules/manager/alerting_rule.h"
#include "rules/manager/manager.h"
#include "rules/template/go_format.h"
#include "rules/unittest/report.h"
#include "rules/unittest/runner.h"
#include "rules/unittest/storage.h"
#include "tsdb/base/duration.h"

namespace promethium::rules::unittest {

namespace {

promql::EngineOptions PromtoolEngineOptions(int64_t evaluation_interval_ms) {
  promql::EngineOptions o;
  o.lookback_delta_ms = 5 * 60 * 1000;
  o.timeout = std::chrono::seconds(100);
  o.max_samples = 10000;
  o.max_concurrency = 1;
  o.default_subquery_step_ms = evaluation_interval_ms;
  return o;
}

int64_t MaxEvalTime(const TestGroup& tg) {
  int64_t m = 0;
  for (const auto& a : tg.alert_rule_tests) m = std::max(m, a.eval_time_ms);
  for (const auto& p : tg.promql_expr_tests) m = std::max(m, p.eval_time_ms);
  return m;
}

// One input_series value: a float, or a native histogram when `h` is set.
struct InputSample {
  int64_t t = 0;
  double v = 0;
  std::shared_ptr<const FloatHistogram> h;
};

class GroupRun {
 public:
  GroupRun(const TestGroup& tg, const FileContext& ctx)
      : tg_(tg), ctx_(ctx), engine_(PromtoolEngineOptions(ctx.evaluation_interval_ms)) {}

  std::vector<std::string> Run();

 private:
  Status LoadInput();
  Status LoadRules();
  Status AppendTill(int64_t ts);
  // Evaluates every group at ts; false when a rule failed (errors added).
  bool EvalGroups(int64_t ts);
  void CheckAlerts(int64_t eval_time, const std::vector<const AlertTestCase*>& cases);
  void CheckExpr(const PromqlTestCase& tc);

  const TestGroup& tg_;
  const FileContext& ctx_;
  UnitTestStorage storage_;
  promql::Engine engine_;
  std::unique_ptr<Manager> manager_;
  std::vector<std::shared_ptr<Group>> groups_;        // in evaluation order
  std::map<Labels, std::vector<InputSample>> input_;  // samples not appended yet, by series
  std::vector<std::string> errs_;
};

Status GroupRun::LoadInput() {
  for (const InputSeries& is : tg_.input_series) {
    PROMETHIUM_ASSIGN_OR_RETURN(promql::seriesnotation::SeriesDesc d,
                                promql::seriesnotation::ParseSeriesDesc(is.series + " " + is.values));
    std::vector<InputSample> samples;
    for (size_t i = 0; i < d.values.size(); ++i) {
      const auto& v = d.values[i];
      if (v.omitted) continue;
      samples.push_back({static_cast<int64_t>(i) * tg_.interval_ms, v.value, v.histogram ? v.h : nullptr});
    }
    input_[d.metric] = std::move(samples);  // a repeated series replaces the earlier one
  }
  return Status::OK();
}

Status GroupRun::LoadRules() {
  ManagerOptions mo;
  mo.rules.query = EngineQueryFunc(&engine_, &storage_);
  mo.rules.appendable = &storage_;
  mo.rules.now_ms = [] { return int64_t{0}; };
  manager_ = std::make_unique<Manager>(std::move(mo));
  PROMETHIUM_RETURN_IF_ERROR(
      manager_->Update(tg_.interval_ms, ctx_.rule_files, tg_.external_labels, tg_.external_url, 0));
  groups_ = manager_->RuleGroups();
  auto order = [this](const std::shared_ptr<Group>& g) {
    auto it = ctx_.group_order.find(g->name());
    return it == ctx_.group_order.end() ? 0 : it->second;
  };
  std::stable_sort(groups_.begin(), groups_.end(), [&](const auto& a, const auto& b) { return order(a) < order(b); });
  for (const auto& g : groups_) {
    for (const auto& r : g->rules()) {
      if (r->is_alerting()) static_cast<AlertingRule&>(*r).SetRestored(true);
    }
  }
  return Status::OK();
}

Status GroupRun::AppendTill(int64_t ts) {
  std::unique_ptr<Appender> app = storage_.NewAppender();
  for (auto& [metric, samples] : input_) {
    size_t n = 0;
    for (; n < samples.size() && samples[n].t <= ts; ++n) {
      const InputSample& in = samples[n];
      // Histograms load with float counts, as promtool's test storage does.
      Result<SeriesRef> r = in.h != nullptr ? app->AppendHistogram(0, metric, in.t, nullptr, in.h.get())
                                            : app->Append(0, metric, in.t, in.v);
      if (!r.ok()) {
        app->Rollback().IgnoreError();  // the append error is the one reported
        return r.status();
      }
    }
    samples.erase(samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(n));
  }
  return app->Commit();
}

bool GroupRun::EvalGroups(int64_t ts) {
  std::vector<std::string> eval_errs;
  for (const auto& g : groups_) {
    g->EvalOnce(ts);
    for (const auto& r : g->rules()) {
      const RuleStatus st = r->status();
      if (st.health == RuleHealth::kBad) {
        eval_errs.push_back(
            fmt::format("    rule: {}, time: {}, err: {}", r->name(), GoDurationString(ts), st.last_error));
      }
    }
  }
  errs_.insert(errs_.end(), eval_errs.begin(), eval_errs.end());
  return eval_errs.empty();
}

// The firing alerts of the alerting rules named `name`, in every group.
std::vector<AlertLabels> FiringAlerts(const std::vector<std::shared_ptr<Group>>& groups, const std::string& name) {
  std::vector<AlertLabels> out;
  for (const auto& g : groups) {
    for (const auto& r : g->rules()) {
      if (!r->is_alerting() || r->name() != name) continue;
      for (const Alert& a : static_cast<const AlertingRule&>(*r).ActiveAlerts()) {
        if (a.state == AlertState::kFiring) out.push_back({a.labels.vec(), a.annotations.vec()});
      }
    }
  }
  return out;
}

void GroupRun::CheckAlerts(int64_t eval_time, const std::vector<const AlertTestCase*>& cases) {
  for (const AlertTestCase* tc : cases) {
    std::vector<AlertLabels> got = FiringAlerts(groups_, tc->alertname);
    std::vector<AlertLabels> exp;
    for (const ExpAlert& e : tc->exp_alerts) {
      std::map<std::string, std::string> ls;
      for (const Label& l : e.labels) ls[l.name] = l.value;
      ls["alertname"] = tc->alertname;
      AlertLabels a;
      for (auto& [n, v] : ls) a.labels.push_back({n, v});
      a.annotations = e.annotations;
      exp.push_back(std::move(a));
    }
    std::sort(got.begin(), got.end());
    std::sort(exp.begin(), exp.end());
    if (got == exp) continue;
    const std::string name = tg_.name.empty() ? "" : fmt::format("    name: {},\n", tg_.name);
    errs_.push_back(fmt::format("{}    alertname: {}, time: {}, \n        exp:{}, \n        got:{}", name,
                                tc->alertname, FormatDuration(eval_time),
                                IndentLines(AlertsString(exp), "            "),
                                IndentLines(AlertsString(got), "            ")));
  }
}

// The TestExpression of an exp_samples `histogram:` (empty for none), parsed
// as promtool does: the series notation of "{} " + text, exactly one value,
// a histogram.
Result<std::string> ExpectedHistogram(const std::string& text) {
  if (text.empty()) return std::string();
  PROMETHIUM_ASSIGN_OR_RETURN(promql::seriesnotation::SeriesDesc d,
                              promql::seriesnotation::ParseSeriesDesc("{} " + text));
  if (d.values.size() != 1) return Status::InvalidArgument(fmt::format("expected 1 value, got {}", d.values.size()));
  const auto& v = d.values[0];
  if (!v.histogram || v.h == nullptr) {
    const std::string got = v.omitted ? "_" : tmpl::FormatGoFloat(v.value, 'f', -1);
    return Status::InvalidArgument(fmt::format("expected histogram, got {}", got));
  }
  return v.h->TestExpression();
}

bool SamplesEqual(const std::vector<ParsedSample>& a, const std::vector<ParsedSample>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].labels != b[i].labels || !(a[i].value == b[i].value) || a[i].histogram != b[i].histogram) return false;
  }
  return true;
}

void GroupRun::CheckExpr(const PromqlTestCase& tc) {
  const std::string head =
      fmt::format("    expr: {}, time: {}", tmpl::GoQuote(tc.expr), FormatDuration(tc.eval_time_ms));
  promql::QueryResult res = engine_.InstantQuery(storage_, tc.expr, tc.eval_time_ms);
  std::vector<ParsedSample> got;
  if (res.ok()) {
    if (auto* vec = std::get_if<promql::Vector>(&res.value)) {
      for (const auto& e : *vec) {
        // A histogram sample's F is 0 in Prometheus; promtool compares it too.
        if (e.h != nullptr) {
          got.push_back({e.metric.vec(), 0, e.h->TestExpression()});
        } else {
          got.push_back({e.metric.vec(), e.v, ""});
        }
      }
    } else if (auto* sc = std::get_if<promql::Scalar>(&res.value)) {
      got.push_back({{}, sc->v, ""});
    } else {
      res.error = "rule result is not a vector or scalar";
    }
  }
  if (!res.ok() || !res.error.empty()) {
    errs_.push_back(fmt::format("{}, err: {}", head, res.error));
    return;
  }
  std::vector<ParsedSample> exp;
  for (const ExpSample& s : tc.exp_samples) {
    Result<Labels> ls = promql::seriesnotation::ParseMetric(s.labels);
    Result<std::string> hist = ls.ok() ? ExpectedHistogram(s.histogram) : Result<std::string>(ls.status());
    if (!hist.ok()) {
      errs_.push_back(fmt::format("{}, err: labels {}: {}", head, tmpl::GoQuote(s.labels), hist.status().message()));
      return;
    }
    exp.push_back({ls->vec(), s.value, *std::move(hist)});
  }
  auto by_labels = [](const ParsedSample& a, const ParsedSample& b) { return a.labels < b.labels; };
  std::stable_sort(exp.begin(), exp.end(), by_labels);
  std::stable_sort(got.begin(), got.end(), by_labels);
  if (!SamplesEqual(exp, got)) {
    errs_.push_back(fmt::format("{},\n        exp: {}\n        got: {}", head, SamplesString(exp), SamplesString(got)));
  }
}

std::vector<std::string> GroupRun::Run() {
  Status st = LoadInput();
  if (st.ok()) st = LoadRules();
  if (!st.ok()) return {st.message()};

  std::map<int64_t, std::vector<const AlertTestCase*>> alert_tests;  // by eval_time, sorted
  for (const AlertTestCase& a : tg_.alert_rule_tests) {
    if (a.alertname.empty()) {
      const std::string in = tg_.name.empty() ? "" : fmt::format(" (in TestGroup {})", tg_.name);
      return {fmt::format("an item under alert_rule_test misses required attribute alertname at eval_time {}{}",
                          FormatDuration(a.eval_time_ms), in)};
    }
    alert_tests[a.eval_time_ms].push_back(&a);
  }
  auto next = alert_tests.begin();
  const int64_t interval = ctx_.evaluation_interval_ms;
  const int64_t maxt = MaxEvalTime(tg_);
  for (int64_t ts = 0; ts <= maxt; ts += interval) {
    Status app = AppendTill(ts);
    if (!app.ok()) {
      errs_.push_back(app.message());
    } else if (!EvalGroups(ts)) {
      return errs_;
    }
    for (; next != alert_tests.end() && ts <= next->first && next->first < ts + interval; ++next) {
      CheckAlerts(next->first, next->second);
    }
  }
  for (const PromqlTestCase& tc : tg_.promql_expr_tests) CheckExpr(tc);
  return errs_;
}

}  // namespace

std::vector<std::string> RunTestGroup(const TestGroup& tg, const FileContext& ctx) {
  GroupRun run(tg, ctx);
  return run.Run();
}

}  // namespace promethium::rules::unittest
