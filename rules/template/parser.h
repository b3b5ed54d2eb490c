// The template parser: tokens -> AST, as Go's text/template/parse (Go 1.19).
//
// Besides Go's checks (undefined variables, unknown functions, misplaced
// else/end/break, empty pipelines, non-executable pipeline stages), it
// rejects at parse time what Go would only reject when executing: wrong
// argument counts for functions, and constructs we do not implement
// (the `call` builtin, complex constants) fail with "unsupported: ...".
//
// Errors read "template: <name>:<line>:<col>: <message>" where col is the
// 0-based byte offset in the line, as in Go's execution error locations.
//
// Ownership: ParsedTemplate owns its trees. Thread-safety: Parse is a pure
// function; a ParsedTemplate is immutable.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "rules/template/node.h"
#include "tsdb/base/result.h"

namespace promethium::rules::tmpl {

struct ParsedTemplate {
  std::string name;
  std::string text;  // the full text parsed (for error locations)
  std::unique_ptr<ListNode> root;
  // {{define "x"}} and {{block "x"}} bodies.
  std::map<std::string, std::unique_ptr<ListNode>> defines;
};

Result<std::unique_ptr<ParsedTemplate>> ParseTemplate(std::string_view name, std::string_view text);

// "name:line:col" for a byte offset, 0-based col as Go's ErrorContext.
std::string Location(std::string_view name, std::string_view text, size_t pos);

}  // namespace promethium::rules::tmpl
