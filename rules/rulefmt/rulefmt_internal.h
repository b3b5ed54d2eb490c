// Internals of the rule file loader (rulefmt.h), shared by its two passes:
// decode.cc turns the YAML tree into Decoded* values that remember where
// each field was (as Prometheus's yaml.Node layer does), validate.cc checks
// them and builds the public RuleFile.
//
// Not part of the library's interface. Thread-safety: plain values and
// reentrant functions.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rules/rulefmt/rulefmt.h"

namespace promethium::rules::rulefmt_internal {

// 1-based line and column; 0:0 when unknown.
struct Pos {
  int line = 0;
  int col = 0;
};
Pos PosOf(const YAML::Node& node);

// One entry of a labels or annotations mapping, in file order.
struct Entry {
  std::string name;
  std::string value;
  Pos name_pos;
  Pos value_pos;
};

struct DecodedRule {
  std::string record, alert, expr;
  bool has_record = false, has_alert = false, has_expr = false;  // the key is present
  Pos pos, record_pos, alert_pos, expr_pos;
  int64_t for_ms = 0;
  int64_t keep_firing_for_ms = 0;
  std::vector<Entry> labels;
  std::vector<Entry> annotations;
};

struct DecodedGroup {
  std::string name;
  Pos pos;
  int64_t interval_ms = 0;
  int64_t query_offset_ms = -1;
  int64_t limit = 0;
  std::vector<Entry> labels;
  std::vector<DecodedRule> rules;
};

// Decodes the document strictly. Problems go to *errors as "L:C: what"; the
// returned groups are meaningful only when no error was added.
std::vector<DecodedGroup> DecodeRuleGroups(const YAML::Node& root, std::vector<std::string>* errors);

// Validates decoded groups as rulefmt.RuleGroups.Validate does, appending
// "L:C: what" messages to *errors, and returns the public form.
std::vector<RuleGroup> ValidateRuleGroups(const std::vector<DecodedGroup>& groups, const RuleFileOptions& options,
                                          const TemplateChecker& check_template, std::vector<std::string>* errors);

// Name and value checks under a validation scheme.
bool IsValidUtf8(std::string_view s);
bool IsValidRuleLabelName(NameValidation scheme, std::string_view name);
bool IsValidRecordName(NameValidation scheme, std::string_view name);

}  // namespace promethium::rules::rulefmt_internal
