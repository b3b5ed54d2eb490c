// RelabelConfig: one rule of `relabel_configs` / `metric_relabel_configs`
// (Prometheus's relabel.Config), with its regex compiled.
//
// Defaults are Prometheus's: separator ";", regex "(.*)", replacement "$1",
// action replace. The regex is RE2 and fully anchored: pattern P matches a
// string only when "^(?s:P)$" does. Go's named-group syntax "(?<name>...)"
// is accepted as RE2's "(?P<name>...)". Validate() applies Prometheus's
// relabel.Config.Validate checks with its error messages.
//
// Ownership: a RelabelConfig is a value; copies share the immutable
// compiled regex. Thread-safety: immutable once built; any number of
// threads may use one concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tsdb/base/result.h"
#include "tsdb/base/status.h"

namespace re2 {
class RE2;
}

namespace promethium::scrape {

enum class RelabelAction {
  kReplace,
  kKeep,
  kDrop,
  kKeepEqual,
  kDropEqual,
  kHashMod,
  kLabelMap,
  kLabelDrop,
  kLabelKeep,
  kLowercase,
  kUppercase,
};

// "replace", "keep", ... as written in YAML.
std::string_view RelabelActionName(RelabelAction action);
// Case-insensitive, as Prometheus; fails with `unknown relabel action "x"`.
Result<RelabelAction> ParseRelabelAction(std::string_view name);

// Which label names a rule may produce: Prometheus 3's default UTF-8 (any
// non-empty valid UTF-8) or the legacy [a-zA-Z_][a-zA-Z0-9_]*.
enum class NameValidation { kUtf8, kLegacy };
bool IsValidLabelNameFor(NameValidation scheme, std::string_view name);

// An anchored RE2 regex plus Go's regexp.Expand for replacement templates.
class RelabelRegex {
 public:
  // The default regex "(.*)". Only a default-constructed RelabelRegex counts
  // as "the default" for validation, as in Prometheus (which compares the
  // compiled pointer): an explicit `regex: (.*)` does not.
  RelabelRegex();
  // Fails with "error parsing regexp: ..." when RE2 rejects the pattern.
  static Result<RelabelRegex> Make(std::string_view pattern);

  const std::string& pattern() const { return pattern_; }
  bool is_default() const { return is_default_; }

  bool Matches(std::string_view s) const;
  // Matches `s`; on success fills `groups` (index 0: whole match; unmatched
  // groups are empty) and returns true.
  bool Match(std::string_view s, std::vector<std::string_view>* groups) const;
  // Go's Regexp.Expand: $1, ${1}, $name, ${name}; "$$" is "$". A name is the
  // longest run of letters, digits and '_' ("$1x" means group "1x"); unknown
  // or unmatched groups expand to "". A malformed reference stays literal.
  // Letters are ASCII only (Go also accepts non-ASCII letters in names).
  std::string Expand(std::string_view tmpl, const std::vector<std::string_view>& groups) const;

  friend bool operator==(const RelabelRegex& a, const RelabelRegex& b) { return a.pattern_ == b.pattern_; }

 private:
  RelabelRegex(std::string pattern, std::shared_ptr<const re2::RE2> re, bool is_default);
  std::string pattern_;
  std::shared_ptr<const re2::RE2> re_;
  bool is_default_ = false;
};

struct RelabelConfig {
  std::vector<std::string> source_labels;
  std::string separator = ";";
  RelabelRegex regex;
  uint64_t modulus = 0;
  std::string target_label;
  std::string replacement = "$1";
  RelabelAction action = RelabelAction::kReplace;
  NameValidation name_validation = NameValidation::kUtf8;

  // Prometheus's relabel.Config.Validate, with its messages, e.g.
  // "relabel configuration for replace action requires 'target_label' value".
  Status Validate() const;

  friend bool operator==(const RelabelConfig&, const RelabelConfig&) = default;
};

}  // namespace promethium::scrape
