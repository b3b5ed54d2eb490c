#include "tsdb/base/duration.h"

#include <limits>

namespace promethium {
namespace {

struct Unit {
  std::string_view name;
  int64_t ms;
};
// Order matters: largest first; "ms" before "m" and "s" is handled by the
// longest-match lookup below.
constexpr Unit kUnits[] = {
    {"y", 365LL * 24 * 3600 * 1000},
    {"w", 7LL * 24 * 3600 * 1000},
    {"d", 24LL * 3600 * 1000},
    {"h", 3600LL * 1000},
    {"m", 60LL * 1000},
    {"s", 1000},
    {"ms", 1},
};

Status Invalid(std::string_view text) {
  return Status::InvalidArgument("not a valid duration string: \"" + std::string(text) + "\"");
}

}  // namespace

Result<int64_t> ParseDuration(std::string_view text) {
  if (text == "0") return int64_t{0};
  if (text.empty()) return Status::InvalidArgument("empty duration string");
  int64_t total = 0;
  int last_unit = -1;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] < '0' || text[i] > '9') return Invalid(text);
    int64_t n = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (n > (std::numeric_limits<int64_t>::max() - 9) / 10) return Invalid(text);
      n = n * 10 + (text[i] - '0');
      ++i;
    }
    int unit = -1;
    if (text.substr(i, 2) == "ms") {
      unit = 6;
    } else if (i < text.size()) {
      for (int u = 0; u < 6; ++u) {
        if (text[i] == kUnits[u].name[0]) unit = u;
      }
    }
    if (unit < 0 || unit <= last_unit) return Invalid(text);
    i += kUnits[unit].name.size();
    last_unit = unit;
    if (n > std::numeric_limits<int64_t>::max() / kUnits[unit].ms) return Invalid(text);
    int64_t add = n * kUnits[unit].ms;
    if (total > std::numeric_limits<int64_t>::max() - add) return Invalid(text);
    total += add;
  }
  return total;
}

std::string FormatDuration(int64_t ms) {
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  for (const Unit& u : kUnits) {
    if (ms >= u.ms) {
      out += std::to_string(ms / u.ms);
      out += u.name;
      ms %= u.ms;
    }
  }
  return out;
}

}  // namespace promethium
