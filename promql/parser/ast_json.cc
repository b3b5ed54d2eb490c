#include "promql/parser/ast_json.h"

#include <charconv>
#include <cmath>
#include <string>
#include <vector>

#include "promql/parser/functions.h"

namespace promethium::promql {

namespace {

// Go's strconv.FormatFloat(v, 'f', -1, 64): the shortest round-trip digits,
// written in fixed notation (1e100 is "1" and 100 zeros, not the exact
// binary value's digits).
std::string FormatFloatFixed(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  if (ec != std::errc()) return "NaN";
  std::string_view sci(buf, static_cast<size_t>(ptr - buf));  // [-]d[.ddd]e±xx
  std::string out;
  if (sci.front() == '-') {
    out += '-';
    sci.remove_prefix(1);
  }
  size_t e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e)) {
    if (c != '.') digits += c;
  }
  int exp = std::stoi(std::string(sci.substr(e + 1)));
  int point = exp + 1;  // digits before the decimal point
  if (point <= 0) {
    out += "0." + std::string(static_cast<size_t>(-point), '0') + digits;
  } else if (static_cast<size_t>(point) >= digits.size()) {
    out += digits + std::string(static_cast<size_t>(point) - digits.size(), '0');
  } else {
    out += digits.substr(0, static_cast<size_t>(point)) + "." + digits.substr(static_cast<size_t>(point));
  }
  return out;
}

// Go's model.ValueType names, as FunctionInfo's argTypes serialize.
std::string_view ValueTypeName(ExprType t) {
  switch (t) {
    case ExprType::kScalar: return "scalar";
    case ExprType::kVector: return "vector";
    case ExprType::kMatrix: return "matrix";
    case ExprType::kString: return "string";
    case ExprType::kNone: break;
  }
  return "none";
}

std::string_view CardinalityName(Cardinality c) {
  switch (c) {
    case Cardinality::kOneToOne: return "one-to-one";
    case Cardinality::kManyToOne: return "many-to-one";
    case Cardinality::kOneToMany: return "one-to-many";
    case Cardinality::kManyToMany: return "many-to-many";
  }
  return "";
}

void Write(JsonEncoder* w, const Expr* e);

void WriteStringArray(JsonEncoder* w, const std::vector<std::string>& values) {
  w->BeginArray();
  for (const std::string& v : values) w->String(v);
  w->EndArray();
}

void WriteMatchers(JsonEncoder* w, const Matchers& matchers) {
  w->BeginArray();
  for (const Matcher& m : matchers) {
    w->BeginObject();
    w->Key("name");
    w->String(m.name());
    w->Key("type");
    w->String(MatchTypeString(m.type()));
    w->Key("value");
    w->String(m.value());
    w->EndObject();
  }
  w->EndArray();
}

// The @ modifier as "startOrEnd" and "timestamp", each null when unset.
// Callers place them in sorted key order.
void WriteStartOrEnd(JsonEncoder* w, AtModifier at) {
  w->Key("startOrEnd");
  if (at == AtModifier::kStart) {
    w->String("start");
  } else if (at == AtModifier::kEnd) {
    w->String("end");
  } else {
    w->Null();
  }
}

void WriteTimestamp(JsonEncoder* w, AtModifier at, int64_t ts_ms) {
  w->Key("timestamp");
  if (at == AtModifier::kTimestamp) {
    w->Int(ts_ms);
  } else {
    w->Null();
  }
}

// Vector and matrix selectors share all keys but "range" (matrix only).
void WriteSelector(JsonEncoder* w, const VectorSelector& vs, const int64_t* range_ms) {
  w->BeginObject();
  w->Key("anchored");
  w->Bool(false);
  w->Key("matchers");
  WriteMatchers(w, vs.matchers);
  w->Key("name");
  w->String(vs.name);
  w->Key("offset");
  w->Int(vs.offset_ms);
  if (range_ms != nullptr) {
    w->Key("range");
    w->Int(*range_ms);
  }
  w->Key("smoothed");
  w->Bool(false);
  WriteStartOrEnd(w, vs.at);
  WriteTimestamp(w, vs.at, vs.at_timestamp_ms);
  w->Key("type");
  w->String(range_ms != nullptr ? "matrixSelector" : "vectorSelector");
  w->EndObject();
}

void WriteAggregate(JsonEncoder* w, const AggregateExpr& a) {
  w->BeginObject();
  w->Key("expr");
  Write(w, a.expr.get());
  w->Key("grouping");
  WriteStringArray(w, a.grouping);
  w->Key("op");
  w->String(AggregateOpString(a.op));
  w->Key("param");
  Write(w, a.param.get());
  w->Key("type");
  w->String("aggregation");
  w->Key("without");
  w->Bool(a.without);
  w->EndObject();
}

void WriteBinary(JsonEncoder* w, const BinaryExpr& b) {
  w->BeginObject();
  w->Key("bool");
  w->Bool(b.return_bool);
  w->Key("lhs");
  Write(w, b.lhs.get());
  w->Key("matching");
  if (b.matching) {
    w->BeginObject();
    w->Key("card");
    w->String(CardinalityName(b.matching->card));
    w->Key("include");
    WriteStringArray(w, b.matching->include);
    w->Key("labels");
    WriteStringArray(w, b.matching->matching_labels);
    w->Key("on");
    w->Bool(b.matching->on);
    w->EndObject();
  } else {
    w->Null();
  }
  w->Key("op");
  w->String(BinaryOpString(b.op));
  w->Key("rhs");
  Write(w, b.rhs.get());
  w->Key("type");
  w->String("binaryExpr");
  w->EndObject();
}

void WriteCall(JsonEncoder* w, const Call& c) {
  w->BeginObject();
  w->Key("args");
  w->BeginArray();
  for (const ExprPtr& arg : c.args) Write(w, arg.get());
  w->EndArray();
  w->Key("func");
  w->BeginObject();
  w->Key("argTypes");
  w->BeginArray();
  for (ExprType t : c.func->arg_types) w->String(ValueTypeName(t));
  w->EndArray();
  w->Key("name");
  w->String(c.func->name);
  w->Key("returnType");
  w->String(ValueTypeName(c.func->return_type));
  w->Key("variadic");
  w->Int(c.func->variadic);
  w->EndObject();
  w->Key("type");
  w->String("call");
  w->EndObject();
}

void WriteSubquery(JsonEncoder* w, const SubqueryExpr& sq) {
  w->BeginObject();
  w->Key("expr");
  Write(w, sq.expr.get());
  w->Key("offset");
  w->Int(sq.offset_ms);
  w->Key("range");
  w->Int(sq.range_ms);
  WriteStartOrEnd(w, sq.at);
  w->Key("step");
  w->Int(sq.step_ms);
  WriteTimestamp(w, sq.at, sq.at_timestamp_ms);
  w->Key("type");
  w->String("subquery");
  w->EndObject();
}

// A node with only "expr", "op" (unary only) and "type" keys.
void WriteWrapper(JsonEncoder* w, std::string_view type, const Expr& inner, std::string_view op) {
  w->BeginObject();
  w->Key("expr");
  Write(w, &inner);
  if (!op.empty()) {
    w->Key("op");
    w->String(op);
  }
  w->Key("type");
  w->String(type);
  w->EndObject();
}

void WriteLiteral(JsonEncoder* w, std::string_view type, std::string_view val) {
  w->BeginObject();
  w->Key("type");
  w->String(type);
  w->Key("val");
  w->String(val);
  w->EndObject();
}

void Write(JsonEncoder* w, const Expr* e) {
  if (e == nullptr) return w->Null();
  switch (e->kind()) {
    case NodeKind::kAggregate: return WriteAggregate(w, e->As<AggregateExpr>());
    case NodeKind::kBinary: return WriteBinary(w, e->As<BinaryExpr>());
    case NodeKind::kCall: return WriteCall(w, e->As<Call>());
    case NodeKind::kMatrixSelector: {
      const auto& ms = e->As<MatrixSelector>();
      return WriteSelector(w, *ms.vector_selector, &ms.range_ms);
    }
    case NodeKind::kVectorSelector: return WriteSelector(w, e->As<VectorSelector>(), nullptr);
    case NodeKind::kSubquery: return WriteSubquery(w, e->As<SubqueryExpr>());
    case NodeKind::kNumberLiteral:
      return WriteLiteral(w, "numberLiteral", FormatFloatFixed(e->As<NumberLiteral>().value));
    case NodeKind::kStringLiteral: return WriteLiteral(w, "stringLiteral", e->As<StringLiteral>().value);
    case NodeKind::kParen: return WriteWrapper(w, "parenExpr", *e->As<ParenExpr>().expr, "");
    case NodeKind::kUnary: {
      const auto& u = e->As<UnaryExpr>();
      return WriteWrapper(w, "unaryExpr", *u.expr, u.negate ? "-" : "+");
    }
  }
  w->Null();
}

}  // namespace

void WriteAstJson(const Expr& expr, JsonEncoder* out) { Write(out, &expr); }

}  // namespace promethium::promql
