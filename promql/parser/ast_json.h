// WriteAstJson: the JSON tree /api/v1/parse_query returns for a PromQL AST,
// in the shape of Prometheus 3.x's translateAST (web/api/v1/translate_ast.go),
// which the UI's tree view reads. Keys are written in sorted order, as Go's
// encoding/json does for maps.
//
// The parser decides the tree's shape; the bytes (string escaping, commas)
// belong to the caller's encoder, so that web writes this tree with the same
// Go-compatible JsonWriter as the rest of its API without the parser
// depending on web.
// Thread-safety: a pure function; the encoder is the caller's.
#pragma once

#include <cstdint>
#include <string_view>

#include "promql/parser/ast.h"

namespace promethium::promql {

// A streaming JSON encoder; it inserts commas itself, callers only emit
// containers, keys and values in order.
class JsonEncoder {
 public:
  virtual ~JsonEncoder() = default;
  virtual void BeginObject() = 0;
  virtual void EndObject() = 0;
  virtual void BeginArray() = 0;
  virtual void EndArray() = 0;
  virtual void Key(std::string_view key) = 0;
  virtual void String(std::string_view s) = 0;
  virtual void Int(int64_t v) = 0;
  virtual void Bool(bool b) = 0;
  virtual void Null() = 0;
};

void WriteAstJson(const Expr& expr, JsonEncoder* out);

}  // namespace promethium::promql
