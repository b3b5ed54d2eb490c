// Go's formatting and literal rules that users see in alert text: strconv
// (FormatFloat, ParseFloat, Quote, Unquote), fmt's %v/Sprint/Sprintln/
// Sprintf, time.Time.String and time.Duration.String.
//
// Sprintf implements the verbs and flags alert templates use (%v %s %d %f
// %e %g %x %X %o %b %c %q %t %U %%, flags + - # space 0, width, precision)
// with Go's output, including "%!d(string=x)", "%!d(MISSING)" and
// "%!(EXTRA ...)". What it cannot reproduce (explicit argument indexes,
// '*' widths, %x/%b on floats, printing pointers nested in containers)
// fails with "unsupported: ..." rather than printing something else.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rules/template/value.h"
#include "tsdb/base/result.h"

namespace promethium::rules::tmpl {

struct NumberNode;

// strconv.FormatFloat(v, fmt, prec, 64) for fmt in e E f g G; prec -1 is
// the shortest representation that round-trips.
std::string FormatGoFloat(double v, char fmt, int prec);
// strconv.ParseFloat(s, 64), with Go's error text.
Result<double> ParseGoFloat(std::string_view s);
// strconv.Quote (printable non-ASCII is kept as is).
std::string GoQuote(std::string_view s);
// strconv.Unquote of a "..." or `...` literal.
Result<std::string> GoUnquote(std::string_view quoted);
// The value of a '...' character constant.
Result<int64_t> GoUnquoteChar(std::string_view quoted);
// fmt's %#U of the rune at text[pos]: "U+0041 'A'".
std::string GoRuneDescription(std::string_view text, size_t pos);
// Fills the interpretations of a number literal as Go's parse.newNumber;
// false when it is not a number.
bool ParseGoNumber(std::string_view text, NumberNode* n);
// Appends the UTF-8 encoding of a rune.
void AppendUtf8(std::string* out, uint32_t r);

// time.Time.String() of a UTC time: "2006-01-02 15:04:05.999999999 +0000 UTC".
std::string GoTimeString(int64_t unix_ms);
// time.Duration.String(): "1h2m3.5s", "1.5ms", "0s".
std::string GoDurationString(int64_t ns);

// fmt's %v of a value. `top` is true for an operand itself (pointers to
// structs print as "&{...}"); nested pointers would print addresses and fail.
Result<std::string> FormatValue(const Value& v, bool top = true);
// The text template output of a value (Go's printValue): "<no value>" for
// invalid, pointers dereferenced.
Result<std::string> PrintValue(const Value& v);
// fmt.Sprint and fmt.Sprintln over already printable values.
Result<std::string> Sprint(const std::vector<Value>& args);
Result<std::string> Sprintln(const std::vector<Value>& args);
// fmt.Sprintf.
Result<std::string> Sprintf(std::string_view format, const std::vector<Value>& args);

}  // namespace promethium::rules::tmpl
