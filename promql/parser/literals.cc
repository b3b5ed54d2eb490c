// Number and duration literals, with Go's and Prometheus's parsing rules
// and error messages.
#include <fmt/format.h>

#include <charconv>
#include <cstdint>
#include <string>

#include "promql/parser/parser_impl.h"
#include "promql/parser/quoting.h"

namespace promethium::promql {
namespace {

struct DurationUnit {
  std::string_view name;
  uint64_t nanos;
  int order;  // units must appear in increasing order, i.e. largest first
};

constexpr uint64_t kSecond = 1000000000ULL;
constexpr DurationUnit kDurationUnits[] = {
    {"y", 365ULL * 24 * 3600 * kSecond, 1},
    {"w", 7ULL * 24 * 3600 * kSecond, 2},
    {"d", 24ULL * 3600 * kSecond, 3},
    {"h", 3600ULL * kSecond, 4},
    {"m", 60ULL * kSecond, 5},
    {"s", kSecond, 6},
    {"ms", 1000000ULL, 7},
};

bool IsDigitChar(char c) { return c >= '0' && c <= '9'; }

// strconv.ParseInt(s, 0, 64) for non-negative literals; false when Go's
// would fail (bad digit or overflow).
bool ParseGoInt(std::string_view s, int64_t* out) {
  int base = 10;
  if (s.size() >= 2 && s[0] == '0') {
    char p = static_cast<char>(s[1] | 0x20);
    if (p == 'x') {
      base = 16, s.remove_prefix(2);
    } else if (p == 'o') {
      base = 8, s.remove_prefix(2);
    } else if (p == 'b') {
      base = 2, s.remove_prefix(2);
    } else {
      base = 8, s.remove_prefix(1);
    }
  }
  if (s.empty()) return false;
  unsigned __int128 v = 0;
  for (char c : s) {
    int d = IsDigitChar(c) ? c - '0' : (c | 0x20) >= 'a' && (c | 0x20) <= 'z' ? (c | 0x20) - 'a' + 10 : 99;
    if (d >= base) return false;
    v = v * static_cast<unsigned>(base) + static_cast<unsigned>(d);
    if (v > static_cast<unsigned __int128>(INT64_MAX)) return false;
  }
  *out = static_cast<int64_t>(v);
  return true;
}

}  // namespace

Result<double> ParseNumberLiteral(std::string_view text) {
  std::string clean;
  clean.reserve(text.size());
  for (char c : text) {
    if (c != '_') clean.push_back(c);
  }
  int64_t i = 0;
  if (ParseGoInt(clean, &i)) return static_cast<double>(i);
  double v = 0;
  const char* begin = clean.data();
  const char* end = begin + clean.size();
  auto [ptr, ec] = std::from_chars(begin, end, v);
  if (ec == std::errc::result_out_of_range) {
    return Status::InvalidArgument(
        fmt::format("error parsing number: strconv.ParseFloat: parsing {}: value out of range", GoQuote(text)));
  }
  if (ec != std::errc() || ptr != end) {
    return Status::InvalidArgument(
        fmt::format("error parsing number: strconv.ParseFloat: parsing {}: invalid syntax", GoQuote(text)));
  }
  return v;
}

Result<int64_t> ParseModelDuration(std::string_view text) {
  if (text == "0") return int64_t{0};
  if (text.empty()) return Status::InvalidArgument("empty duration string");
  const std::string invalid = fmt::format("not a valid duration string: {}", GoQuote(text));
  uint64_t total = 0;
  int last_order = 0;
  std::string_view s = text;
  while (!s.empty()) {
    if (!IsDigitChar(s[0])) return Status::InvalidArgument(invalid);
    size_t i = 0;
    uint64_t v = 0;
    for (; i < s.size() && IsDigitChar(s[i]); i++) {
      if (v > (UINT64_MAX - 9) / 10) return Status::InvalidArgument(invalid);
      v = v * 10 + static_cast<uint64_t>(s[i] - '0');
    }
    s.remove_prefix(i);
    for (i = 0; i < s.size() && !IsDigitChar(s[i]); i++) {
    }
    if (i == 0) return Status::InvalidArgument(invalid);
    std::string_view unit_name = s.substr(0, i);
    s.remove_prefix(i);
    const DurationUnit* unit = nullptr;
    for (const auto& u : kDurationUnits) {
      if (u.name == unit_name) unit = &u;
    }
    if (!unit) {
      return Status::InvalidArgument(fmt::format("unknown unit {} in duration {}", GoQuote(unit_name), GoQuote(text)));
    }
    if (unit->order <= last_order) return Status::InvalidArgument(invalid);
    last_order = unit->order;
    if (v > (1ULL << 63) / unit->nanos) return Status::InvalidArgument("duration out of range");
    total += v * unit->nanos;
    if (total > static_cast<uint64_t>(INT64_MAX)) return Status::InvalidArgument("duration out of range");
  }
  return static_cast<int64_t>(total / 1000000ULL);
}

}  // namespace promethium::promql
