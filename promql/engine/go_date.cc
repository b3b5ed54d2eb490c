// Go's (1.19/1.20) time-package calendar arithmetic, see go_date.h. All
// day and second counts are uint64 on purpose: Go's wrap-around is part of
// the answers Prometheus gives for out-of-range inputs.
#include "promql/engine/go_date.h"

#include <cmath>

namespace promethium::promql {
namespace {

constexpr uint64_t kSecondsPerDay = 86400;
constexpr uint64_t kSecondsPerWeek = 7 * kSecondsPerDay;
constexpr uint64_t kDaysPer400Years = 365 * 400 + 97;
constexpr uint64_t kDaysPer100Years = 365 * 100 + 24;
constexpr uint64_t kDaysPer4Years = 365 * 4 + 1;
// Go's absoluteZeroYear: the "absolute" clock starts on its January 1st.
constexpr int64_t kAbsoluteZeroYear = -292277022399;
// unixToInternal + internalToAbsolute: Unix seconds to absolute seconds.
constexpr uint64_t kUnixToAbsolute = 9223372028715321600ULL;
// Days before the start of each month in a non-leap year (Go's daysBefore).
constexpr uint64_t kDaysBefore[] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365};

bool IsLeap(int64_t year) { return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0); }

struct AbsDate {
  int64_t year;
  int month;  // 1..12
  int day;    // 1..31
  int yday;   // 0-based
};

// Go's absDate(abs, true).
AbsDate DateOfAbsolute(uint64_t abs) {
  uint64_t d = abs / kSecondsPerDay;
  uint64_t n = d / kDaysPer400Years;
  uint64_t y = 400 * n;
  d -= kDaysPer400Years * n;
  n = d / kDaysPer100Years;
  n -= n >> 2;
  y += 100 * n;
  d -= kDaysPer100Years * n;
  n = d / kDaysPer4Years;
  y += 4 * n;
  d -= kDaysPer4Years * n;
  n = d / 365;
  n -= n >> 2;
  y += n;
  d -= 365 * n;
  AbsDate out{static_cast<int64_t>(y) + kAbsoluteZeroYear, 0, 0, static_cast<int>(d)};
  int day = out.yday;
  if (IsLeap(out.year)) {
    if (day == 31 + 29 - 1) {
      out.month = 2;
      out.day = 29;
      return out;
    }
    if (day > 31 + 29 - 1) --day;  // after the leap day: pretend it was not there
  }
  int month = day / 31;  // may be one month low
  uint64_t begin = kDaysBefore[month];
  if (static_cast<uint64_t>(day) >= kDaysBefore[month + 1]) begin = kDaysBefore[++month];
  out.month = month + 1;
  out.day = day - static_cast<int>(begin) + 1;
  return out;
}

// Go's daysSinceEpoch(year): days from the absolute epoch to January 1st.
uint64_t DaysSinceAbsoluteEpoch(int64_t year) {
  uint64_t y = static_cast<uint64_t>(year) - static_cast<uint64_t>(kAbsoluteZeroYear);
  uint64_t n = y / 400;
  y -= 400 * n;
  uint64_t d = kDaysPer400Years * n;
  n = y / 100;
  y -= 100 * n;
  d += kDaysPer100Years * n;
  n = y / 4;
  y -= 4 * n;
  d += kDaysPer4Years * n;
  return d + 365 * y;
}

// Prometheus: 32 - time.Date(year, month, 32, 0, 0, 0, 0, UTC).Day(). Day 32
// rolls into the next month; the wrapping mirrors Go's for absurd years.
double DaysInMonth(const AbsDate& date) {
  uint64_t d = DaysSinceAbsoluteEpoch(date.year) + kDaysBefore[date.month - 1];
  if (IsLeap(date.year) && date.month >= 3) ++d;
  d += 32 - 1;
  return 32 - DateOfAbsolute(d * kSecondsPerDay).day;
}

}  // namespace

double GoDateField(DateField field, int64_t unix_seconds) {
  uint64_t abs = static_cast<uint64_t>(unix_seconds) + kUnixToAbsolute;
  switch (field) {
    case DateField::kHour: return static_cast<double>(abs % kSecondsPerDay / 3600);
    case DateField::kMinute: return static_cast<double>(abs % 3600 / 60);
    // January 1st of the absolute year 0 was a Monday.
    case DateField::kDayOfWeek: return static_cast<double>((abs + kSecondsPerDay) % kSecondsPerWeek / kSecondsPerDay);
    default: break;
  }
  AbsDate date = DateOfAbsolute(abs);
  switch (field) {
    case DateField::kYear: return static_cast<double>(date.year);
    case DateField::kMonth: return date.month;
    case DateField::kDayOfMonth: return date.day;
    case DateField::kDayOfYear: return date.yday + 1;
    default: return DaysInMonth(date);
  }
}

}  // namespace promethium::promql
