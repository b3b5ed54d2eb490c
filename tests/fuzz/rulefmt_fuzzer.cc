// Fuzz target: the rule file loader (rules/rulefmt): YAML text to validated
// rule groups, with every PromQL expression parsed and every alert
// annotation and label template parsed by the real template engine
// (rules/template), as the rule manager loads files. Both name validation
// schemes are tried.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "rules/rulefmt/rulefmt.h"
#include "rules/template/template.h"

namespace {

promethium::Status CheckTemplate(std::string_view name, std::string_view text) {
  promethium::rules::TemplateOptions o;
  o.alert_preamble = false;  // rulefmt passes the text with the preamble, as the manager's checker
  auto t = promethium::rules::Template::Parse(name, text, o);
  return t.ok() ? promethium::Status::OK() : t.status();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 64 * 1024) return 0;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  promethium::rules::RuleFileOptions opts;
  (void)promethium::rules::ParseRuleFile("rules.yml", text, CheckTemplate, opts);
  opts.names = promethium::rules::NameValidation::kLegacy;
  opts.promql.enable_experimental_functions = true;
  (void)promethium::rules::ParseRuleFile("rules.yml", text, CheckTemplate, opts);
  return 0;
}
