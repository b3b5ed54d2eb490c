// RecordingRule: evaluates an expression and stores its result under a new
// metric name, as Prometheus's rules.RecordingRule.
//
// Every output sample gets __name__ = the record name and the rule labels
// (a rule label overrides the sample's). Two output samples with the same
// labels are an error ("vector contains metrics with the same labelset
// after applying rule labels"), as are more than `limit` samples
// ("exceeded limit of L with N series"). A scalar result (converted by the
// QueryFunc) becomes one series with just the name and rule labels. Output
// samples carry the query time (evaluation time minus the query offset).
//
// Ownership: owns its name, expression and labels.
// Thread-safety: see Rule.
#pragma once

#include <string>

#include "rules/manager/rule.h"

namespace promethium::rules {

class RecordingRule final : public Rule {
 public:
  RecordingRule(std::string name, std::string expr, Labels labels);

  const std::string& name() const override { return name_; }
  const Labels& labels() const override { return labels_; }
  const std::string& expr() const override { return expr_; }
  std::string Definition() const override;
  bool is_alerting() const override { return false; }

  Result<promql::Vector> Eval(const RuleEvalContext& ctx) override;

 private:
  const std::string name_;
  const std::string expr_;
  const Labels labels_;
};

}  // namespace promethium::rules
