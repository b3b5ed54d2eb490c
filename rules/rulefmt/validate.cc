// Semantic validation of decoded rule groups: Prometheus 3.x's
// rulefmt.RuleGroups.Validate and Rule.Validate, check for check and in the
// same order within a rule, with a position on every message.
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "promql/parser/quoting.h"
#include "rules/rulefmt/rulefmt_internal.h"

namespace promethium::rules::rulefmt_internal {

bool IsValidUtf8(std::string_view s) {
  while (!s.empty()) {
    auto [rune, width] = promql::DecodeRune(s);
    if (rune == promql::kRuneError && width == 1) return false;
    s.remove_prefix(width);
  }
  return true;
}

bool IsValidRuleLabelName(NameValidation scheme, std::string_view name) {
  if (scheme == NameValidation::kLegacy) return IsValidLabelName(name);
  return !name.empty() && IsValidUtf8(name);
}

bool IsValidRecordName(NameValidation scheme, std::string_view name) {
  if (scheme == NameValidation::kLegacy) return IsValidMetricName(name);
  return !name.empty() && IsValidUtf8(name);
}

namespace {

// Prometheus's variable preamble of alert templates (rulefmt's
// testTemplateParsing); it adds no newline, so template lines are the value's.
constexpr std::string_view kTemplateDefs =
    "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}";

class RuleValidator {
 public:
  RuleValidator(const RuleFileOptions& options, const TemplateChecker& check_template, std::vector<std::string>* errors)
      : options_(options), check_template_(check_template), errors_(errors) {}

  // Appends the errors of rule number `index` (1-based) of group `group`.
  void Validate(const std::string& group, int index, const DecodedRule& r) {
    prefix_ = fmt::format("group {}, rule {}, {}: ", promql::GoQuote(group), index,
                          promql::GoQuote(!r.alert.empty() ? r.alert : r.record));
    CheckKindAndExpr(r);
    if (!r.record.empty()) CheckRecording(r);
    for (const Entry& l : r.labels) {
      if (!IsValidRuleLabelName(options_.names, l.name) || l.name == kMetricName) {
        Error(l.name_pos, "invalid label name: " + l.name);
      }
      if (!IsValidUtf8(l.value)) Error(l.value_pos, "invalid label value: " + l.value);
    }
    for (const Entry& a : r.annotations) {
      if (!IsValidRuleLabelName(options_.names, a.name)) Error(a.name_pos, "invalid annotation name: " + a.name);
    }
    if (!r.alert.empty() && check_template_) {
      CheckTemplates(r, r.labels, "label");
      CheckTemplates(r, r.annotations, "annotation");
    }
  }

 private:
  // A rule without the key at hand is placed at the rule itself.
  static Pos Or(bool has, Pos pos, const DecodedRule& r) { return has ? pos : r.pos; }

  void Error(Pos pos, std::string_view what) {
    errors_->push_back(fmt::format("{}:{}: {}{}", pos.line, pos.col, prefix_, what));
  }

  void CheckKindAndExpr(const DecodedRule& r) {
    if (!r.record.empty() && !r.alert.empty()) {
      errors_->push_back(fmt::format("{}:{}: {}:{}: {}only one of 'record' and 'alert' must be set", r.record_pos.line,
                                     r.record_pos.col, r.alert_pos.line, r.alert_pos.col, prefix_));
    }
    if (r.record.empty() && r.alert.empty()) {
      Pos pos = r.has_record ? r.record_pos : Or(r.has_alert, r.alert_pos, r);
      Error(pos, "one of 'record' or 'alert' must be set");
    }
    if (r.expr.empty()) {
      Error(Or(r.has_expr, r.expr_pos, r), "field 'expr' must be set in rule");
    } else if (Result<promql::ExprPtr> e = promql::ParseExpr(r.expr, options_.promql); !e.ok()) {
      Error(r.expr_pos, "could not parse expression: " + e.status().message());
    }
  }

  void CheckRecording(const DecodedRule& r) {
    if (!r.annotations.empty()) Error(r.record_pos, "invalid field 'annotations' in recording rule");
    if (r.for_ms != 0) Error(r.record_pos, "invalid field 'for' in recording rule");
    if (r.keep_firing_for_ms != 0) Error(r.record_pos, "invalid field 'keep_firing_for' in recording rule");
    if (!IsValidRecordName(options_.names, r.record)) Error(r.record_pos, "invalid recording rule name: " + r.record);
    // Valid UTF-8, but most likely a PromQL selector put in the wrong field.
    if (r.record.find_first_of("{}") != std::string::npos) {
      Error(r.record_pos, "braces present in the recording rule name; should it be in expr?: " + r.record);
    }
  }

  void CheckTemplates(const DecodedRule& r, const std::vector<Entry>& entries, std::string_view what) {
    const std::string name = "__alert_" + r.alert;
    for (const Entry& e : entries) {
      std::string text = std::string(kTemplateDefs) + e.value;
      Status s = check_template_(name, text);
      if (!s.ok()) Error(e.value_pos, fmt::format("{} {}: {}", what, promql::GoQuote(e.name), s.message()));
    }
  }

  const RuleFileOptions& options_;
  const TemplateChecker& check_template_;
  std::vector<std::string>* errors_;
  std::string prefix_;  // `group "g", rule 1, "name": `
};

Labels ToLabels(const std::vector<Entry>& entries) {
  std::vector<Label> labels;
  for (const Entry& e : entries) labels.push_back({e.name, e.value});
  return Labels::FromVector(std::move(labels));
}

RuleNode ToRule(const DecodedRule& r) {
  RuleNode out;
  out.record = r.record;
  out.alert = r.alert;
  out.expr = r.expr;
  out.for_ms = r.for_ms;
  out.keep_firing_for_ms = r.keep_firing_for_ms;
  out.labels = ToLabels(r.labels);
  for (const Entry& a : r.annotations) out.annotations.emplace_back(a.name, a.value);
  std::stable_sort(out.annotations.begin(), out.annotations.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  out.line = r.pos.line;
  return out;
}

void ValidateGroupLabels(const DecodedGroup& g, NameValidation scheme, std::vector<std::string>* errors) {
  for (const Entry& l : g.labels) {
    if (!IsValidRuleLabelName(scheme, l.name) || l.name == kMetricName) {
      errors->push_back(fmt::format("{}:{}: group {}: invalid label name: {}", l.name_pos.line, l.name_pos.col,
                                    promql::GoQuote(g.name), l.name));
    }
    if (!IsValidUtf8(l.value)) {
      errors->push_back(fmt::format("{}:{}: group {}: invalid label value: {}", l.value_pos.line, l.value_pos.col,
                                    promql::GoQuote(g.name), l.value));
    }
  }
}

}  // namespace

std::vector<RuleGroup> ValidateRuleGroups(const std::vector<DecodedGroup>& groups, const RuleFileOptions& options,
                                          const TemplateChecker& check_template, std::vector<std::string>* errors) {
  std::vector<RuleGroup> out;
  std::set<std::string> seen;
  RuleValidator rules(options, check_template, errors);
  for (const DecodedGroup& g : groups) {
    if (g.name.empty()) errors->push_back(fmt::format("{}:{}: Groupname must not be empty", g.pos.line, g.pos.col));
    if (!seen.insert(g.name).second) {
      errors->push_back(
          fmt::format("{}:{}: groupname: \"{}\" is repeated in the same file", g.pos.line, g.pos.col, g.name));
    }
    ValidateGroupLabels(g, options.names, errors);
    RuleGroup rg;
    rg.name = g.name;
    rg.interval_ms = g.interval_ms;
    rg.query_offset_ms = g.query_offset_ms;
    rg.limit = g.limit;
    rg.labels = ToLabels(g.labels);
    rg.line = g.pos.line;
    for (size_t i = 0; i < g.rules.size(); ++i) {
      rules.Validate(g.name, static_cast<int>(i + 1), g.rules[i]);
      rg.rules.push_back(ToRule(g.rules[i]));
    }
    out.push_back(std::move(rg));
  }
  return out;
}

}  // namespace promethium::rules::rulefmt_internal
