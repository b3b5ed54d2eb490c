// The table of PromQL functions the parser knows: names, argument types and
// return types (Prometheus's parser.Functions). The engine implements them;
// the parser only type-checks calls against this table. A parsed Call points
// at its entry, whose `id` (its index in AllFunctions()) lets the engine
// dispatch through arrays built once, without name lookups per evaluation.
//
// Thread-safety: the table is immutable static data.
#pragma once

#include <string_view>
#include <vector>

#include "promql/parser/ast.h"

namespace promethium::promql {

struct FunctionInfo {
  std::string_view name;
  std::vector<ExprType> arg_types;
  // 0: exactly arg_types.size() args; n > 0: up to n trailing args optional;
  // -1: the last arg type repeats without limit (label_join).
  int variadic = 0;
  ExprType return_type = ExprType::kVector;
  bool experimental = false;  // needs --enable-feature=promql-experimental-functions
  int id = -1;                // index in AllFunctions(); set when the table is built
};

// The function named `name`, or nullptr.
const FunctionInfo* LookupFunction(std::string_view name);
// Every known function, for autocompletion and docs.
const std::vector<FunctionInfo>& AllFunctions();

}  // namespace promethium::promql
