// Test helpers for the rule file loader: a stand-in template checker.
//
// The real checker (rules/template's parser) is plugged in by the
// integrator; these tests only need a checker that rejects what our corpus
// makes invalid: unbalanced "{{" / "}}" actions.
// Thread-safety: pure functions.
#pragma once

#include <fmt/format.h>

#include <string_view>

#include "rules/rulefmt/rulefmt.h"

namespace promethium::rules::testutil {

// Rejects a "{{" inside an open action, a "}}" outside one and an action
// left open at the end, with Go-like messages.
inline Status BalancedBracesChecker(std::string_view name, std::string_view text) {
  bool open = false;
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    std::string_view two = text.substr(i, 2);
    if (two == "{{") {
      if (open) return Status::InvalidArgument(fmt::format("template: {}:1: unexpected \"{{{{\" in action", name));
      open = true;
      ++i;
    } else if (two == "}}") {
      if (!open) return Status::InvalidArgument(fmt::format("template: {}:1: unexpected \"}}}}\"", name));
      open = false;
      ++i;
    }
  }
  if (open) return Status::InvalidArgument(fmt::format("template: {}:1: unclosed action", name));
  return Status::OK();
}

}  // namespace promethium::rules::testutil
