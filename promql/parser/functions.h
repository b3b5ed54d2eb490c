// The table of PromQL functions the parser knows: names, argument types and
// return types (Prometheus's parser.Functions). The engine implements them;
// the parser only type-checks calls against this table.
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
};

// The function named `name`, or nullptr.
const FunctionInfo* LookupFunction(std::string_view name);
// Every known function, for autocompletion and docs.
const std::vector<FunctionInfo>& AllFunctions();

}  // namespace promethium::promql
