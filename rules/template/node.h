// The template AST, as Go's text/template/parse nodes.
//
// A parsed template is a ListNode of TextNode and action nodes. Pipelines are
// PipeNode (optional variable declarations, then commands joined by '|'); a
// CommandNode is a list of operands where the first may be a function
// (IdentifierNode), a field chain, a variable or a parenthesised pipeline.
// String() prints a node back in template syntax, as Go does, for error
// messages ("executing ... at <$value>").
//
// Ownership: every node owns its children (unique_ptr). The tree is
// immutable after parsing. Thread-safety: immutable, safe to share.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace promethium::rules::tmpl {

enum class NodeType {
  kList,
  kText,
  kAction,
  kPipe,
  kCommand,
  kIdentifier,
  kVariable,
  kField,
  kChain,
  kDot,
  kNil,
  kBool,
  kNumber,
  kString,
  kIf,
  kRange,
  kWith,
  kTemplate,
  kBreak,
  kContinue,
};

struct Node {
  Node(NodeType t, size_t p) : type(t), pos(p) {}
  virtual ~Node() = default;
  virtual std::string String() const = 0;
  NodeType type;
  size_t pos;  // byte offset in the template text
};
using NodePtr = std::unique_ptr<Node>;

struct ListNode : Node {
  explicit ListNode(size_t p) : Node(NodeType::kList, p) {}
  std::string String() const override;
  std::vector<NodePtr> nodes;
};

struct TextNode : Node {
  TextNode(size_t p, std::string t) : Node(NodeType::kText, p), text(std::move(t)) {}
  std::string String() const override;
  std::string text;
};

struct CommandNode;
struct VariableNode;

struct PipeNode : Node {
  explicit PipeNode(size_t p) : Node(NodeType::kPipe, p) {}
  std::string String() const override;
  bool is_assign = false;  // $x = ... rather than $x := ...
  std::vector<std::unique_ptr<VariableNode>> decl;
  std::vector<std::unique_ptr<CommandNode>> cmds;
};

struct ActionNode : Node {
  ActionNode(size_t p, std::unique_ptr<PipeNode> pp) : Node(NodeType::kAction, p), pipe(std::move(pp)) {}
  std::string String() const override;
  std::unique_ptr<PipeNode> pipe;
};

struct CommandNode : Node {
  explicit CommandNode(size_t p) : Node(NodeType::kCommand, p) {}
  std::string String() const override;
  std::vector<NodePtr> args;
};

struct IdentifierNode : Node {
  IdentifierNode(size_t p, std::string n) : Node(NodeType::kIdentifier, p), name(std::move(n)) {}
  std::string String() const override { return name; }
  std::string name;
};

// $x.Field1.Field2: ident[0] is the variable name including '$'.
struct VariableNode : Node {
  VariableNode(size_t p, std::vector<std::string> i) : Node(NodeType::kVariable, p), ident(std::move(i)) {}
  std::string String() const override;
  std::vector<std::string> ident;
};

// .Field1.Field2 (without the dots).
struct FieldNode : Node {
  FieldNode(size_t p, std::vector<std::string> i) : Node(NodeType::kField, p), ident(std::move(i)) {}
  std::string String() const override;
  std::vector<std::string> ident;
};

// (pipeline).Field1.Field2
struct ChainNode : Node {
  ChainNode(size_t p, NodePtr n) : Node(NodeType::kChain, p), node(std::move(n)) {}
  std::string String() const override;
  NodePtr node;
  std::vector<std::string> fields;
};

struct DotNode : Node {
  explicit DotNode(size_t p) : Node(NodeType::kDot, p) {}
  std::string String() const override { return "."; }
};

struct NilNode : Node {
  explicit NilNode(size_t p) : Node(NodeType::kNil, p) {}
  std::string String() const override { return "nil"; }
};

struct BoolNode : Node {
  BoolNode(size_t p, bool v) : Node(NodeType::kBool, p), value(v) {}
  std::string String() const override { return value ? "true" : "false"; }
  bool value;
};

// A numeric constant with every interpretation that is exact, as Go's
// NumberNode: "3" is int and float, "1e6" is float and int, "1.5" float.
struct NumberNode : Node {
  NumberNode(size_t p, std::string t) : Node(NodeType::kNumber, p), text(std::move(t)) {}
  std::string String() const override { return text; }
  bool is_int = false;
  bool is_uint = false;
  bool is_float = false;
  bool is_char = false;  // 'a'
  int64_t int_value = 0;
  uint64_t uint_value = 0;
  double float_value = 0;
  std::string text;
};

struct StringNode : Node {
  StringNode(size_t p, std::string q, std::string t)
      : Node(NodeType::kString, p), quoted(std::move(q)), text(std::move(t)) {}
  std::string String() const override { return quoted; }
  std::string quoted;  // as written, with quotes
  std::string text;    // unquoted
};

// if / range / with.
struct BranchNode : Node {
  BranchNode(NodeType t, size_t p) : Node(t, p) {}
  std::string String() const override;
  std::unique_ptr<PipeNode> pipe;
  std::unique_ptr<ListNode> list;
  std::unique_ptr<ListNode> else_list;  // may be null
};

struct TemplateNode : Node {
  TemplateNode(size_t p, std::string n) : Node(NodeType::kTemplate, p), name(std::move(n)) {}
  std::string String() const override;
  std::string name;
  std::unique_ptr<PipeNode> pipe;  // may be null
};

struct BreakNode : Node {
  explicit BreakNode(size_t p) : Node(NodeType::kBreak, p) {}
  std::string String() const override { return "{{break}}"; }
};

struct ContinueNode : Node {
  explicit ContinueNode(size_t p) : Node(NodeType::kContinue, p) {}
  std::string String() const override { return "{{continue}}"; }
};

}  // namespace promethium::rules::tmpl
