// KnownFailures (see known_failures.h).
#include "tests/promqltest/known_failures.h"

#include <charconv>

#include <fmt/format.h>

#include "promql/seriesnotation/series_notation.h"

namespace promethium::promqltest {

Result<KnownFailures> KnownFailures::Parse(std::string_view text) {
  using promql::seriesnotation::TrimSpace;
  KnownFailures out;
  int n = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view l = TrimSpace(text.substr(start, nl - start));
    start = nl + 1;
    ++n;
    if (l.empty() || l.starts_with("#")) continue;
    size_t colon = l.find(':');
    size_t space = l.find_first_of(" \t");
    int line = 0;
    if (colon == std::string_view::npos || space == std::string_view::npos || colon > space ||
        std::from_chars(l.data() + colon + 1, l.data() + space, line).ptr != l.data() + space || line <= 0) {
      return Status::InvalidArgument(fmt::format("known failures line {}: want \"<file>:<line> <reason>\"", n));
    }
    std::string reason(TrimSpace(l.substr(space)));
    if (reason.empty()) return Status::InvalidArgument(fmt::format("known failures line {}: no reason given", n));
    auto key = std::make_pair(std::string(l.substr(0, colon)), line);
    if (!out.entries_.emplace(key, reason).second) {
      return Status::InvalidArgument(fmt::format("known failures line {}: {}:{} listed twice", n, key.first, line));
    }
  }
  return out;
}

std::optional<std::string> KnownFailures::Reason(std::string_view file, int line) const {
  auto it = entries_.find(std::make_pair(std::string(file), line));
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

std::vector<int> KnownFailures::LinesOf(std::string_view file) const {
  std::vector<int> out;
  for (const auto& [key, reason] : entries_) {
    if (key.first == file) out.push_back(key.second);
  }
  return out;
}

}  // namespace promethium::promqltest
