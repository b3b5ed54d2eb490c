// label_replace and label_join: rewrite series labels (RE2, fully anchored),
// then merge series that end up with the same labels (disjoint points only).
#include <re2/re2.h>

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

}  // namespace

Result<EvMatrix> Evaluator::EvalLabelFunction(const Call& c) {
  const bool replace = c.func->name == "label_replace";
  const std::string dst = StringArg(*c.args[1]);
  std::unique_ptr<re2::RE2> re;
  std::string repl, src, sep;
  std::vector<std::string> srcs;
  if (replace) {
    repl = StringArg(*c.args[2]);
    src = StringArg(*c.args[3]);
    std::string regex = StringArg(*c.args[4]);
    re2::RE2::Options o;
    o.set_log_errors(false);
    re = std::make_unique<re2::RE2>("^(?s:" + regex + ")$", o);
    if (!re->ok()) return Status::InvalidArgument("invalid regular expression in label_replace(): " + regex);
    if (!IsValidUtf8LabelName(dst))
      return Status::InvalidArgument("invalid destination label name in label_replace(): " + dst);
  } else {
    sep = StringArg(*c.args[2]);
    for (size_t i = 3; i < c.args.size(); ++i) {
      srcs.push_back(StringArg(*c.args[i]));
      if (!IsValidUtf8LabelName(srcs.back())) {
        return Status::InvalidArgument("invalid source label name in label_join(): " + srcs.back());
      }
    }
    if (!IsValidUtf8LabelName(dst))
      return Status::InvalidArgument("invalid destination label name in label_join(): " + dst);
  }
  PROMETHIUM_ASSIGN_OR_RETURN(EvMatrix m, Eval(*c.args[0]));
  std::vector<re2::StringPiece> groups(replace ? static_cast<size_t>(re->NumberOfCapturingGroups()) + 1 : 0);
  for (auto& s : m) {
    std::string value;
    if (replace) {
      std::string src_val(s.metric.Get(src));
      if (!re->Match(src_val, 0, src_val.size(), re2::RE2::UNANCHORED, groups.data(),
                     static_cast<int>(groups.size()))) {
        continue;
      }
      value = Expand(*re, repl, groups);
    } else {
      for (size_t i = 0; i < srcs.size(); ++i) {
        if (i > 0) value += sep;
        value += s.metric.Get(srcs[i]);
      }
    }
    LabelsBuilder b(s.metric);
    b.Set(dst, value);
    s.metric = b.Build();
    if (dst == kMetricName) s.drop_name = false;
  }
  PROMETHIUM_RETURN_IF_ERROR(MergeSameLabelset(&m));
  return m;
}

}  // namespace promethium::promql
