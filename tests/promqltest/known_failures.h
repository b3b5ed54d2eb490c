// KnownFailures: the checked-in list of promqltest evals (and loads) that are
// known to fail, tests/promqltest/known_failures.txt. Each line is
//
//   <file>:<line> <reason>
//
// (`#` starts a comment line; blank lines are ignored), e.g.
// `native_histograms.test:123 engine: histogram_quantile on NHCB`. The runner
// counts a listed command that fails as a known failure, and fails the
// script when a listed command passes (the entry must go) or names no
// command of the script (the entry is stale), so the list cannot silently
// grow out of date. Nothing is skipped: every listed eval still runs.
//
// Thread-safety: immutable after Parse.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tsdb/base/result.h"

namespace promethium::promqltest {

class KnownFailures {
 public:
  static Result<KnownFailures> Parse(std::string_view text);

  // The reason `file:line` is listed, or nullopt.
  std::optional<std::string> Reason(std::string_view file, int line) const;
  // The listed lines of `file`, sorted.
  std::vector<int> LinesOf(std::string_view file) const;
  bool empty() const { return entries_.empty(); }

 private:
  std::map<std::pair<std::string, int>, std::string> entries_;
};

}  // namespace promethium::promqltest
