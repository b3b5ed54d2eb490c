// ErrorExcerpt: quotes a short piece of an exposition body for a parse error
// message, shared by the text-format and OpenMetrics parsers so both report
// bad input the same way.
// Thread-safety: a pure function.
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>

namespace promethium::scrape::textparse {

// The first 40 bytes of s in double quotes ("..." marks a cut), with quotes,
// backslashes and control bytes escaped so the message stays one line.
inline std::string ErrorExcerpt(std::string_view s) {
  constexpr size_t kMax = 40;
  bool cut = s.size() > kMax;
  if (cut) s = s.substr(0, kMax);
  std::string out = "\"";
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      out += fmt::format("\\x{:02x}", u);
    } else {
      out += c;
    }
  }
  out += cut ? "...\"" : "\"";
  return out;
}

}  // namespace promethium::scrape::textparse
