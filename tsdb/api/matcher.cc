#include "tsdb/api/matcher.h"

#include <re2/re2.h>

#include "tsdb/api/labels.h"

namespace promethium {
namespace {

// Returns the literal alternatives of a pattern like "a|b|c" (no regex
// metacharacters at all), or nullopt.
std::optional<std::vector<std::string>> LiteralAlternatives(const std::string& pattern) {
  static constexpr std::string_view kMeta = "\\.+*?()[]{}^$";
  std::vector<std::string> out;
  std::string cur;
  for (char c : pattern) {
    if (kMeta.find(c) != std::string_view::npos) return std::nullopt;
    if (c == '|') {
      out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  out.push_back(std::move(cur));
  return out;
}

}  // namespace

std::string_view MatchTypeString(MatchType type) {
  switch (type) {
    case MatchType::kEqual: return "=";
    case MatchType::kNotEqual: return "!=";
    case MatchType::kRegexMatch: return "=~";
    case MatchType::kRegexNoMatch: return "!~";
  }
  return "=";
}

Result<Matcher> Matcher::Make(MatchType type, std::string name, std::string value) {
  Matcher m;
  m.type_ = type;
  m.name_ = std::move(name);
  m.value_ = std::move(value);
  if (type == MatchType::kRegexMatch || type == MatchType::kRegexNoMatch) {
    RE2::Options opts;
    opts.set_log_errors(false);
    opts.set_dot_nl(true);  // Prometheus wraps patterns in (?s:...)
    auto re = std::make_shared<RE2>("^(?:" + m.value_ + ")$", opts);
    if (!re->ok()) {
      return Status::InvalidArgument("error parsing regexp: " + re->error() + ": `" + m.value_ + "`");
    }
    m.re_ = std::move(re);
    if (type == MatchType::kRegexMatch) m.set_matches_ = LiteralAlternatives(m.value_);
  }
  m.matches_empty_ = m.Matches("");
  return m;
}

bool Matcher::Matches(std::string_view v) const {
  switch (type_) {
    case MatchType::kEqual: return v == value_;
    case MatchType::kNotEqual: return v != value_;
    case MatchType::kRegexMatch: return RE2::FullMatch(v, *re_);
    case MatchType::kRegexNoMatch: return !RE2::FullMatch(v, *re_);
  }
  return false;
}

std::string Matcher::ToString() const {
  std::string out = name_;
  out += MatchTypeString(type_);
  out += QuoteLabelValue(value_);
  return out;
}

}  // namespace promethium
