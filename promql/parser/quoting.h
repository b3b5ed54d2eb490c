// Go-compatible string and rune quoting for the PromQL parser.
//
// Prometheus's error messages and printed expressions use Go's %q, %#U and
// strconv.Quote/Unquote; these helpers reproduce them byte for byte so that
// our messages match Prometheus's. UTF-8 decoding follows Go's
// utf8.DecodeRuneInString (invalid input decodes as U+FFFD, width 1).
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "tsdb/base/result.h"

namespace promethium::promql {

inline constexpr int kRuneError = 0xFFFD;

// The first rune of `s` and its width in bytes; (kRuneError, 1) for invalid
// UTF-8, (kRuneError, 0) for empty input.
std::pair<int, size_t> DecodeRune(std::string_view s);
// Appends `r` UTF-8 encoded.
void AppendRune(std::string* out, uint32_t r);
// Go's strconv.Quote ("%q" of a string).
std::string GoQuote(std::string_view s);
// Go's "%q" of a rune: 'a', '\n', '\x00'.
std::string QuoteRune(int r);
// Go's "%#U" of a rune: U+0063 'c'.
std::string FormatRuneU(int r);
// Prometheus's Item.String() of a literal: "%q", or "%.10q..." for texts
// longer than `max_runes` bytes.
std::string TruncatedQuote(std::string_view s, size_t max_runes);
// ASCII case-insensitive comparison and lowering, for keywords.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
std::string ToLowerAscii(std::string_view s);

// Prometheus's strutil.Unquote: a "...", '...' or `...` literal to its
// value, resolving Go escapes in the first two forms.
Result<std::string> Unquote(std::string_view quoted);

}  // namespace promethium::promql
