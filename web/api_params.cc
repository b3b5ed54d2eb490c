#include "web/api_params.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <optional>
#include <string>

#include "tsdb/api/labels.h"
#include "tsdb/base/duration.h"

namespace promethium::web {

namespace {

// Go's strconv.ParseFloat for the decimal forms clients send: optional sign,
// digits, fraction, exponent, and inf/nan spellings.
std::optional<double> ParseGoFloat(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::string_view body = s;
  if (body.front() == '+') {
    body.remove_prefix(1);
    if (body.empty() || body.front() == '-') return std::nullopt;
  }
  double v = 0;
  auto [ptr, ec] = std::from_chars(body.data(), body.data() + body.size(), v, std::chars_format::general);
  if (ec != std::errc() || ptr != body.data() + body.size()) return std::nullopt;
  return v;
}

int DigitsValue(std::string_view s, size_t pos, size_t n, bool* ok) {
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (i >= s.size() || s[i] < '0' || s[i] > '9') {
      *ok = false;
      return 0;
    }
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
// days_from_civil).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

// Go's time.Parse(time.RFC3339Nano, s): "2006-01-02T15:04:05.999999999Z07:00".
std::optional<int64_t> ParseRfc3339Ms(std::string_view s) {
  bool ok = true;
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':') return std::nullopt;
  int year = DigitsValue(s, 0, 4, &ok), month = DigitsValue(s, 5, 2, &ok), day = DigitsValue(s, 8, 2, &ok);
  int hour = DigitsValue(s, 11, 2, &ok), minute = DigitsValue(s, 14, 2, &ok), second = DigitsValue(s, 17, 2, &ok);
  if (!ok || month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return std::nullopt;
  static constexpr int kDaysIn[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int max_day = kDaysIn[month - 1] + (month == 2 && IsLeap(year) ? 1 : 0);
  if (day < 1 || day > max_day) return std::nullopt;
  size_t pos = 19;
  int64_t frac_ms = 0;
  if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
    size_t start = ++pos;
    int64_t scale = 100;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      frac_ms += (s[pos] - '0') * scale;  // digits beyond ms truncate, as FromTime does
      scale /= 10;
      ++pos;
    }
    if (pos == start || pos - start > 9) return std::nullopt;
  }
  if (pos >= s.size()) return std::nullopt;
  int64_t offset_s = 0;
  if (s[pos] == 'Z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    if (s.size() != pos + 6 || s[pos + 3] != ':') return std::nullopt;
    int oh = DigitsValue(s, pos + 1, 2, &ok), om = DigitsValue(s, pos + 4, 2, &ok);
    if (!ok || oh > 23 || om > 59) return std::nullopt;
    offset_s = (int64_t{oh} * 3600 + int64_t{om} * 60) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  int64_t secs = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400 +
                 int64_t{hour} * 3600 + int64_t{minute} * 60 + second - offset_s;
  return secs * 1000 + frac_ms;
}

// The boundary times Go clients (client_golang, promtool) send for "no
// start"/"no end": Prometheus's minTime/maxTime printed as RFC 3339. Go's
// time.Parse rejects their 9-digit years, so Prometheus matches these exact
// strings; so do we. Values are FromTime() of those times, in ms.
constexpr std::string_view kGoMinTimeFormatted = "-292273086-05-16T16:47:06Z";
constexpr std::string_view kGoMaxTimeFormatted = "292277025-08-18T07:12:54.999999999Z";
constexpr int64_t kGoMinTimeMs = -9223309901257974000;
constexpr int64_t kGoMaxTimeMs = 9223309901257974999;

}  // namespace

Result<int64_t> ParseApiTime(std::string_view text) {
  if (std::optional<double> f = ParseGoFloat(text)) {
    // Seconds, with the fraction rounded to milliseconds as Prometheus does.
    constexpr double kLimitSeconds = 9.2e15;  // keeps the millisecond count inside int64
    if (std::isfinite(*f) && std::fabs(*f) < kLimitSeconds) {
      double whole = 0;
      double frac = std::modf(*f, &whole);
      return static_cast<int64_t>(whole) * 1000 + static_cast<int64_t>(std::round(frac * 1000));
    }
  } else if (std::optional<int64_t> ms = ParseRfc3339Ms(text)) {
    return *ms;
  } else if (text == kGoMinTimeFormatted) {
    return kGoMinTimeMs;
  } else if (text == kGoMaxTimeFormatted) {
    return kGoMaxTimeMs;
  }
  return Status::InvalidArgument("cannot parse " + QuoteLabelValue(text) + " to a valid timestamp");
}

Result<int64_t> ParseApiDuration(std::string_view text) {
  if (std::optional<double> f = ParseGoFloat(text)) {
    double ns = *f * 1e9;
    if (std::isnan(ns))
      return Status::InvalidArgument("cannot parse " + QuoteLabelValue(text) + " to a valid duration");
    // 2^63 is exactly representable; anything at or beyond it overflows.
    if (ns >= 9223372036854775808.0 || ns < -9223372036854775808.0) {
      return Status::InvalidArgument("cannot parse " + QuoteLabelValue(text) +
                                     " to a valid duration. It overflows int64");
    }
    return static_cast<int64_t>(ns);
  }
  Result<int64_t> ms = ParseDuration(text);
  constexpr int64_t kMaxMs = std::numeric_limits<int64_t>::max() / 1'000'000;
  if (ms.ok() && *ms <= kMaxMs) return *ms * 1'000'000;
  return Status::InvalidArgument("cannot parse " + QuoteLabelValue(text) + " to a valid duration");
}

Result<int64_t> ParseLimitParam(std::string_view text) {
  if (text.empty()) return int64_t{0};
  std::string_view digits = text;
  if (digits.front() == '+') digits.remove_prefix(1);
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (digits.empty() || (digits.front() == '-' && text.front() == '+') || ptr != digits.data() + digits.size() ||
      ec == std::errc::invalid_argument) {
    return Status::InvalidArgument("strconv.Atoi: parsing " + QuoteLabelValue(text) + ": invalid syntax");
  }
  if (ec == std::errc::result_out_of_range) {
    return Status::InvalidArgument("strconv.Atoi: parsing " + QuoteLabelValue(text) + ": value out of range");
  }
  if (v < 0) return Status::InvalidArgument("limit must be non-negative");
  return v;
}

}  // namespace promethium::web
