// /api/v1/format_query and /api/v1/parse_query, as Prometheus's formatQuery
// and parseQuery: parse the "query" parameter, then return its prettified
// text or its AST as JSON. Parse errors are bad_data on parameter "query".
#include "promql/parser/parser.h"
#include "web/api_endpoints.h"
#include "web/json_writer.h"
#include "web/promql_ast_json.h"
#include "web/promql_pretty.h"

namespace promethium::web {

namespace {

Result<promql::ExprPtr> ParseQueryParam(const ApiCall& call) {
  // Accept every function the parser knows: formatting must not reject
  // what a newer client could send.
  promql::ParseOptions opts;
  opts.enable_experimental_functions = true;
  opts.enable_limit_aggregations = true;
  return promql::ParseExpr(call.form.Get("query"), opts);
}

}  // namespace

ApiResult ServeFormatQuery(const ApiCall& call) {
  Result<promql::ExprPtr> expr = ParseQueryParam(call);
  if (!expr.ok()) return ApiResult::InvalidParam("query", expr.status().message());
  JsonWriter w;
  w.String(PrettyPrint(**expr));
  return ApiResult::Data(w.Take());
}

ApiResult ServeParseQuery(const ApiCall& call) {
  Result<promql::ExprPtr> expr = ParseQueryParam(call);
  if (!expr.ok()) return ApiResult::InvalidParam("query", expr.status().message());
  return ApiResult::Data(AstToJson(**expr));
}

}  // namespace promethium::web
