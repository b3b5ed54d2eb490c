// FormValues: the request parameters of an API call, merged as Go's
// http.Request.ParseForm does.
//
// Values come from the URL query string and, for POST/PUT/PATCH requests
// with Content-Type application/x-www-form-urlencoded, from the body. Body
// values come first, so Get() (Go's FormValue) prefers them; GetAll()
// returns body values followed by URL values (Go's r.Form[key]).
//
// Thread-safety: an immutable value once parsed.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tsdb/base/result.h"
#include "web/http_types.h"

namespace promethium::web {

class FormValues {
 public:
  // Parses the request's query string and form body. Malformed pairs are
  // skipped (as Go does); the first problem is kept in parse_error().
  static FormValues FromRequest(const HttpRequest& req);
  // Parses one "a=1&b=2" string.
  static FormValues FromQueryString(std::string_view query);

  // The first value of key, or "" when absent.
  std::string Get(std::string_view key) const;
  std::vector<std::string> GetAll(std::string_view key) const;
  bool Has(std::string_view key) const;
  // Empty when everything parsed; otherwise Go's message for the first
  // malformed pair, e.g. `invalid URL escape "%zz"`.
  const std::string& parse_error() const { return parse_error_; }

 private:
  void Parse(std::string_view query);
  std::vector<std::pair<std::string, std::string>> values_;
  std::string parse_error_;
};

// Go's bound on a form body (ParseForm's 10 MiB maxFormSize), below the
// server's 64 MiB request body limit: parsing a form copies it into values.
inline constexpr size_t kMaxFormBodyBytes = 10 << 20;

// True for a form body (see FromRequest) larger than kMaxFormBodyBytes; the
// API then answers 413 "http: POST too large" instead of parsing it.
bool FormBodyTooLarge(const HttpRequest& req);

// Percent-decodes s. With plus_as_space, '+' becomes ' ' (query strings).
// Fails on a malformed escape.
Result<std::string> PercentDecode(std::string_view s, bool plus_as_space);

// Splits a request target into its path and query string (without '?').
std::pair<std::string_view, std::string_view> SplitTarget(std::string_view target);

}  // namespace promethium::web
