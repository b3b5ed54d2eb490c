// /api/v1/format_query and /api/v1/parse_query, as Prometheus's formatQuery
// and parseQuery: parse the "query" parameter, then return its prettified
// text or its AST as JSON. Parse errors are bad_data on parameter "query".
#include "promql/parser/ast_json.h"
#include "promql/parser/parser.h"
#include "promql/parser/pretty.h"
#include "web/api_endpoints.h"
#include "web/json_writer.h"

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

// Lets the parser's AST JSON writer write through JsonWriter, so that the
// tree gets the same Go-compatible escaping as every other API answer.
class JsonWriterEncoder final : public promql::JsonEncoder {
 public:
  explicit JsonWriterEncoder(JsonWriter* w) : w_(w) {}
  void BeginObject() override { w_->BeginObject(); }
  void EndObject() override { w_->EndObject(); }
  void BeginArray() override { w_->BeginArray(); }
  void EndArray() override { w_->EndArray(); }
  void Key(std::string_view key) override { w_->Key(key); }
  void String(std::string_view s) override { w_->String(s); }
  void Int(int64_t v) override { w_->Int(v); }
  void Bool(bool b) override { w_->Bool(b); }
  void Null() override { w_->Null(); }

 private:
  JsonWriter* w_;
};

}  // namespace

ApiResult ServeFormatQuery(const ApiCall& call) {
  Result<promql::ExprPtr> expr = ParseQueryParam(call);
  if (!expr.ok()) return ApiResult::InvalidParam("query", expr.status().message());
  JsonWriter w;
  w.String(promql::PrettyPrint(**expr));
  return ApiResult::Data(w.Take());
}

ApiResult ServeParseQuery(const ApiCall& call) {
  Result<promql::ExprPtr> expr = ParseQueryParam(call);
  if (!expr.ok()) return ApiResult::InvalidParam("query", expr.status().message());
  JsonWriter w;
  JsonWriterEncoder encoder(&w);
  promql::WriteAstJson(**expr, &encoder);
  return ApiResult::Data(w.Take());
}

}  // namespace promethium::web
