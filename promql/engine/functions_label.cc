// label_replace and label_join: rewrite series labels (RE2, fully anchored),
// then merge series that end up with the same labels (disjoint points only).
// EvalCall reaches each through its function id (CallKind::kLabelReplace,
// kLabelJoin in functions_instant.cc), like every other function.
#include <re2/re2.h>

#include <optional>
#include <string>

#include "promql/engine/evaluator.h"

namespace promethium::promql {

namespace {

bool IsWordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Go's Regexp.ExpandString: $1, ${1}, $name, ${name}; $$ is a literal $.
// A reference to a missing group expands to "".
std::string Expand(const re2::RE2& re, std::string_view tmpl, const std::vector<re2::StringPiece>& groups) {
  const auto& named = re.NamedCapturingGroups();
  std::string out;
  size_t i = 0;
  while (i < tmpl.size()) {
    char ch = tmpl[i];
    if (ch != '$' || i + 1 >= tmpl.size()) {
      out += ch;
      ++i;
      continue;
    }
    if (tmpl[i + 1] == '$') {
      out += '$';
      i += 2;
      continue;
    }
    std::string_view name;
    size_t next;
    if (tmpl[i + 1] == '{') {
      size_t close = tmpl.find('}', i + 2);
      if (close == std::string_view::npos) {
        out += ch;
        ++i;
        continue;
      }
      name = tmpl.substr(i + 2, close - i - 2);
      next = close + 1;
      bool ok = !name.empty();
      for (char c : name) ok = ok && IsWordChar(c);
      if (!ok) {
        out += ch;
        ++i;
        continue;
      }
    } else {
      size_t j = i + 1;
      while (j < tmpl.size() && IsWordChar(tmpl[j])) ++j;
      if (j == i + 1) {
        out += ch;
        ++i;
        continue;
      }
      name = tmpl.substr(i + 1, j - i - 1);
      next = j;
    }
    int idx = -1;
    bool numeric = true;
    for (char c : name) numeric = numeric && std::isdigit(static_cast<unsigned char>(c));
    if (numeric) {
      idx = name.size() > 9 ? -1 : std::stoi(std::string(name));
    } else if (auto it = named.find(std::string(name)); it != named.end()) {
      idx = it->second;
    }
    if (idx >= 0 && static_cast<size_t>(idx) < groups.size() && groups[static_cast<size_t>(idx)].data() != nullptr) {
      out.append(groups[static_cast<size_t>(idx)].data(), groups[static_cast<size_t>(idx)].size());
    }
    i = next;
  }
  return out;
}

// Sets label `dst` of every series of `m` to value_of(series labels), leaving
// series for which it returns nullopt unchanged, then merges series that end
// up with the same labels. Label sets that grow are charged to the query's
// memory (a replacement can make them arbitrarily large).
template <typename ValueOf>
Result<EvMatrix> SetLabelOfEach(QueryContext* ctx, EvMatrix m, const std::string& dst, ValueOf value_of) {
  for (auto& s : m) {
    std::optional<std::string> value = value_of(s.metric);
    if (!value) continue;
    LabelsBuilder b(s.metric);
    b.Set(dst, *value);
    const int64_t before = SeriesBytes(s.metric);
    s.metric = b.Build();
    PROMETHIUM_RETURN_IF_ERROR(ctx->memory.ChargeAndCheck(SeriesBytes(s.metric) - before));
    if (dst == kMetricName) s.drop_name = false;
  }
  PROMETHIUM_RETURN_IF_ERROR(MergeSameLabelset(&m));
  return m;
}

}  // namespace

// label_replace(v, dst, replacement, src, regex)
Result<EvMatrix> Evaluator::EvalLabelReplace(const Call& c) {
  const std::string dst = StringArg(*c.args[1]);
  const std::string repl = StringArg(*c.args[2]);
  const std::string src = StringArg(*c.args[3]);
  const std::string regex = StringArg(*c.args[4]);
  re2::RE2::Options o;
  o.set_log_errors(false);
  const re2::RE2 re("^(?s:" + regex + ")$", o);
  if (!re.ok()) return Status::InvalidArgument("invalid regular expression in label_replace(): " + regex);
  if (!IsValidUtf8LabelName(dst))
    return Status::InvalidArgument("invalid destination label name in label_replace(): " + dst);
  PROMETHIUM_ASSIGN_OR_RETURN(EvMatrix m, Eval(*c.args[0]));
  std::vector<re2::StringPiece> groups(static_cast<size_t>(re.NumberOfCapturingGroups()) + 1);
  return SetLabelOfEach(ctx_, std::move(m), dst, [&](const Labels& metric) -> std::optional<std::string> {
    const std::string src_val(metric.Get(src));
    if (!re.Match(src_val, 0, src_val.size(), re2::RE2::UNANCHORED, groups.data(), static_cast<int>(groups.size()))) {
      return std::nullopt;  // no match: the series keeps its labels
    }
    return Expand(re, repl, groups);
  });
}

// label_join(v, dst, separator, src...)
Result<EvMatrix> Evaluator::EvalLabelJoin(const Call& c) {
  const std::string dst = StringArg(*c.args[1]);
  const std::string sep = StringArg(*c.args[2]);
  std::vector<std::string> srcs;
  for (size_t i = 3; i < c.args.size(); ++i) {
    srcs.push_back(StringArg(*c.args[i]));
    if (!IsValidUtf8LabelName(srcs.back())) {
      return Status::InvalidArgument("invalid source label name in label_join(): " + srcs.back());
    }
  }
  if (!IsValidUtf8LabelName(dst))
    return Status::InvalidArgument("invalid destination label name in label_join(): " + dst);
  PROMETHIUM_ASSIGN_OR_RETURN(EvMatrix m, Eval(*c.args[0]));
  return SetLabelOfEach(ctx_, std::move(m), dst, [&](const Labels& metric) -> std::optional<std::string> {
    std::string value;
    for (size_t i = 0; i < srcs.size(); ++i) {
      if (i > 0) value += sep;
      value += metric.Get(srcs[i]);
    }
    return value;
  });
}

}  // namespace promethium::promql
