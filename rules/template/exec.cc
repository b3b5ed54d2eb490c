#include "rules/template/exec.h"

#include <fmt/format.h>

#include "rules/template/exec_state.h"
#include "rules/template/go_format.h"

namespace promethium::rules::tmpl {

Result<std::string> Execute(const ParsedTemplate& t, const Value& dot, const ExecOptions& opts, const CallEnv& env) {
  State s(t, opts, env);
  return s.Run(dot);
}

Result<std::string> State::Run(const Value& dot) {
  exec_name_ = t_.name;
  vars_.clear();
  Push("$", dot);
  PROMETHIUM_RETURN_IF_ERROR(Walk(dot, t_.root.get()));
  return std::move(out_);
}

Status State::Errorf(std::string msg) const {
  if (node_ == nullptr) return Status::InvalidArgument(fmt::format("template: {}: {}", exec_name_, msg));
  std::string context = node_->String();
  return Status::InvalidArgument(fmt::format("template: {}: executing {} at <{}>: {}",
                                             Location(t_.name, t_.text, node_->pos), GoQuote(exec_name_), context,
                                             msg));
}

Status State::Wrap(const Status& s) const {
  if (s.code() == Status::Code::kUnsupported) {
    return s.WithContext(fmt::format("template: {}", Location(t_.name, t_.text, node_ ? node_->pos : 0)));
  }
  return Errorf(s.message());
}

Status State::SetVar(const std::string& name, Value v) {
  for (size_t i = vars_.size(); i-- > 0;) {
    if (vars_[i].first == name) {
      vars_[i].second = std::move(v);
      return Status::OK();
    }
  }
  return Errorf(fmt::format("undefined variable: {}", name));
}

Result<Value> State::VarValue(const std::string& name) {
  for (size_t i = vars_.size(); i-- > 0;) {
    if (vars_[i].first == name) return vars_[i].second;
  }
  return Errorf(fmt::format("undefined variable: {}", name));
}

Status State::Walk(const Value& dot, const Node* n) {
  At(n);
  switch (n->type) {
    case NodeType::kAction: {
      const auto* a = static_cast<const ActionNode*>(n);
      PROMETHIUM_ASSIGN_OR_RETURN(Value v, EvalPipeline(dot, a->pipe.get()));
      if (!a->pipe->decl.empty()) return Status::OK();
      At(n);
      auto s = PrintValue(v);
      if (!s.ok()) return Wrap(s.status());
      out_ += *s;
      break;
    }
    case NodeType::kText: out_ += static_cast<const TextNode*>(n)->text; break;
    case NodeType::kList:
      for (const auto& c : static_cast<const ListNode*>(n)->nodes) {
        PROMETHIUM_RETURN_IF_ERROR(Walk(dot, c.get()));
        if (control_ != Control::kNone) return Status::OK();
      }
      break;
    case NodeType::kIf:
    case NodeType::kWith: return WalkBranch(dot, static_cast<const BranchNode*>(n));
    case NodeType::kRange: return WalkRange(dot, static_cast<const BranchNode*>(n));
    case NodeType::kTemplate: return WalkTemplate(dot, static_cast<const TemplateNode*>(n));
    case NodeType::kBreak: control_ = Control::kBreak; break;
    case NodeType::kContinue: control_ = Control::kContinue; break;
    default: return Errorf(fmt::format("unknown node: {}", n->String()));
  }
  if (out_.size() > opts_.max_output_bytes) {
    return Status::ResourceExhausted(
        fmt::format("template: {}: output exceeds {} bytes", exec_name_, opts_.max_output_bytes));
  }
  return Status::OK();
}

Status State::WalkBranch(const Value& dot, const BranchNode* n) {
  size_t mark = Mark();
  PROMETHIUM_ASSIGN_OR_RETURN(Value v, EvalPipeline(dot, n->pipe.get()));
  Status st;
  if (IsTrue(v)) {
    st = Walk(n->type == NodeType::kWith ? v : dot, n->list.get());
  } else if (n->else_list) {
    st = Walk(dot, n->else_list.get());
  }
  Pop(mark);
  return st;
}

Status State::RangeIteration(const BranchNode* n, size_t mark, const Value& index, const Value& elem) {
  const auto& decl = n->pipe->decl;
  if (n->pipe->is_assign) {
    if (decl.size() > 1) {
      PROMETHIUM_RETURN_IF_ERROR(SetVar(decl[0]->ident[0], index));
      PROMETHIUM_RETURN_IF_ERROR(SetVar(decl[1]->ident[0], elem));
    } else if (decl.size() == 1) {
      PROMETHIUM_RETURN_IF_ERROR(SetVar(decl[0]->ident[0], elem));
    }
  } else {
    if (!decl.empty()) vars_[vars_.size() - 1].second = elem;
    if (decl.size() > 1) vars_[vars_.size() - 2].second = index;
  }
  if (++iterations_ > opts_.max_range_iterations) {
    return Status::ResourceExhausted(
        fmt::format("template: {}: more than {} range iterations", exec_name_, opts_.max_range_iterations));
  }
  Status st = Walk(elem, n->list.get());
  Pop(mark);
  if (control_ == Control::kContinue) control_ = Control::kNone;
  return st;
}

Status State::WalkRange(const Value& dot, const BranchNode* n) {
  At(n);
  size_t outer = Mark();
  PROMETHIUM_ASSIGN_OR_RETURN(Value v, EvalPipeline(dot, n->pipe.get()));
  size_t mark = Mark();
  bool iterated = false;
  Status st;
  auto run = [&](const Value& index, const Value& elem) {
    iterated = true;
    st = RangeIteration(n, mark, index, elem);
    return st.ok() && control_ != Control::kBreak;
  };
  switch (v.kind()) {
    case Kind::kSampleList:
      for (size_t i = 0; i < v.samples().size(); ++i) {
        if (!run(Value::Int(static_cast<int64_t>(i)), Value::Sample(v.samples()[i]))) break;
      }
      break;
    case Kind::kStringMap:
      for (const auto& [k, val] : v.map()) {
        if (!run(Value::String(k), Value::String(val))) break;
      }
      break;
    case Kind::kAnyMap:
      for (const auto& [k, val] : v.any_map()) {
        if (!run(Value::String(k), val)) break;
      }
      break;
    case Kind::kInvalid: break;
    case Kind::kSample:
      if (v.sample() == nullptr) break;
      [[fallthrough]];
    default: {
      auto s = FormatValue(v);  // Go reports this at the last evaluated node
      return Errorf(fmt::format("range can't iterate over {}", s.ok() ? *s : v.TypeName()));
    }
  }
  if (control_ == Control::kBreak) control_ = Control::kNone;
  if (st.ok() && !iterated && n->else_list) st = Walk(dot, n->else_list.get());
  Pop(outer);
  return st;
}

Status State::WalkTemplate(const Value& dot, const TemplateNode* n) {
  At(n);
  const ListNode* body = nullptr;
  auto it = t_.defines.find(n->name);
  if (it != t_.defines.end()) {
    body = it->second.get();
  } else if (n->name == t_.name) {
    body = t_.root.get();
  }
  if (body == nullptr) return Errorf(fmt::format("template {} not defined", GoQuote(n->name)));
  if (depth_ >= opts_.max_template_depth) {
    return Errorf(fmt::format("exceeded maximum template depth ({})", opts_.max_template_depth));
  }
  Value new_dot;
  if (n->pipe) {
    PROMETHIUM_ASSIGN_OR_RETURN(new_dot, EvalPipeline(dot, n->pipe.get()));
  }
  // No dynamic scoping: the called template sees only $.
  std::vector<std::pair<std::string, Value>> saved = std::move(vars_);
  std::string saved_name = exec_name_;
  vars_.clear();
  Push("$", new_dot);
  exec_name_ = n->name;
  ++depth_;
  Status st = Walk(new_dot, body);
  --depth_;
  exec_name_ = saved_name;
  vars_ = std::move(saved);
  return st;
}

}  // namespace promethium::rules::tmpl
