// Internal: the evaluator's state, shared by exec.cc (statements: text,
// actions, if/with/range, template calls) and exec_call.cc (expressions:
// pipelines, commands, fields, function calls).
//
// Ownership: borrows the parsed tree, options and environment.
// Thread-safety: one State per Execute call; not shared.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "rules/template/exec.h"

namespace promethium::rules::tmpl {

class State {
 public:
  State(const ParsedTemplate& t, const ExecOptions& opts, const CallEnv& env) : t_(t), opts_(opts), env_(env) {}

  Result<std::string> Run(const Value& dot);

 private:
  enum class Control { kNone, kBreak, kContinue };

  // Statements (exec.cc).
  Status Walk(const Value& dot, const Node* n);
  Status WalkBranch(const Value& dot, const BranchNode* n);
  Status WalkRange(const Value& dot, const BranchNode* n);
  Status RangeIteration(const BranchNode* n, size_t mark, const Value& index, const Value& elem);
  Status WalkTemplate(const Value& dot, const TemplateNode* n);

  // Expressions (exec_call.cc). `final` is the piped value, if any.
  Result<Value> EvalPipeline(const Value& dot, const PipeNode* pipe);
  Result<Value> EvalCommand(const Value& dot, const CommandNode* cmd, const std::optional<Value>& final);
  Result<Value> EvalArg(const Value& dot, ParamType type, const Node* n);
  Result<Value> EvalFunction(const Value& dot, const IdentifierNode* id, const Node* cmd,
                             const std::vector<NodePtr>* args, const std::optional<Value>& final);
  Result<Value> EvalFieldChain(const Value& dot, Value receiver, const Node* n, const std::vector<std::string>& ident,
                               size_t from, const std::vector<NodePtr>* args, const std::optional<Value>& final);
  Result<Value> EvalField(const std::string& name, const Node* n, const std::vector<NodePtr>* args,
                          const std::optional<Value>& final, const Value& receiver);
  Result<Value> EvalMethod(const std::string& name, bool has_args, const Value& receiver);
  Result<Value> EvalChain(const Value& dot, const ChainNode* chain, const std::vector<NodePtr>* args,
                          const std::optional<Value>& final);
  Result<Value> Constant(const NumberNode* n);
  Result<Value> ValidateType(const Value& v, ParamType type);
  Status NotAFunction(const std::vector<NodePtr>* args, const std::optional<Value>& final);

  // Variables.
  size_t Mark() const { return vars_.size(); }
  void Pop(size_t mark) { vars_.resize(mark); }
  void Push(const std::string& name, Value v) { vars_.emplace_back(name, std::move(v)); }
  Status SetVar(const std::string& name, Value v);
  Result<Value> VarValue(const std::string& name);

  // "template: name:1:2: executing \"name\" at <node>: msg" at node_.
  Status Errorf(std::string msg) const;
  Status Wrap(const Status& s) const;
  void At(const Node* n) { node_ = n; }

  const ParsedTemplate& t_;
  const ExecOptions& opts_;
  const CallEnv& env_;
  std::string exec_name_;  // the template being executed (changes in {{template}})
  std::vector<std::pair<std::string, Value>> vars_;
  const Node* node_ = nullptr;
  std::string out_;
  Control control_ = Control::kNone;
  int depth_ = 0;
  size_t iterations_ = 0;
};

}  // namespace promethium::rules::tmpl
