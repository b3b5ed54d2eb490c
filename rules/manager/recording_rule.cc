// RecordingRule (see recording_rule.h).
#include "rules/manager/recording_rule.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

namespace promethium::rules {

RecordingRule::RecordingRule(std::string name, std::string expr, Labels labels)
    : name_(std::move(name)), expr_(std::move(expr)), labels_(std::move(labels)) {}

std::string RecordingRule::Definition() const {
  return fmt::format("record: {}\nexpr: {}\nlabels: {}\n", name_, expr_, labels_.ToString());
}

Result<promql::Vector> RecordingRule::Eval(const RuleEvalContext& ctx) {
  const int64_t query_ts = ctx.ts_ms - ctx.query_offset_ms;
  PROMETHIUM_ASSIGN_OR_RETURN(promql::Vector vec, (*ctx.query)(expr_, query_ts));

  LabelsBuilder lb;
  for (auto& s : vec) {
    lb.Reset(s.metric);
    lb.Set(kMetricName, name_);
    for (const Label& l : labels_) lb.Set(l.name, l.value);
    s.metric = lb.Build();
    s.t = query_ts;
  }

  // Duplicates after relabelling: sort a view of the label sets and compare
  // neighbours (Prometheus's Vector.ContainsSameLabelset).
  std::vector<const Labels*> sorted;
  sorted.reserve(vec.size());
  for (const auto& s : vec) sorted.push_back(&s.metric);
  std::sort(sorted.begin(), sorted.end(), [](const Labels* a, const Labels* b) { return *a < *b; });
  for (size_t i = 1; i < sorted.size(); ++i) {
    if (*sorted[i] == *sorted[i - 1]) {
      return Status::InvalidArgument("vector contains metrics with the same labelset after applying rule labels");
    }
  }

  if (ctx.limit > 0 && static_cast<int64_t>(vec.size()) > ctx.limit) {
    return Status::ResourceExhausted(fmt::format("exceeded limit of {} with {} series", ctx.limit, vec.size()));
  }
  return vec;
}

}  // namespace promethium::rules
