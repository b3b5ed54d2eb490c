// Template: Prometheus's alert template language as a library.
//
// Alert labels and annotations are Go text/template text with Prometheus's
// functions (humanize, query, reReplaceAll, ...). Parse once when a rule
// file loads; Execute at every evaluation:
//
//   auto t = Template::Parse("__alert_HighLoad", "load is {{ $value }}", {});
//   auto text = (*t)->Execute({.labels = ..., .value = 3.2}, querier);
//
// With TemplateOptions::alert_preamble (the default) the text is prefixed
// with the variable definitions Prometheus adds to alert templates
// (kAlertTemplatePreamble), so $labels, $externalLabels, $externalURL and
// $value work and error positions match Prometheus's. Output is plain text
// (no HTML escaping) and a missing map key yields "" (missingkey=zero), as
// in Prometheus's alerting rules.
//
// Everything Go or Prometheus would accept but we do not implement fails at
// Parse (or, for dynamic cases, at Execute) with "unsupported: ...", never
// with wrong text. Parse errors read "template: <name>:<line>:<col>: ...".
//
// Ownership: a Template owns its parsed tree; Execute borrows the data and
// the querier for the duration of the call.
// Thread-safety: a parsed Template is immutable; Execute may run from many
// threads at once (the querier must then be thread-safe itself).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tsdb/api/labels.h"
#include "tsdb/base/result.h"

namespace promethium::rules {

namespace tmpl {
struct ParsedTemplate;
}

// The variable definitions Prometheus prepends to every alert template.
inline constexpr std::string_view kAlertTemplatePreamble =
    "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := "
    ".Value}}";

// One sample of an instant-vector result, for the `query` function.
struct TemplateQueryResult {
  Labels labels;  // including __name__ when the series has one
  double value = 0;
};

// Runs the PromQL of a template's `query` function at the evaluation time.
// Implemented by the rules engine over the PromQL engine.
class TemplateQuerier {
 public:
  virtual ~TemplateQuerier() = default;
  virtual Result<std::vector<TemplateQueryResult>> Query(std::string_view promql) = 0;
};

// What a missing map key evaluates to (Go's "missingkey" option).
enum class TemplateMissingKey {
  kDefault,  // prints "<no value>"
  kZero,     // the zero value: "" for $labels (Prometheus's choice)
  kError,    // an execution error
};

struct TemplateOptions {
  bool alert_preamble = true;
  TemplateMissingKey missing_key = TemplateMissingKey::kZero;
  size_t max_output_bytes = 1 << 20;  // an expansion producing more fails
  int max_template_depth = 1000;      // nested {{template}} calls
};

// The dot of an alert template (Prometheus's AlertTemplateData) plus what
// Prometheus's functions consult.
struct TemplateData {
  Labels labels;             // .Labels / $labels
  Labels external_labels;    // .ExternalLabels / $externalLabels
  std::string external_url;  // .ExternalURL / $externalURL, externalURL, pathPrefix
  double value = 0;          // .Value / $value
  int64_t eval_time_ms = 0;  // `now`
};

class Template {
 public:
  ~Template();
  Template(const Template&) = delete;
  Template& operator=(const Template&) = delete;

  static Result<std::unique_ptr<Template>> Parse(std::string_view name, std::string_view text,
                                                 const TemplateOptions& opts = {});

  // Expands the template. `querier` may be null when the template does not
  // call `query` (calling it then is an execution error).
  Result<std::string> Execute(const TemplateData& data, TemplateQuerier* querier) const;

  const std::string& name() const;

 private:
  Template(std::unique_ptr<tmpl::ParsedTemplate> parsed, const TemplateOptions& opts);
  std::unique_ptr<tmpl::ParsedTemplate> parsed_;
  TemplateOptions opts_;
};

}  // namespace promethium::rules
