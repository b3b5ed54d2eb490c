#include "rules/template/node.h"

namespace promethium::rules::tmpl {
namespace {

std::string JoinDotted(const std::vector<std::string>& idents, bool leading_dot) {
  std::string out;
  for (size_t i = 0; i < idents.size(); ++i) {
    if (i > 0 || leading_dot) out.push_back('.');
    out += idents[i];
  }
  return out;
}

}  // namespace

std::string ListNode::String() const {
  std::string out;
  for (const auto& n : nodes) out += n->String();
  return out;
}

std::string TextNode::String() const { return text; }

std::string PipeNode::String() const {
  std::string out;
  for (size_t i = 0; i < decl.size(); ++i) {
    if (i > 0) out += ", ";
    out += decl[i]->String();
  }
  if (!decl.empty()) out += is_assign ? " = " : " := ";
  for (size_t i = 0; i < cmds.size(); ++i) {
    if (i > 0) out += " | ";
    out += cmds[i]->String();
  }
  return out;
}

std::string ActionNode::String() const { return "{{" + pipe->String() + "}}"; }

std::string CommandNode::String() const {
  std::string out;
  for (size_t i = 0; i < args.size(); ++i) {
    if (i > 0) out.push_back(' ');
    if (args[i]->type == NodeType::kPipe) {
      out.push_back('(');
      out += args[i]->String();
      out.push_back(')');
    } else {
      out += args[i]->String();
    }
  }
  return out;
}

std::string VariableNode::String() const { return JoinDotted(ident, false); }

std::string FieldNode::String() const { return JoinDotted(ident, true); }

std::string ChainNode::String() const {
  std::string out;
  if (node->type == NodeType::kPipe) out.push_back('(');
  out += node->String();
  if (node->type == NodeType::kPipe) out.push_back(')');
  for (const auto& f : fields) {
    out.push_back('.');
    out += f;
  }
  return out;
}

std::string BranchNode::String() const {
  std::string name = type == NodeType::kIf ? "if" : type == NodeType::kRange ? "range" : "with";
  std::string out = "{{" + name + " " + pipe->String() + "}}" + list->String();
  if (else_list) out += "{{else}}" + else_list->String();
  return out + "{{end}}";
}

std::string TemplateNode::String() const {
  std::string out = "{{template \"";
  out += name;
  out.push_back('"');
  if (pipe) {
    out.push_back(' ');
    out += pipe->String();
  }
  return out + "}}";
}

}  // namespace promethium::rules::tmpl
