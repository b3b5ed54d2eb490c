// Go's text/template builtins (funcs.go) and the function table.
#include "rules/template/functions.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <mutex>

#include "rules/template/go_format.h"

namespace promethium::rules::tmpl {
namespace {

enum class BasicKind { kInvalid, kBool, kInt, kFloat, kString };

BasicKind KindOf(const Value& v) {
  switch (v.kind()) {
    case Kind::kBool: return BasicKind::kBool;
    case Kind::kInt: return BasicKind::kInt;
    case Kind::kFloat: return BasicKind::kFloat;
    case Kind::kString:
    case Kind::kHtml: return BasicKind::kString;
    default: return BasicKind::kInvalid;
  }
}

const char kBadType[] = "invalid type for comparison";
const char kBadComparison[] = "incompatible types for comparison";

Result<bool> Eq(const Value& a, const Value& b) {
  BasicKind k1 = KindOf(a), k2 = KindOf(b);
  if (k1 != k2) {
    if (a.valid() && b.valid()) return Status::InvalidArgument(kBadComparison);
    return false;
  }
  switch (k1) {
    case BasicKind::kBool: return a.b() == b.b();
    case BasicKind::kInt: return a.i() == b.i();
    case BasicKind::kFloat: return a.f() == b.f();
    case BasicKind::kString: return a.s() == b.s();
    case BasicKind::kInvalid: break;
  }
  if (!a.valid() || !b.valid()) return a.valid() == b.valid();
  if (a.kind() == Kind::kSample && b.kind() == Kind::kSample) return a.sample() == b.sample();
  if (a.kind() != b.kind()) {
    return Status::InvalidArgument(fmt::format("non-comparable types {}: {}, {}: {}", *FormatValue(a), a.TypeName(),
                                               b.TypeName(), *FormatValue(b)));
  }
  return Status::InvalidArgument(fmt::format("non-comparable type {}: {}", *FormatValue(b), b.TypeName()));
}

Result<bool> Lt(const Value& a, const Value& b) {
  BasicKind k1 = KindOf(a), k2 = KindOf(b);
  if (k1 == BasicKind::kInvalid || k2 == BasicKind::kInvalid) return Status::InvalidArgument(kBadType);
  if (k1 != k2) return Status::InvalidArgument(kBadComparison);
  switch (k1) {
    case BasicKind::kInt: return a.i() < b.i();
    case BasicKind::kFloat: return a.f() < b.f();
    case BasicKind::kString: return a.s() < b.s();
    default: return Status::InvalidArgument(kBadType);
  }
}

Result<Value> EqFn(const CallEnv&, std::vector<Value>& args) {
  if (args.size() < 2) return Status::InvalidArgument("missing argument for comparison");
  for (size_t i = 1; i < args.size(); ++i) {
    PROMETHIUM_ASSIGN_OR_RETURN(bool t, Eq(args[0], args[i]));
    if (t) return Value::Bool(true);
  }
  return Value::Bool(false);
}

// le, gt, ge as Go builds them from lt and eq.
Result<Value> Ordered(const std::vector<Value>& args, std::string_view op) {
  PROMETHIUM_ASSIGN_OR_RETURN(bool less, Lt(args[0], args[1]));
  if (op == "lt") return Value::Bool(less);
  if (op == "ge") return Value::Bool(!less);
  bool le = less;
  if (!le) {
    PROMETHIUM_ASSIGN_OR_RETURN(le, Eq(args[0], args[1]));
  }
  return Value::Bool(op == "le" ? le : !le);
}

Result<size_t> IndexArg(const Value& index, size_t cap) {
  if (index.kind() != Kind::kInt) {
    if (!index.valid()) return Status::InvalidArgument("cannot index slice/array with nil");
    return Status::InvalidArgument(fmt::format("cannot index slice/array with type {}", index.TypeName()));
  }
  if (index.i() < 0 || static_cast<uint64_t>(index.i()) > cap) {
    return Status::InvalidArgument(fmt::format("index out of range: {}", index.i()));
  }
  return static_cast<size_t>(index.i());
}

Result<Value> IndexFn(const CallEnv&, std::vector<Value>& args) {
  Value item = args[0];
  if (!item.valid()) return Status::InvalidArgument("index of untyped nil");
  for (size_t k = 1; k < args.size(); ++k) {
    const Value& index = args[k];
    switch (item.kind()) {
      case Kind::kString:
      case Kind::kHtml: {
        PROMETHIUM_ASSIGN_OR_RETURN(size_t x, IndexArg(index, item.s().size()));
        if (x >= item.s().size()) return Status::InvalidArgument(fmt::format("index out of range: {}", x));
        item = Value::Int(static_cast<unsigned char>(item.s()[x]));
        break;
      }
      case Kind::kSampleList: {
        PROMETHIUM_ASSIGN_OR_RETURN(size_t x, IndexArg(index, item.samples().size()));
        if (x >= item.samples().size()) return Status::InvalidArgument(fmt::format("index out of range: {}", x));
        item = Value::Sample(item.samples()[x]);
        break;
      }
      case Kind::kStringMap:
      case Kind::kAnyMap: {
        if (index.kind() != Kind::kString) {
          return Status::InvalidArgument(fmt::format("value has type {}; should be string", index.TypeName()));
        }
        if (item.kind() == Kind::kStringMap) {
          auto it = item.map().find(index.s());
          item = Value::String(it == item.map().end() ? "" : it->second);
        } else {
          auto it = item.any_map().find(index.s());
          item = it == item.any_map().end() ? Value() : it->second;
        }
        break;
      }
      case Kind::kSample:
        if (item.sample() == nullptr) return Status::InvalidArgument("index of nil pointer");
        [[fallthrough]];
      default: return Status::InvalidArgument(fmt::format("can't index item of type {}", item.TypeName()));
    }
  }
  return item;
}

Result<Value> SliceFn(const CallEnv&, std::vector<Value>& args) {
  const Value& item = args[0];
  if (!item.valid()) return Status::InvalidArgument("slice of untyped nil");
  if (args.size() > 4) return Status::InvalidArgument(fmt::format("too many slice indexes: {}", args.size() - 1));
  size_t cap = 0;
  if (item.is_string_kind()) {
    if (args.size() == 4) return Status::InvalidArgument("cannot 3-index slice a string");
    cap = item.s().size();
  } else if (item.kind() == Kind::kSampleList) {
    cap = item.samples().size();
  } else {
    return Status::InvalidArgument(fmt::format("can't slice item of type {}", item.TypeName()));
  }
  size_t idx[3] = {0, cap, cap};
  for (size_t k = 1; k < args.size(); ++k) {
    PROMETHIUM_ASSIGN_OR_RETURN(idx[k - 1], IndexArg(args[k], cap));
  }
  if (idx[0] > idx[1]) return Status::InvalidArgument(fmt::format("invalid slice index: {} > {}", idx[0], idx[1]));
  if (args.size() == 4 && idx[1] > idx[2]) {
    return Status::InvalidArgument(fmt::format("invalid slice index: {} > {}", idx[1], idx[2]));
  }
  if (item.is_string_kind()) {
    std::string s = item.s().substr(idx[0], idx[1] - idx[0]);
    return item.kind() == Kind::kHtml ? Value::Html(s) : Value::String(s);
  }
  auto out = std::make_shared<SampleList>(item.samples().begin() + idx[0], item.samples().begin() + idx[1]);
  return Value::Samples(out);
}

Result<Value> LenFn(const CallEnv&, std::vector<Value>& args) {
  const Value& v = args[0];
  switch (v.kind()) {
    case Kind::kString:
    case Kind::kHtml: return Value::Int(static_cast<int64_t>(v.s().size()));
    case Kind::kStringMap: return Value::Int(static_cast<int64_t>(v.map().size()));
    case Kind::kAnyMap: return Value::Int(static_cast<int64_t>(v.any_map().size()));
    case Kind::kSampleList: return Value::Int(static_cast<int64_t>(v.samples().size()));
    case Kind::kInvalid: return Status::InvalidArgument("len of nil pointer");
    case Kind::kSample:
      if (v.sample() == nullptr) return Status::InvalidArgument("len of nil pointer");
      [[fallthrough]];
    default: return Status::InvalidArgument(fmt::format("len of type {}", v.TypeName()));
  }
}

std::string HtmlEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '"': out += "&#34;"; break;
      case '\'': out += "&#39;"; break;
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '\0': out += "\xEF\xBF\xBD"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string JsEscape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '\\': out += "\\\\"; continue;
      case '\'': out += "\\'"; continue;
      case '"': out += "\\\""; continue;
      case '<': out += "\\u003C"; continue;
      case '>': out += "\\u003E"; continue;
      case '&': out += "\\u0026"; continue;
      case '=': out += "\\u003D"; continue;
      default: break;
    }
    if (c < ' ') {
      out += fmt::format("\\u00{:02X}", c);
    } else {
      out.push_back(static_cast<char>(c));  // printable Unicode passes through
    }
  }
  return out;
}

FuncSpec Spec(std::vector<ParamType> params, bool variadic, FuncImpl impl) {
  return FuncSpec{std::move(params), variadic, std::move(impl)};
}

const std::map<std::string, FuncSpec, std::less<>>& Table() {
  static const auto* table = [] {
    std::vector<std::pair<std::string, FuncSpec>> v;
    RegisterBuiltins(&v);
    RegisterPrometheusFunctions(&v);
    auto* m = new std::map<std::string, FuncSpec, std::less<>>();
    for (auto& [name, spec] : v) (*m)[name] = std::move(spec);
    return m;
  }();
  return *table;
}

}  // namespace

std::string EvalArgsString(const std::vector<Value>& args) {
  if (args.size() == 1 && args[0].kind() == Kind::kString) return args[0].s();
  // fmt.Sprint after printableValue: nil prints "<no value>" (a string),
  // pointers are dereferenced; a space separates two non-string operands.
  std::string out;
  bool prev_string = true;
  for (size_t i = 0; i < args.size(); ++i) {
    const Value& a = args[i];
    bool is_string = !a.valid() || a.is_string_kind();
    if (i > 0 && !is_string && !prev_string) out.push_back(' ');
    auto s = PrintValue(a);
    out += s.ok() ? *s : s.status().message();
    prev_string = is_string;
  }
  return out;
}

void RegisterBuiltins(std::vector<std::pair<std::string, FuncSpec>>* out) {
  using P = ParamType;
  auto any2 = std::vector<P>{P::kAny, P::kAny};
  out->emplace_back("and", Spec(any2, true, nullptr));  // short-circuit: the evaluator
  out->emplace_back("or", Spec(any2, true, nullptr));
  out->emplace_back("not", Spec({P::kAny}, false, [](const CallEnv&, std::vector<Value>& a) -> Result<Value> {
                      return Value::Bool(!IsTrue(a[0]));
                    }));
  out->emplace_back("eq", Spec(any2, true, EqFn));
  out->emplace_back("ne", Spec(any2, false, [](const CallEnv& e, std::vector<Value>& a) -> Result<Value> {
                      PROMETHIUM_ASSIGN_OR_RETURN(Value v, EqFn(e, a));
                      return Value::Bool(!v.b());
                    }));
  for (const char* op : {"lt", "le", "gt", "ge"}) {
    std::string name = op;
    out->emplace_back(name,
                      Spec(any2, false, [name](const CallEnv&, std::vector<Value>& a) { return Ordered(a, name); }));
  }
  out->emplace_back("len", Spec({P::kAny}, false, LenFn));
  out->emplace_back("index", Spec(any2, true, IndexFn));
  out->emplace_back("slice", Spec(any2, true, SliceFn));
  out->emplace_back("print", Spec({P::kAny}, true, [](const CallEnv&, std::vector<Value>& a) -> Result<Value> {
                      PROMETHIUM_ASSIGN_OR_RETURN(std::string s, Sprint(a));
                      return Value::String(s);
                    }));
  out->emplace_back("println", Spec({P::kAny}, true, [](const CallEnv&, std::vector<Value>& a) -> Result<Value> {
                      PROMETHIUM_ASSIGN_OR_RETURN(std::string s, Sprintln(a));
                      return Value::String(s);
                    }));
  out->emplace_back("printf",
                    Spec({P::kString, P::kAny}, true, [](const CallEnv&, std::vector<Value>& a) -> Result<Value> {
                      std::vector<Value> rest(a.begin() + 1, a.end());
                      PROMETHIUM_ASSIGN_OR_RETURN(std::string s, Sprintf(a[0].s(), rest));
                      return Value::String(s);
                    }));
  out->emplace_back("html", Spec({P::kAny}, true, [](const CallEnv&, std::vector<Value>& a) -> Result<Value> {
                      return Value::String(HtmlEscape(EvalArgsString(a)));
                    }));
  out->emplace_back("js", Spec({P::kAny}, true, [](const CallEnv&, std::vector<Value>& a) -> Result<Value> {
                      return Value::String(JsEscape(EvalArgsString(a)));
                    }));
  out->emplace_back("urlquery", Spec({P::kAny}, true, [](const CallEnv&, std::vector<Value>& a) -> Result<Value> {
                      return Value::String(UrlQueryEscape(EvalArgsString(a)));
                    }));
}

std::string UrlQueryEscape(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
        c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

const FuncSpec* LookupFunction(std::string_view name) {
  const auto& t = Table();
  auto it = t.find(name);
  return it == t.end() ? nullptr : &it->second;
}

std::optional<std::string> RefusedFunction(std::string_view name) {
  if (name == "call") return std::string("template function \"call\"");
  return std::nullopt;
}

}  // namespace promethium::rules::tmpl
