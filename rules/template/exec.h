// The template evaluator: walks a ParsedTemplate with a dot value and
// writes the output, with Go's text/template execution semantics (Go 1.19):
// variable scoping, if/with/range/else, break/continue, nested template
// calls, field and map access, function calls with Go's argument typing,
// and Go's error messages ("template: name:1:12: executing \"name\" at
// <...>: ...").
//
// Ownership: Execute borrows the tree, the options and the environment for
// the duration of the call. Thread-safety: Execute is reentrant; one parsed
// tree may be executed from many threads at once.
#pragma once

#include <cstddef>
#include <string>

#include "rules/template/functions.h"
#include "rules/template/parser.h"
#include "rules/template/value.h"
#include "tsdb/base/result.h"

namespace promethium::rules::tmpl {

// Go's "missingkey" option: what a missing map key evaluates to.
enum class MissingKey {
  kDefault,  // the invalid value, printed "<no value>"
  kZero,     // the zero value of the map's element type ("" for $labels)
  kError,    // an execution error
};

struct ExecOptions {
  MissingKey missing_key = MissingKey::kZero;
  size_t max_output_bytes = 1 << 20;
  int max_template_depth = 1000;  // nested {{template}} calls
  size_t max_range_iterations = 1000000;
};

Result<std::string> Execute(const ParsedTemplate& t, const Value& dot, const ExecOptions& opts, const CallEnv& env);

}  // namespace promethium::rules::tmpl
