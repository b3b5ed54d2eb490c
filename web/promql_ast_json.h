// AstToJson: the JSON tree /api/v1/parse_query returns for a PromQL AST, in
// the shape of Prometheus 3.x's translateAST (web/api/v1/translate_ast.go),
// which the UI's tree view reads. Keys are written in sorted order, as Go's
// encoding/json does for maps.
//
// Thread-safety: a pure function.
#pragma once

#include <string>

#include "promql/parser/ast.h"

namespace promethium::web {

std::string AstToJson(const promql::Expr& expr);

}  // namespace promethium::web
