// Per-function engine data indexed by the parser's FunctionInfo::id, so a
// Call dispatches by array index instead of comparing function names. Each
// engine file builds its table once (function-local static) from
// (name, value) pairs; a name the parser does not know is a programming error
// and aborts at that first build, loudly naming the function. Functions with
// no entry keep the value-initialized T, which callers treat as
// "unsupported: function X".
//
// Thread-safety: a built table is immutable; build it in a function-local
// static so concurrent first uses are safe.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <string_view>
#include <utility>
#include <vector>

#include "promql/parser/ast.h"
#include "promql/parser/functions.h"

namespace promethium::promql {

template <typename T>
std::vector<T> IndexByFunctionId(std::initializer_list<std::pair<std::string_view, T>> entries) {
  std::vector<T> table(AllFunctions().size());
  for (const auto& [name, value] : entries) {
    const FunctionInfo* f = LookupFunction(name);
    if (f == nullptr) {
      std::fprintf(stderr, "promql engine: function table names unknown function %.*s\n", static_cast<int>(name.size()),
                   name.data());
      std::abort();
    }
    table[static_cast<size_t>(f->id)] = value;
  }
  return table;
}

// The entry for c's function in a table built by IndexByFunctionId.
template <typename T>
const T& FunctionEntry(const std::vector<T>& table, const Call& c) {
  return table[static_cast<size_t>(c.func->id)];
}

}  // namespace promethium::promql
