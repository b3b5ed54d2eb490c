// Matcher: one label matcher of a selector: name = "v", != , =~ or !~.
//
// Regexes are RE2, fully anchored as in Prometheus (the pattern P matches
// only when "^(?s:P)$" does), never std::regex. A Matcher is a cheap-to-copy
// value: the compiled regex is shared and immutable.
//
// Thread-safety: immutable after Make(); Matches() may be called from any
// number of threads at once.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tsdb/base/result.h"

namespace re2 {
class RE2;
}

namespace promethium {

enum class MatchType { kEqual, kNotEqual, kRegexMatch, kRegexNoMatch };

std::string_view MatchTypeString(MatchType type);  // "=", "!=", "=~", "!~"

class Matcher {
 public:
  // Fails with InvalidArgument for a regex RE2 cannot compile.
  static Result<Matcher> Make(MatchType type, std::string name, std::string value);

  MatchType type() const { return type_; }
  const std::string& name() const { return name_; }
  const std::string& value() const { return value_; }

  bool Matches(std::string_view value) const;
  // True when the matcher also matches the empty string, i.e. it selects
  // series that lack the label entirely (Prometheus semantics).
  bool MatchesEmpty() const { return matches_empty_; }
  // For =~ patterns that are a plain alternation of literals ("a|b|c") the
  // literal set, so postings can be looked up directly; otherwise nullopt.
  const std::optional<std::vector<std::string>>& SetMatches() const { return set_matches_; }

  // name="value" with the value quoted as Prometheus prints it.
  std::string ToString() const;

 private:
  Matcher() = default;
  MatchType type_ = MatchType::kEqual;
  std::string name_;
  std::string value_;
  std::shared_ptr<const re2::RE2> re_;
  bool matches_empty_ = false;
  std::optional<std::vector<std::string>> set_matches_;
};

using Matchers = std::vector<Matcher>;

}  // namespace promethium
