// ValidUtf8: strict UTF-8 validation (as Go's utf8.Valid: no overlong
// forms, no surrogates, nothing above U+10FFFF). ASCII runs are skipped 16
// bytes at a time (scan.h): every HELP line of a scrape is validated, and
// in node_exporter output they are one line in seven and among the longest
// (BM_PromParserRealNodeExporter in bench/parser_bench.cc).
// Thread-safety: a pure function.
#pragma once

#include <cstdint>
#include <string_view>

#include "scrape/textparse/scan.h"

namespace promethium::scrape::textparse {

inline bool ValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      i = scan::FindNonAscii(s.data(), i + 1, s.size());
      continue;
    }
    size_t n;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      n = 1, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;
    for (size_t k = 1; k <= n; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000)) return false;
    if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return false;
    i += n + 1;
  }
  return true;
}

}  // namespace promethium::scrape::textparse
