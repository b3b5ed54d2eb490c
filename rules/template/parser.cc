#include "rules/template/parser.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <vector>

#include "rules/template/functions.h"
#include "rules/template/go_format.h"
#include "rules/template/lexer.h"

namespace promethium::rules::tmpl {

std::string Location(std::string_view name, std::string_view text, size_t pos) {
  std::string_view before = text.substr(0, std::min(pos, text.size()));
  size_t nl = before.rfind('\n');
  size_t col = nl == std::string_view::npos ? pos : pos - nl - 1;
  size_t line = 1 + std::count(before.begin(), before.end(), '\n');
  return fmt::format("{}:{}:{}", name, line, col);
}

namespace {

// Parse errors unwind through this (caught in ParseTemplate: no exception
// leaves the module).
struct ParseError {
  Status status;
};

class Parser {
 public:
  Parser(std::string_view name, std::string_view text, ParsedTemplate* out)
      : name_(name), text_(text), out_(out), tokens_(Lex(text)) {}

  void Parse() {
    out_->root = std::make_unique<ListNode>(0);
    vars_ = {"$"};
    while (Peek().type != TokenType::kEOF) {
      if (Peek().type == TokenType::kLeftDelim) {
        size_t save = idx_;
        Next();
        if (NextNonSpace().type == TokenType::kDefine) {
          ParseDefinition();
          continue;
        }
        idx_ = save;
      }
      NodePtr n = TextOrAction();
      if (n == nullptr) Errorf(last_pos_, fmt::format("unexpected {}", last_control_));
      out_->root->nodes.push_back(std::move(n));
    }
  }

 private:
  // ---- tokens ----
  const Token& Next() {
    const Token& t = tokens_[std::min(idx_, tokens_.size() - 1)];
    if (idx_ < tokens_.size()) ++idx_;
    if (t.type == TokenType::kError) Errorf(t.pos, t.val);
    return t;
  }
  const Token& Peek() {
    const Token& t = Next();
    --idx_;
    return t;
  }
  const Token& NextNonSpace() {
    for (;;) {
      const Token& t = Next();
      if (t.type != TokenType::kSpace) return t;
    }
  }
  const Token& PeekNonSpace() {
    const Token& t = NextNonSpace();
    --idx_;
    return t;
  }
  void Backup() { --idx_; }

  [[noreturn]] void Errorf(size_t pos, std::string msg) {
    throw ParseError{Status::InvalidArgument(fmt::format("template: {}: {}", Location(name_, text_, pos), msg))};
  }
  [[noreturn]] void Unsupported(size_t pos, std::string what) {
    throw ParseError{Status::Unsupported(what).WithContext(fmt::format("template: {}", Location(name_, text_, pos)))};
  }
  [[noreturn]] void Unexpected(const Token& t, std::string_view context) {
    Errorf(t.pos, fmt::format("unexpected {} in {}", TokenString(t), context));
  }
  const Token& Expect(TokenType type, std::string_view context) {
    const Token& t = NextNonSpace();
    if (t.type != type) Unexpected(t, context);
    return t;
  }

  // ---- structure ----
  void ParseDefinition() {
    const char* context = "define clause";
    const Token& t = NextNonSpace();
    std::string name = TemplateName(t, context);
    Expect(TokenType::kRightDelim, context);
    AddDefinition(name, t.pos);
  }

  void AddDefinition(const std::string& name, size_t pos) {
    std::vector<std::string> saved_vars = std::move(vars_);
    int saved_range = range_depth_;
    vars_ = {"$"};
    range_depth_ = 0;
    auto [list, end] = ItemList();
    if (end != TokenType::kEnd) Errorf(pos, "unexpected {{else}} in define clause");
    vars_ = std::move(saved_vars);
    range_depth_ = saved_range;
    auto it = out_->defines.find(name);
    // As Go's AddParseTree: an empty definition does not replace a real one.
    if (it == out_->defines.end() || !list->nodes.empty()) out_->defines[name] = std::move(list);
  }

  std::string TemplateName(const Token& t, std::string_view context) {
    if (t.type != TokenType::kString && t.type != TokenType::kRawString) Unexpected(t, context);
    auto s = GoUnquote(t.val);
    if (!s.ok()) Errorf(t.pos, s.status().message());
    return *s;
  }

  // Parses until {{end}} or {{else}}; returns the list and which one ended it.
  std::pair<std::unique_ptr<ListNode>, TokenType> ItemList() {
    auto list = std::make_unique<ListNode>(PeekNonSpace().pos);
    while (PeekNonSpace().type != TokenType::kEOF) {
      NodePtr n = TextOrAction();
      if (n == nullptr) return {std::move(list), control_};
      list->nodes.push_back(std::move(n));
    }
    Errorf(text_.size(), "unexpected EOF");
  }

  // Returns null for {{end}} and {{else}} (control_ tells which).
  NodePtr TextOrAction() {
    const Token& t = NextNonSpace();
    if (t.type == TokenType::kText) return std::make_unique<TextNode>(t.pos, t.val);
    if (t.type == TokenType::kLeftDelim) return Action();
    Unexpected(t, "input");
  }

  NodePtr Action() {
    const Token& t = NextNonSpace();
    switch (t.type) {
      case TokenType::kBlock: return BlockControl(t);
      case TokenType::kBreak:
      case TokenType::kContinue: return LoopControl(t);
      case TokenType::kElse: return ElseControl(t);
      case TokenType::kEnd:
        Expect(TokenType::kRightDelim, "end");
        SetControl(TokenType::kEnd, t.pos, "{{end}}");
        return nullptr;
      case TokenType::kIf: return BranchControl(NodeType::kIf, t.pos, "if");
      case TokenType::kRange: return BranchControl(NodeType::kRange, t.pos, "range");
      case TokenType::kTemplate: return TemplateControl(t);
      case TokenType::kWith: return BranchControl(NodeType::kWith, t.pos, "with");
      default: break;
    }
    Backup();
    size_t pos = Peek().pos;
    return std::make_unique<ActionNode>(pos, Pipeline("command", TokenType::kRightDelim));
  }

  void SetControl(TokenType t, size_t pos, const char* text) {
    control_ = t;
    last_pos_ = pos;
    last_control_ = text;
  }

  NodePtr ElseControl(const Token& t) {
    if (PeekNonSpace().type == TokenType::kIf) {
      SetControl(TokenType::kElse, t.pos, "{{else}}");  // "else if": the if stays pending
      else_if_ = true;
      return nullptr;
    }
    Expect(TokenType::kRightDelim, "else");
    SetControl(TokenType::kElse, t.pos, "{{else}}");
    else_if_ = false;
    return nullptr;
  }

  NodePtr LoopControl(const Token& t) {
    bool is_break = t.type == TokenType::kBreak;
    const Token& n = NextNonSpace();
    if (n.type != TokenType::kRightDelim) Unexpected(n, is_break ? "{{break}}" : "{{continue}}");
    if (range_depth_ == 0) Errorf(t.pos, is_break ? "{{break}} outside {{range}}" : "{{continue}} outside {{range}}");
    if (is_break) return std::make_unique<BreakNode>(t.pos);
    return std::make_unique<ContinueNode>(t.pos);
  }

  NodePtr BranchControl(NodeType type, size_t pos, const char* context) {
    size_t saved_vars = vars_.size();
    auto node = std::make_unique<BranchNode>(type, pos);
    node->pipe = Pipeline(context, TokenType::kRightDelim);
    if (type == NodeType::kRange) ++range_depth_;
    auto [list, end] = ItemList();
    if (type == NodeType::kRange) --range_depth_;
    node->list = std::move(list);
    if (end == TokenType::kElse) {
      if (type == NodeType::kIf && else_if_) {
        // {{if a}}x{{else if b}}y{{end}} is {{if a}}x{{else}}{{if b}}y{{end}}{{end}}.
        size_t else_pos = last_pos_;
        Next();  // the "if"
        node->else_list = std::make_unique<ListNode>(else_pos);
        node->else_list->nodes.push_back(BranchControl(NodeType::kIf, else_pos, "if"));
      } else {
        if (else_if_) Errorf(PeekNonSpace().pos, fmt::format("unexpected <if> in input"));
        auto [elist, eend] = ItemList();
        if (eend != TokenType::kEnd) Errorf(last_pos_, "expected end; found {{else}}");
        node->else_list = std::move(elist);
      }
    }
    vars_.resize(saved_vars);
    return node;
  }

  NodePtr TemplateControl(const Token& t) {
    const char* context = "template clause";
    const Token& nt = NextNonSpace();
    auto node = std::make_unique<TemplateNode>(t.pos, TemplateName(nt, context));
    if (NextNonSpace().type != TokenType::kRightDelim) {
      Backup();
      node->pipe = Pipeline(context, TokenType::kRightDelim);
    }
    return node;
  }

  NodePtr BlockControl(const Token& t) {
    const char* context = "block clause";
    const Token& nt = NextNonSpace();
    auto node = std::make_unique<TemplateNode>(t.pos, TemplateName(nt, context));
    node->pipe = Pipeline(context, TokenType::kRightDelim);
    AddDefinition(node->name, t.pos);
    return node;
  }

  std::unique_ptr<PipeNode> Pipeline(std::string_view context, TokenType end) {
    auto pipe = std::make_unique<PipeNode>(PeekNonSpace().pos);
    ParseDecls(pipe.get(), context);
    for (;;) {
      const Token& t = NextNonSpace();
      if (t.type == end) {
        CheckPipeline(*pipe, context, t.pos);
        return pipe;
      }
      switch (t.type) {
        case TokenType::kBool:
        case TokenType::kCharConstant:
        case TokenType::kComplex:
        case TokenType::kDot:
        case TokenType::kField:
        case TokenType::kIdentifier:
        case TokenType::kNumber:
        case TokenType::kNil:
        case TokenType::kRawString:
        case TokenType::kString:
        case TokenType::kVariable:
        case TokenType::kLeftParen:
          Backup();
          pipe->cmds.push_back(Command());
          break;
        default: Unexpected(t, context);
      }
    }
  }

  void ParseDecls(PipeNode* pipe, std::string_view context) {
    for (;;) {
      const Token& v = PeekNonSpace();
      if (v.type != TokenType::kVariable) return;
      size_t save = idx_;
      NextNonSpace();
      const Token& next = PeekNonSpace();
      if (next.type == TokenType::kAssign || next.type == TokenType::kDeclare) {
        pipe->is_assign = next.type == TokenType::kAssign;
        NextNonSpace();
        if (pipe->is_assign && std::find(vars_.begin(), vars_.end(), v.val) == vars_.end()) {
          Errorf(v.pos, fmt::format("undefined variable {}", GoQuote(v.val)));
        }
        pipe->decl.push_back(std::make_unique<VariableNode>(v.pos, std::vector<std::string>{v.val}));
        vars_.push_back(v.val);
        return;
      }
      if (next.type == TokenType::kChar && next.val == ",") {
        NextNonSpace();
        pipe->decl.push_back(std::make_unique<VariableNode>(v.pos, std::vector<std::string>{v.val}));
        vars_.push_back(v.val);
        if (context == "range" && pipe->decl.size() < 2) {
          TokenType p = PeekNonSpace().type;
          if (p == TokenType::kVariable || p == TokenType::kRightDelim || p == TokenType::kRightParen) continue;
          Errorf(v.pos, "range can only initialize variables");
        }
        Errorf(v.pos, fmt::format("too many declarations in {}", context));
      }
      idx_ = save;  // an operand, not a declaration
      return;
    }
  }

  void CheckPipeline(const PipeNode& pipe, std::string_view context, size_t pos) {
    if (pipe.cmds.empty()) Errorf(pos, fmt::format("missing value for {}", context));
    for (size_t i = 1; i < pipe.cmds.size(); ++i) {
      switch (pipe.cmds[i]->args[0]->type) {
        case NodeType::kBool:
        case NodeType::kDot:
        case NodeType::kNil:
        case NodeType::kNumber:
        case NodeType::kString:
          Errorf(pipe.cmds[i]->pos, fmt::format("non executable command in pipeline stage {}", i + 1));
        default: break;
      }
    }
    for (size_t i = 0; i < pipe.cmds.size(); ++i) CheckArity(*pipe.cmds[i], i > 0);
  }

  // Go checks argument counts when executing; we check them here.
  void CheckArity(const CommandNode& cmd, bool has_final) {
    for (size_t i = 0; i < cmd.args.size(); ++i) {
      const Node* n = cmd.args[i].get();
      if (n->type == NodeType::kChain) n = static_cast<const ChainNode*>(n)->node.get();
      if (n->type != NodeType::kIdentifier) continue;
      const auto* id = static_cast<const IdentifierNode*>(n);
      const FuncSpec* spec = LookupFunction(id->name);
      size_t got = i == 0 && cmd.args[0]->type == NodeType::kIdentifier ? cmd.args.size() - 1 + (has_final ? 1 : 0) : 0;
      size_t want = spec->params.size();
      if (spec->variadic && got < want - 1) {
        Errorf(id->pos, fmt::format("wrong number of args for {}: want at least {} got {}", id->name, want - 1, got));
      }
      if (!spec->variadic && got != want) {
        Errorf(id->pos, fmt::format("wrong number of args for {}: want {} got {}", id->name, want, got));
      }
    }
  }

  std::unique_ptr<CommandNode> Command() {
    auto cmd = std::make_unique<CommandNode>(PeekNonSpace().pos);
    for (;;) {
      PeekNonSpace();
      NodePtr op = Operand();
      if (op) cmd->args.push_back(std::move(op));
      const Token& t = Next();
      if (t.type == TokenType::kSpace) continue;
      if (t.type == TokenType::kRightDelim || t.type == TokenType::kRightParen) {
        Backup();
      } else if (t.type != TokenType::kPipe) {
        Unexpected(t, "operand");
      }
      break;
    }
    if (cmd->args.empty()) Errorf(cmd->pos, "empty command");
    return cmd;
  }

  NodePtr Operand() {
    NodePtr node = Term();
    if (node == nullptr) return nullptr;
    if (Peek().type != TokenType::kField) return node;
    std::vector<std::string> fields;
    size_t pos = Peek().pos;
    while (Peek().type == TokenType::kField) fields.push_back(Next().val.substr(1));
    switch (node->type) {
      // As Go, the merged node takes the position of the first added field.
      case NodeType::kField: {
        auto* f = static_cast<FieldNode*>(node.get());
        f->ident.insert(f->ident.end(), fields.begin(), fields.end());
        f->pos = pos;
        return node;
      }
      case NodeType::kVariable: {
        auto* v = static_cast<VariableNode*>(node.get());
        v->ident.insert(v->ident.end(), fields.begin(), fields.end());
        v->pos = pos;
        return node;
      }
      case NodeType::kBool:
      case NodeType::kString:
      case NodeType::kNumber:
      case NodeType::kNil:
      case NodeType::kDot: Errorf(pos, fmt::format("unexpected . after term {}", GoQuote(node->String())));
      default: break;
    }
    auto chain = std::make_unique<ChainNode>(pos, std::move(node));
    chain->fields = std::move(fields);
    return chain;
  }

  NodePtr Term() {
    const Token& t = NextNonSpace();
    switch (t.type) {
      case TokenType::kIdentifier: {
        if (auto why = RefusedFunction(t.val)) Unsupported(t.pos, *why);
        if (LookupFunction(t.val) == nullptr) Errorf(t.pos, fmt::format("function {} not defined", GoQuote(t.val)));
        return std::make_unique<IdentifierNode>(t.pos, t.val);
      }
      case TokenType::kDot: return std::make_unique<DotNode>(t.pos);
      case TokenType::kNil: return std::make_unique<NilNode>(t.pos);
      case TokenType::kVariable: return UseVar(t);
      case TokenType::kField: {
        std::vector<std::string> ident{t.val.substr(1)};
        return std::make_unique<FieldNode>(t.pos, std::move(ident));
      }
      case TokenType::kBool: return std::make_unique<BoolNode>(t.pos, t.val == "true");
      case TokenType::kComplex: Unsupported(t.pos, fmt::format("complex constant {}", t.val));
      case TokenType::kCharConstant:
      case TokenType::kNumber: return Number(t);
      case TokenType::kLeftParen: return Pipeline("parenthesized pipeline", TokenType::kRightParen);
      case TokenType::kString:
      case TokenType::kRawString: {
        auto s = GoUnquote(t.val);
        if (!s.ok()) Errorf(t.pos, s.status().message());
        return std::make_unique<StringNode>(t.pos, t.val, *s);
      }
      default: break;
    }
    Backup();
    return nullptr;
  }

  NodePtr UseVar(const Token& t) {
    std::vector<std::string> ident{t.val};
    if (std::find(vars_.begin(), vars_.end(), t.val) == vars_.end()) {
      Errorf(t.pos, fmt::format("undefined variable {}", GoQuote(t.val)));
    }
    return std::make_unique<VariableNode>(t.pos, std::move(ident));
  }

  NodePtr Number(const Token& t) {
    auto n = std::make_unique<NumberNode>(t.pos, t.val);
    if (t.type == TokenType::kCharConstant) {
      auto r = GoUnquoteChar(t.val);
      if (!r.ok()) Errorf(t.pos, r.status().message());
      n->is_char = n->is_int = n->is_uint = n->is_float = true;
      n->int_value = *r;
      n->uint_value = static_cast<uint64_t>(*r);
      n->float_value = static_cast<double>(*r);
      return n;
    }
    if (t.val.back() == 'i') Unsupported(t.pos, fmt::format("complex constant {}", t.val));
    if (!ParseGoNumber(t.val, n.get())) Errorf(t.pos, fmt::format("illegal number syntax: {}", GoQuote(t.val)));
    return n;
  }

  std::string_view name_;
  std::string_view text_;
  ParsedTemplate* out_;
  std::vector<Token> tokens_;
  size_t idx_ = 0;
  std::vector<std::string> vars_;
  int range_depth_ = 0;
  TokenType control_ = TokenType::kEOF;
  bool else_if_ = false;
  size_t last_pos_ = 0;
  const char* last_control_ = "";
};

}  // namespace

Result<std::unique_ptr<ParsedTemplate>> ParseTemplate(std::string_view name, std::string_view text) {
  auto out = std::make_unique<ParsedTemplate>();
  out->name = std::string(name);
  out->text = std::string(text);
  try {
    Parser(out->name, out->text, out.get()).Parse();
  } catch (const ParseError& e) {
    return e.status;
  }
  return out;
}

}  // namespace promethium::rules::tmpl
