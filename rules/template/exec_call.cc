// Expression evaluation: pipelines, commands, fields and function calls,
// with Go's argument conversion rules (evalArg / validateType).
#include <fmt/format.h>

#include "rules/template/exec_state.h"
#include "rules/template/go_format.h"

namespace promethium::rules::tmpl {
namespace {

const char* ParamTypeName(ParamType t) {
  switch (t) {
    case ParamType::kAny: return "interface {}";
    case ParamType::kString: return "string";
    case ParamType::kSample: return "*template.sample";
    case ParamType::kSamples: return "template.queryResult";
  }
  return "?";
}

bool IsHexInt(std::string_view s) {
  return s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && s.find_first_of("pP") == std::string_view::npos;
}

}  // namespace

Result<Value> State::EvalPipeline(const Value& dot, const PipeNode* pipe) {
  At(pipe);
  std::optional<Value> value;
  for (const auto& cmd : pipe->cmds) {
    PROMETHIUM_ASSIGN_OR_RETURN(Value v, EvalCommand(dot, cmd.get(), value));
    value = std::move(v);
  }
  for (const auto& var : pipe->decl) {
    if (pipe->is_assign) {
      PROMETHIUM_RETURN_IF_ERROR(SetVar(var->ident[0], *value));
    } else {
      Push(var->ident[0], *value);
    }
  }
  return *value;
}

Status State::NotAFunction(const std::vector<NodePtr>* args, const std::optional<Value>& final) {
  if ((args != nullptr && args->size() > 1) || final.has_value()) {
    return Errorf(fmt::format("can't give argument to non-function {}", (*args)[0]->String()));
  }
  return Status::OK();
}

Result<Value> State::EvalCommand(const Value& dot, const CommandNode* cmd, const std::optional<Value>& final) {
  const Node* first = cmd->args[0].get();
  switch (first->type) {
    case NodeType::kField: {
      const auto* f = static_cast<const FieldNode*>(first);
      At(f);
      return EvalFieldChain(dot, dot, f, f->ident, 0, &cmd->args, final);
    }
    case NodeType::kChain: return EvalChain(dot, static_cast<const ChainNode*>(first), &cmd->args, final);
    case NodeType::kIdentifier:
      return EvalFunction(dot, static_cast<const IdentifierNode*>(first), cmd, &cmd->args, final);
    case NodeType::kPipe:
      PROMETHIUM_RETURN_IF_ERROR(NotAFunction(&cmd->args, final));
      return EvalPipeline(dot, static_cast<const PipeNode*>(first));
    case NodeType::kVariable: {
      const auto* v = static_cast<const VariableNode*>(first);
      At(v);
      PROMETHIUM_ASSIGN_OR_RETURN(Value val, VarValue(v->ident[0]));
      if (v->ident.size() == 1) {
        PROMETHIUM_RETURN_IF_ERROR(NotAFunction(&cmd->args, final));
        return val;
      }
      return EvalFieldChain(dot, val, v, v->ident, 1, &cmd->args, final);
    }
    default: break;
  }
  At(first);
  PROMETHIUM_RETURN_IF_ERROR(NotAFunction(&cmd->args, final));
  switch (first->type) {
    case NodeType::kBool: return Value::Bool(static_cast<const BoolNode*>(first)->value);
    case NodeType::kDot: return dot;
    case NodeType::kNil: return Errorf("nil is not a command");
    case NodeType::kNumber: return Constant(static_cast<const NumberNode*>(first));
    case NodeType::kString: return Value::String(static_cast<const StringNode*>(first)->text);
    default: return Errorf(fmt::format("can't evaluate command {}", first->String()));
  }
}

Result<Value> State::Constant(const NumberNode* n) {
  At(n);
  std::string_view t = n->text;
  if (n->is_float && !IsHexInt(t) && !n->is_char && t.find_first_of(".eEpP") != std::string_view::npos) {
    return Value::Float(n->float_value);
  }
  if (n->is_int) return Value::Int(n->int_value);
  if (n->is_uint) return Errorf(fmt::format("{} overflows int", n->text));
  return Value();
}

Result<Value> State::EvalChain(const Value& dot, const ChainNode* chain, const std::vector<NodePtr>* args,
                               const std::optional<Value>& final) {
  At(chain);
  if (chain->node->type == NodeType::kNil)
    return Errorf(fmt::format("indirection through explicit nil in {}", chain->String()));
  PROMETHIUM_ASSIGN_OR_RETURN(Value pipe, EvalArg(dot, ParamType::kAny, chain->node.get()));
  return EvalFieldChain(dot, pipe, chain, chain->fields, 0, args, final);
}

Result<Value> State::EvalFieldChain(const Value& dot, Value receiver, const Node* n,
                                    const std::vector<std::string>& ident, size_t from,
                                    const std::vector<NodePtr>* args, const std::optional<Value>& final) {
  (void)dot;
  for (size_t i = from; i + 1 < ident.size(); ++i) {
    PROMETHIUM_ASSIGN_OR_RETURN(receiver, EvalField(ident[i], n, nullptr, std::nullopt, receiver));
  }
  return EvalField(ident.back(), n, args, final, receiver);
}

Result<Value> State::EvalField(const std::string& name, const Node* n, const std::vector<NodePtr>* args,
                               const std::optional<Value>& final, const Value& receiver) {
  At(n);
  if (!receiver.valid()) {
    if (opts_.missing_key == MissingKey::kError)
      return Errorf(fmt::format("nil data; no entry for key {}", GoQuote(name)));
    return Value();
  }
  bool has_args = (args != nullptr && args->size() > 1) || final.has_value();
  switch (receiver.kind()) {
    case Kind::kTime:
    case Kind::kDuration: return EvalMethod(name, has_args, receiver);
    case Kind::kData: {
      const AlertData& d = receiver.data();
      Value v;
      if (name == "Labels")
        v = Value::Map(d.labels);
      else if (name == "ExternalLabels")
        v = Value::Map(d.external_labels);
      else if (name == "ExternalURL")
        v = Value::String(d.external_url);
      else if (name == "Value")
        v = Value::Float(d.value);
      else
        break;
      if (has_args) return Errorf(fmt::format("{} has arguments but cannot be invoked as function", name));
      return v;
    }
    case Kind::kSample: {
      if (name != "Labels" && name != "Value") break;
      if (receiver.sample() == nullptr) return Errorf(fmt::format("nil pointer evaluating *template.sample.{}", name));
      if (has_args) return Errorf(fmt::format("{} has arguments but cannot be invoked as function", name));
      if (name == "Value") return Value::Float(receiver.sample()->value);
      return Value::Map(std::make_shared<const StringMap>(receiver.sample()->labels));
    }
    case Kind::kStringMap:
    case Kind::kAnyMap: {
      if (has_args) return Errorf(fmt::format("{} is not a method but has arguments", name));
      if (receiver.kind() == Kind::kStringMap) {
        auto it = receiver.map().find(name);
        if (it != receiver.map().end()) return Value::String(it->second);
      } else {
        auto it = receiver.any_map().find(name);
        if (it != receiver.any_map().end()) return it->second;
      }
      switch (opts_.missing_key) {
        case MissingKey::kDefault: return Value();
        case MissingKey::kZero: return receiver.kind() == Kind::kStringMap ? Value::String("") : Value();
        case MissingKey::kError: return Errorf(fmt::format("map has no entry for key {}", GoQuote(name)));
      }
      return Value();
    }
    default: break;
  }
  return Errorf(fmt::format("can't evaluate field {} in type {}", name, receiver.TypeName()));
}

Result<Value> State::EvalMethod(const std::string& name, bool has_args, const Value& receiver) {
  int64_t x = receiver.i();
  std::optional<Value> v;
  if (receiver.kind() == Kind::kTime) {
    int64_t secs = x / 1000 - (x % 1000 < 0 ? 1 : 0);
    if (name == "Unix") v = Value::Int(secs);
    if (name == "UnixMilli") v = Value::Int(x);
    if (name == "UnixNano") v = Value::Int(x * 1000000);
    if (name == "String") v = Value::String(GoTimeString(x));
  } else {
    double secs = static_cast<double>(x / 1000000000) + static_cast<double>(x % 1000000000) / 1e9;
    if (name == "Seconds") v = Value::Float(secs);
    if (name == "Milliseconds") v = Value::Int(x / 1000000);
    if (name == "Nanoseconds") v = Value::Int(x);
    if (name == "String") v = Value::String(GoDurationString(x));
  }
  if (!v) return Wrap(Status::Unsupported(fmt::format("method {} of {}", name, receiver.TypeName())));
  if (has_args) return Errorf(fmt::format("wrong number of args for {}: want 0 got 1", name));
  return *v;
}

Result<Value> State::ValidateType(const Value& v, ParamType type) {
  if (type == ParamType::kAny) return v;
  if (!v.valid()) {
    if (type == ParamType::kSample) return Value::Sample(nullptr);
    if (type == ParamType::kSamples) return Value::Samples(nullptr);
    return Errorf(fmt::format("invalid value; expected {}", ParamTypeName(type)));
  }
  bool ok = (type == ParamType::kString && v.kind() == Kind::kString) ||
            (type == ParamType::kSample && v.kind() == Kind::kSample) ||
            (type == ParamType::kSamples && v.kind() == Kind::kSampleList);
  if (!ok) return Errorf(fmt::format("wrong type for value; expected {}; got {}", ParamTypeName(type), v.TypeName()));
  return v;
}

Result<Value> State::EvalArg(const Value& dot, ParamType type, const Node* n) {
  At(n);
  switch (n->type) {
    case NodeType::kDot: return ValidateType(dot, type);
    case NodeType::kNil:
      if (type == ParamType::kString) return Errorf("cannot assign nil to string");
      return ValidateType(Value(), type);
    case NodeType::kField: {
      const auto* f = static_cast<const FieldNode*>(n);
      PROMETHIUM_ASSIGN_OR_RETURN(Value v, EvalFieldChain(dot, dot, f, f->ident, 0, nullptr, std::nullopt));
      return ValidateType(v, type);
    }
    case NodeType::kVariable: {
      const auto* var = static_cast<const VariableNode*>(n);
      PROMETHIUM_ASSIGN_OR_RETURN(Value v, VarValue(var->ident[0]));
      if (var->ident.size() > 1) {
        PROMETHIUM_ASSIGN_OR_RETURN(v, EvalFieldChain(dot, v, var, var->ident, 1, nullptr, std::nullopt));
      }
      return ValidateType(v, type);
    }
    case NodeType::kPipe: {
      PROMETHIUM_ASSIGN_OR_RETURN(Value v, EvalPipeline(dot, static_cast<const PipeNode*>(n)));
      return ValidateType(v, type);
    }
    case NodeType::kIdentifier: {
      PROMETHIUM_ASSIGN_OR_RETURN(Value v,
                                  EvalFunction(dot, static_cast<const IdentifierNode*>(n), n, nullptr, std::nullopt));
      return ValidateType(v, type);
    }
    case NodeType::kChain: {
      PROMETHIUM_ASSIGN_OR_RETURN(Value v, EvalChain(dot, static_cast<const ChainNode*>(n), nullptr, std::nullopt));
      return ValidateType(v, type);
    }
    default: break;
  }
  if (type == ParamType::kString) {
    if (n->type == NodeType::kString) return Value::String(static_cast<const StringNode*>(n)->text);
    return Errorf(fmt::format("expected string; found {}", n->String()));
  }
  if (type != ParamType::kAny)
    return Errorf(fmt::format("can't handle {} for arg of type {}", n->String(), ParamTypeName(type)));
  switch (n->type) {
    case NodeType::kBool: return Value::Bool(static_cast<const BoolNode*>(n)->value);
    case NodeType::kNumber: return Constant(static_cast<const NumberNode*>(n));
    case NodeType::kString: return Value::String(static_cast<const StringNode*>(n)->text);
    default: return Errorf(fmt::format("can't handle assignment of {} to empty interface argument", n->String()));
  }
}

Result<Value> State::EvalFunction(const Value& dot, const IdentifierNode* id, const Node* cmd,
                                  const std::vector<NodePtr>* args, const std::optional<Value>& final) {
  At(id);
  const FuncSpec* spec = LookupFunction(id->name);
  if (spec == nullptr) return Errorf(fmt::format("{} is not a defined function", GoQuote(id->name)));
  size_t nargs = args == nullptr ? 0 : args->size() - 1;  // args[0] is the function name
  size_t num_in = nargs + (final ? 1 : 0);
  size_t want = spec->params.size();
  if (spec->variadic ? num_in + 1 < want : num_in != want) {
    return Errorf(spec->variadic
                      ? fmt::format("wrong number of args for {}: want at least {} got {}", id->name, want - 1, nargs)
                      : fmt::format("wrong number of args for {}: want {} got {}", id->name, want, num_in));
  }
  auto param = [&](size_t i) { return i < want ? spec->params[i] : spec->params.back(); };
  if (spec->impl == nullptr) {  // and / or: short-circuit
    bool is_or = id->name == "or";
    Value v;
    for (size_t i = 0; i < nargs; ++i) {
      PROMETHIUM_ASSIGN_OR_RETURN(v, EvalArg(dot, ParamType::kAny, (*args)[i + 1].get()));
      if (IsTrue(v) == is_or) return v;
    }
    if (final) v = *final;
    return v;
  }
  std::vector<Value> argv;
  argv.reserve(num_in);
  for (size_t i = 0; i < nargs; ++i) {
    PROMETHIUM_ASSIGN_OR_RETURN(Value v, EvalArg(dot, param(i), (*args)[i + 1].get()));
    argv.push_back(std::move(v));
  }
  if (final) {
    At(cmd);
    PROMETHIUM_ASSIGN_OR_RETURN(Value v, ValidateType(*final, param(spec->variadic ? num_in - 1 : want - 1)));
    argv.push_back(std::move(v));
  }
  auto r = spec->impl(env_, argv);
  if (!r.ok()) {
    At(cmd);
    if (r.status().code() == Status::Code::kUnsupported) return Wrap(r.status());
    return Errorf(fmt::format("error calling {}: {}", id->name, r.status().message()));
  }
  return std::move(r).value();
}

}  // namespace promethium::rules::tmpl
