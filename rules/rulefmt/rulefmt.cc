// ParseRuleFile and LoadRuleFile: the edge of the rule file loader, where
// yaml-cpp's exceptions become a Status (see rulefmt.h).
#include "rules/rulefmt/rulefmt.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "promql/parser/quoting.h"
#include "rules/rulefmt/rulefmt_internal.h"

namespace promethium::rules {
namespace {

using rulefmt_internal::DecodedGroup;

// go-yaml refuses input that is not UTF-8 before parsing; yaml-cpp would
// pass the bytes through. Returns "L:C: yaml: ..." for the first bad byte.
std::string CheckUtf8(std::string_view content) {
  int line = 1, col = 1;
  while (!content.empty()) {
    auto [rune, width] = promql::DecodeRune(content);
    if (rune == promql::kRuneError && width == 1) {
      return fmt::format("{}:{}: yaml: invalid UTF-8 octet sequence", line, col);
    }
    if (rune == '\n') {
      ++line;
      col = 0;
    }
    ++col;
    content.remove_prefix(width);
  }
  return "";
}

// Decodes the first YAML document (the only one Prometheus reads).
std::vector<DecodedGroup> Decode(std::string_view content, std::vector<std::string>* errors) {
  try {
    YAML::Node root = YAML::Load(std::string(content));
    return rulefmt_internal::DecodeRuleGroups(root, errors);
  } catch (const YAML::Exception& e) {
    if (e.mark.is_null()) {
      errors->push_back("yaml: " + e.msg);
    } else {
      errors->push_back(fmt::format("{}:{}: yaml: {}", e.mark.line + 1, e.mark.column + 1, e.msg));
    }
  } catch (const std::exception& e) {
    errors->push_back(fmt::format("yaml: {}", e.what()));
  }
  return {};
}

Status FileError(std::string_view path, const std::vector<std::string>& errors) {
  std::string msg;
  for (const std::string& e : errors) {
    if (!msg.empty()) msg += '\n';
    msg += fmt::format("{}: {}", path, e);
  }
  return Status::InvalidArgument(std::move(msg));
}

}  // namespace

Result<RuleFile> ParseRuleFile(std::string_view path, std::string_view content, const TemplateChecker& check_template,
                               const RuleFileOptions& options) {
  std::vector<std::string> errors;
  if (std::string bad = CheckUtf8(content); !bad.empty()) return FileError(path, {bad});
  std::vector<DecodedGroup> decoded = Decode(content, &errors);
  // As Prometheus: a file that does not decode is not validated.
  if (!errors.empty()) return FileError(path, errors);
  RuleFile file;
  file.path = std::string(path);
  file.groups = rulefmt_internal::ValidateRuleGroups(decoded, options, check_template, &errors);
  if (!errors.empty()) return FileError(path, errors);
  return file;
}

Result<RuleFile> LoadRuleFile(Env* env, const std::string& path, const TemplateChecker& check_template,
                              const RuleFileOptions& options) {
  Result<std::string> content = ReadFileToString(env, path);
  if (!content.ok()) return content.status().WithContext(path);
  return ParseRuleFile(path, *content, check_template, options);
}

}  // namespace promethium::rules
