// The function table: Go's text/template builtins and Prometheus's template
// functions (template/template.go), with their Go parameter types.
//
// The parser looks functions up to reject unknown and refused names and
// wrong argument counts at parse time; the evaluator converts arguments to
// the declared ParamType (Go's evalArg/validateType rules) and calls Impl.
// `and`/`or` short-circuit and are special-cased by the evaluator.
//
// Ownership: the table is a process-wide immutable singleton.
// Thread-safety: lookups are safe from any thread; Impl is reentrant.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rules/template/value.h"
#include "tsdb/base/result.h"

namespace promethium::rules {
class TemplateQuerier;
}

namespace promethium::rules::tmpl {

enum class ParamType {
  kAny,      // interface{} / reflect.Value
  kString,   // string (template.HTML is not assignable)
  kSample,   // *sample
  kSamples,  // queryResult
};

// What a function may consult besides its arguments.
struct CallEnv {
  TemplateQuerier* querier = nullptr;
  const std::string* external_url = nullptr;  // the --web.external-url
  int64_t eval_time_ms = 0;                   // for `now`
};

using FuncImpl = std::function<Result<Value>(const CallEnv&, std::vector<Value>& args)>;

struct FuncSpec {
  std::vector<ParamType> params;  // when variadic, the last one repeats
  bool variadic = false;
  FuncImpl impl;
};

// Null when the name is not a template function.
const FuncSpec* LookupFunction(std::string_view name);
// Functions Go or Prometheus define that we refuse ("call"): the reason.
std::optional<std::string> RefusedFunction(std::string_view name);

// Shared with the Prometheus function file.
void RegisterBuiltins(std::vector<std::pair<std::string, FuncSpec>>* out);
void RegisterPrometheusFunctions(std::vector<std::pair<std::string, FuncSpec>>* out);

// Go's fmt.Sprint of template arguments after printableValue ("<no value>"
// for nil): the string used by html, js, urlquery and print.
std::string EvalArgsString(const std::vector<Value>& args);
// url.QueryEscape.
std::string UrlQueryEscape(std::string_view s);

}  // namespace promethium::rules::tmpl
