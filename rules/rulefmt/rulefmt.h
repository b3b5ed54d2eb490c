// Rule files: the YAML format of Prometheus's recording and alerting rules,
// decoded and validated as Prometheus 3.x's model/rulefmt does (and so as
// `promtool check rules` reports), with every problem of a file reported at
// once, in file order, each naming the file, line:col, group and rule.
//
// Format (Prometheus 3.x stable fields):
//   groups:
//     - name: <string>                 # required, unique in the file
//       interval: <duration>           # 0 or absent: the global evaluation_interval
//       query_offset: <duration>       # absent: the global rule_query_offset
//       limit: <int>                   # <= 0: no limit (Prometheus accepts negatives)
//       labels: {<name>: <value>}      # added to every rule of the group
//       rules:
//         - record: <metric name>      # exactly one of record / alert
//           alert: <string>
//           expr: <PromQL>             # required, must parse
//           for: <duration>            # alerts only
//           keep_firing_for: <duration># alerts only
//           labels: {<name>: <template>}
//           annotations: {<name>: <template>}  # alerts only
//
// Decoding is strict: unknown fields, duplicate keys and type mismatches are
// errors ("field x not found in type rulefmt.Rule"), and as in Prometheus a
// file that fails to decode is not validated further. Only the first YAML
// document of a file is read (Prometheus ignores the others too).
//
// Names: by default metric (record) and label names follow Prometheus 3's
// default UTF-8 scheme (any non-empty valid UTF-8; record names must not
// contain braces). NameValidation::kLegacy gives the 2.x rules
// ([a-zA-Z_:][a-zA-Z0-9_:]* for record names, no ':' in label names); the
// integrator picks it when metric_name_validation_scheme is "legacy".
//
// Templates: label and annotation values of alerting rules are Go templates.
// Their syntax is checked through TemplateChecker, called as Prometheus does
// it: with the name "__alert_<alertname>" and the text prefixed by
// Prometheus's variable preamble ({{$labels := .Labels}}{{$externalLabels :=
// .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}), so
// the checker can simply parse (name, text) with the template engine. An
// empty checker skips template checks.
//
// Ownership: all results are plain values owned by the caller.
// Thread-safety: the functions are reentrant; the checker must be callable
// from the calling thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "promql/parser/parser.h"
#include "tsdb/api/labels.h"
#include "tsdb/base/env.h"
#include "tsdb/base/result.h"
#include "tsdb/base/status.h"

namespace promethium::rules {

struct RuleNode {
  std::string record;  // set for recording rules
  std::string alert;   // set for alerting rules
  std::string expr;
  int64_t for_ms = 0;
  int64_t keep_firing_for_ms = 0;
  Labels labels;  // raw (unexpanded) template texts for alerts; empty values dropped
  std::vector<std::pair<std::string, std::string>> annotations;  // sorted by name, raw templates
  int line = 0;                                                  // 1-based line of the rule
};

struct RuleGroup {
  std::string name;
  int64_t interval_ms = 0;       // 0: the global evaluation_interval
  int64_t query_offset_ms = -1;  // -1: unset (the global rule_query_offset)
  int64_t limit = 0;             // <= 0: no limit; Go's int
  Labels labels;
  std::vector<RuleNode> rules;
  int line = 0;  // 1-based line of the group
};

struct RuleFile {
  std::string path;
  std::vector<RuleGroup> groups;
};

// Checks one template's syntax; returns the engine's error (for Go's engine
// "template: __alert_x:1: unclosed action") or OK.
using TemplateChecker = std::function<Status(std::string_view template_name, std::string_view text)>;

enum class NameValidation {
  kUtf8,    // Prometheus 3.x default
  kLegacy,  // Prometheus 2.x
};

struct RuleFileOptions {
  NameValidation names = NameValidation::kUtf8;
  promql::ParseOptions promql;  // the server's PromQL feature flags
};

// Decodes and validates `content`. On failure the Status is InvalidArgument
// and its message has one line per problem, in file order, each
// "<path>: <line>:<col>: <what>", e.g.
//   rules.yml: 15:15: group "node", rule 2, "HostDown": could not parse expression: 1:7: parse error: ...
//   rules.yml: 20:5: groupname: "node" is repeated in the same file
Result<RuleFile> ParseRuleFile(std::string_view path, std::string_view content, const TemplateChecker& check_template,
                               const RuleFileOptions& options = {});

// Reads `path` through env, then ParseRuleFile. A read error reads
// "<path>: <error>".
Result<RuleFile> LoadRuleFile(Env* env, const std::string& path, const TemplateChecker& check_template,
                              const RuleFileOptions& options = {});

// Resolves the config's rule_files patterns as Prometheus does: a pattern
// may hold wildcards ('*', '?', '[...]') and '*' only in its last path
// element (else "invalid rule file path \"x\""); relative patterns are
// joined to config_dir and cleaned; each is globbed (Go's filepath.Glob:
// sorted matches, '*' also matches leading dots, no match is not an error).
// The result keeps pattern order, then match order, without duplicates.
Result<std::vector<std::string>> ExpandRuleFileGlobs(const std::vector<std::string>& patterns,
                                                     const std::string& config_dir);

}  // namespace promethium::rules
