#include "scrape/relabel/relabel_config.h"

#include <fmt/format.h>
#include <re2/re2.h>

#include <array>
#include <utility>

#include "scrape/textparse/utf8.h"
#include "tsdb/api/labels.h"

namespace promethium::scrape {
namespace {

constexpr std::array<std::pair<RelabelAction, std::string_view>, 11> kActionNames = {{
    {RelabelAction::kReplace, "replace"},
    {RelabelAction::kKeep, "keep"},
    {RelabelAction::kDrop, "drop"},
    {RelabelAction::kKeepEqual, "keepequal"},
    {RelabelAction::kDropEqual, "dropequal"},
    {RelabelAction::kHashMod, "hashmod"},
    {RelabelAction::kLabelMap, "labelmap"},
    {RelabelAction::kLabelDrop, "labeldrop"},
    {RelabelAction::kLabelKeep, "labelkeep"},
    {RelabelAction::kLowercase, "lowercase"},
    {RelabelAction::kUppercase, "uppercase"},
}};

bool IsNameByte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// RE2 (as packaged in Debian 12) only knows "(?P<name>"; Go also accepts
// "(?<name>". Rewrites the latter outside escapes and character classes.
std::string TranslateNamedGroups(std::string_view pattern) {
  std::string out;
  out.reserve(pattern.size() + 4);
  bool in_class = false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    out.push_back(c);
    if (c == '\\' && i + 1 < pattern.size()) {
      out.push_back(pattern[++i]);
    } else if (in_class) {
      if (c == ']') in_class = false;
    } else if (c == '[') {
      in_class = true;
      if (i + 1 < pattern.size() && pattern[i + 1] == '^') out.push_back(pattern[++i]);
      if (i + 1 < pattern.size() && pattern[i + 1] == ']') out.push_back(pattern[++i]);  // literal ']'
    } else if (c == '(' && pattern.substr(i + 1, 2) == "?<" && i + 3 < pattern.size() && pattern[i + 3] != '=' &&
               pattern[i + 3] != '!') {
      out += "?P<";
      i += 2;
    }
  }
  return out;
}

std::shared_ptr<const re2::RE2> Compile(std::string_view pattern, std::string* error) {
  re2::RE2::Options opts;
  opts.set_log_errors(false);
  auto re = std::make_shared<const re2::RE2>("^(?s:" + TranslateNamedGroups(pattern) + ")$", opts);
  if (!re->ok()) {
    *error = re->error();
    return nullptr;
  }
  return re;
}

// Prometheus's relabelTargetLegacy: legacy label names that may contain
// $var / ${var} references, checked before expansion.
bool IsValidLegacyTargetTemplate(std::string_view s) {
  static const re2::RE2 kTemplate(R"(^(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+$)");
  return re2::RE2::FullMatch(re2::StringPiece(s.data(), s.size()), kTemplate);
}

bool HasVariable(std::string_view s) { return s.find('$') != std::string_view::npos; }

}  // namespace

std::string_view RelabelActionName(RelabelAction action) {
  for (const auto& [a, name] : kActionNames) {
    if (a == action) return name;
  }
  return "unknown";
}

Result<RelabelAction> ParseRelabelAction(std::string_view name) {
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  for (const auto& [a, n] : kActionNames) {
    if (n == lower) return a;
  }
  return Status::InvalidArgument(fmt::format("unknown relabel action {}", QuoteLabelValue(name)));
}

bool IsValidLabelNameFor(NameValidation scheme, std::string_view name) {
  if (scheme == NameValidation::kLegacy) return IsValidLabelName(name);
  return !name.empty() && textparse::ValidUtf8(name);
}

RelabelRegex::RelabelRegex() {
  static const std::shared_ptr<const re2::RE2> kDefault = [] {
    std::string error;
    return Compile("(.*)", &error);
  }();
  pattern_ = "(.*)";
  re_ = kDefault;
  is_default_ = true;
}

RelabelRegex::RelabelRegex(std::string pattern, std::shared_ptr<const re2::RE2> re, bool is_default)
    : pattern_(std::move(pattern)), re_(std::move(re)), is_default_(is_default) {}

Result<RelabelRegex> RelabelRegex::Make(std::string_view pattern) {
  std::string error;
  std::shared_ptr<const re2::RE2> re = Compile(pattern, &error);
  if (re == nullptr) return Status::InvalidArgument(fmt::format("error parsing regexp: {}", error));
  return RelabelRegex(std::string(pattern), std::move(re), /*is_default=*/false);
}

bool RelabelRegex::Matches(std::string_view s) const {
  return re_->Match(re2::StringPiece(s.data(), s.size()), 0, s.size(), re2::RE2::UNANCHORED, nullptr, 0);
}

bool RelabelRegex::Match(std::string_view s, std::vector<std::string_view>* groups) const {
  const int n = re_->NumberOfCapturingGroups() + 1;
  std::vector<re2::StringPiece> pieces(n);
  if (!re_->Match(re2::StringPiece(s.data(), s.size()), 0, s.size(), re2::RE2::UNANCHORED, pieces.data(), n)) {
    return false;
  }
  groups->clear();
  for (const re2::StringPiece& p : pieces) groups->emplace_back(p.data() == nullptr ? "" : p.data(), p.size());
  return true;
}

std::string RelabelRegex::Expand(std::string_view tmpl, const std::vector<std::string_view>& groups) const {
  std::string out;
  for (;;) {
    size_t dollar = tmpl.find('$');
    if (dollar == std::string_view::npos) break;
    out.append(tmpl.substr(0, dollar));
    tmpl.remove_prefix(dollar + 1);
    if (!tmpl.empty() && tmpl[0] == '$') {
      out.push_back('$');
      tmpl.remove_prefix(1);
      continue;
    }
    bool brace = !tmpl.empty() && tmpl[0] == '{';
    size_t start = brace ? 1 : 0;
    size_t end = start;
    while (end < tmpl.size() && IsNameByte(tmpl[end])) ++end;
    if (end == start || (brace && (end >= tmpl.size() || tmpl[end] != '}'))) {
      out.push_back('$');  // malformed: the '$' is literal text
      continue;
    }
    std::string_view name = tmpl.substr(start, end - start);
    tmpl.remove_prefix(brace ? end + 1 : end);
    // A decimal name without leading zeros (and below 1e8) is a group index.
    int num = 0;
    for (char c : name) {
      if (c < '0' || c > '9' || num >= 100'000'000) {
        num = -1;
        break;
      }
      num = num * 10 + (c - '0');
    }
    if (name.size() > 1 && name[0] == '0') num = -1;
    if (num < 0) {
      const auto& named = re_->NamedCapturingGroups();
      auto it = named.find(std::string(name));
      num = it == named.end() ? -1 : it->second;
    }
    if (num >= 0 && static_cast<size_t>(num) < groups.size()) out.append(groups[num]);
  }
  out.append(tmpl);
  return out;
}

Status RelabelConfig::Validate() const {
  const std::string_view act = RelabelActionName(action);
  const bool needs_target = action == RelabelAction::kReplace || action == RelabelAction::kHashMod ||
                            action == RelabelAction::kLowercase || action == RelabelAction::kUppercase ||
                            action == RelabelAction::kKeepEqual || action == RelabelAction::kDropEqual;
  const bool case_or_equal = action == RelabelAction::kLowercase || action == RelabelAction::kUppercase ||
                             action == RelabelAction::kKeepEqual || action == RelabelAction::kDropEqual;
  auto invalid_target = [&] {
    return Status::InvalidArgument(
        fmt::format("{} is invalid 'target_label' for {} action", QuoteLabelValue(target_label), act));
  };
  // Label names with $var references: UTF-8 allows them as they are.
  auto valid_template = [&](std::string_view s) {
    return name_validation == NameValidation::kUtf8 ? IsValidLabelNameFor(name_validation, s)
                                                    : IsValidLegacyTargetTemplate(s);
  };
  const RelabelConfig defaults;

  if (modulus == 0 && action == RelabelAction::kHashMod) {
    return Status::InvalidArgument("relabel configuration for hashmod requires non-zero modulus");
  }
  if (needs_target && target_label.empty()) {
    return Status::InvalidArgument(
        fmt::format("relabel configuration for {} action requires 'target_label' value", act));
  }
  if (action == RelabelAction::kReplace && !HasVariable(target_label) &&
      !IsValidLabelNameFor(name_validation, target_label)) {
    return invalid_target();
  }
  if (action == RelabelAction::kReplace && HasVariable(target_label) && !valid_template(target_label)) {
    return invalid_target();
  }
  if (case_or_equal && !IsValidLabelNameFor(name_validation, target_label)) return invalid_target();
  if (case_or_equal && replacement != defaults.replacement) {
    return Status::InvalidArgument(fmt::format("'replacement' can not be set for {} action", act));
  }
  if (action == RelabelAction::kLabelMap && !valid_template(replacement)) {
    return Status::InvalidArgument(
        fmt::format("{} is invalid 'replacement' for {} action", QuoteLabelValue(replacement), act));
  }
  if (action == RelabelAction::kHashMod && !IsValidLabelNameFor(name_validation, target_label)) {
    return invalid_target();
  }
  if (action == RelabelAction::kDropEqual || action == RelabelAction::kKeepEqual) {
    if (!regex.is_default() || modulus != defaults.modulus || separator != defaults.separator ||
        replacement != defaults.replacement) {
      return Status::InvalidArgument(
          fmt::format("{} action requires only 'source_labels' and `target_label`, and no other fields", act));
    }
  }
  if (action == RelabelAction::kLabelDrop || action == RelabelAction::kLabelKeep) {
    if (!source_labels.empty() || !target_label.empty() || modulus != defaults.modulus ||
        separator != defaults.separator || replacement != defaults.replacement) {
      return Status::InvalidArgument(fmt::format("{} action requires only 'regex', and no other fields", act));
    }
  }
  return Status::OK();
}

}  // namespace promethium::scrape
