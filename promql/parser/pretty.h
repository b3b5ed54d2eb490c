// PrettyPrint: Prometheus's parser.Prettify, the multi-line canonical form
// /api/v1/format_query returns (web calls it).
//
// A node whose one-line form (promql::ToString) fits in 100 characters is
// printed on one line; longer aggregations, binary operations, calls,
// parentheses and subqueries are split with two-space indentation exactly as
// Prometheus's promql/parser/prettier.go does.
// Thread-safety: a pure function.
#pragma once

#include <cstddef>
#include <string>

#include "promql/parser/ast.h"

namespace promethium::promql {

// Prometheus's maxCharactersPerLine.
inline constexpr size_t kPrettyMaxLineChars = 100;

// `max_line_chars` is a parameter only so tests can use Prometheus's own
// test cases, which print with 10.
std::string PrettyPrint(const Expr& expr, size_t max_line_chars = kPrettyMaxLineChars);

}  // namespace promethium::promql
