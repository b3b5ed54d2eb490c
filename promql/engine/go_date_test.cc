#include "promql/engine/go_date.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

namespace promethium::promql {
namespace {

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

TEST(GoFloatToInt64, TruncatesAndMapsOutOfRangeToMinInt64) {
  EXPECT_EQ(GoFloatToInt64(1.9), 1);
  EXPECT_EQ(GoFloatToInt64(-1.9), -1);
  EXPECT_EQ(GoFloatToInt64(std::nan("")), kMin);
  EXPECT_EQ(GoFloatToInt64(INFINITY), kMin);
  EXPECT_EQ(GoFloatToInt64(-INFINITY), kMin);
  EXPECT_EQ(GoFloatToInt64(1e30), kMin);
  EXPECT_EQ(GoFloatToInt64(9223372036854775808.0), kMin);
  EXPECT_EQ(GoFloatToInt64(-9223372036854775808.0), kMin);
  EXPECT_EQ(GoFloatToInt64(9.2e18), 9200000000000000000);
}

TEST(GoDateField, OrdinaryDates) {
  // 2006-01-02T22:04:05Z, a Monday (Prometheus's functions.test).
  EXPECT_EQ(GoDateField(DateField::kYear, 1136239445), 2006);
  EXPECT_EQ(GoDateField(DateField::kMonth, 1136239445), 1);
  EXPECT_EQ(GoDateField(DateField::kDayOfMonth, 1136239445), 2);
  EXPECT_EQ(GoDateField(DateField::kHour, 1136239445), 22);
  EXPECT_EQ(GoDateField(DateField::kMinute, 1136239445), 4);
  EXPECT_EQ(GoDateField(DateField::kDayOfWeek, 1136239445), 1);
  EXPECT_EQ(GoDateField(DateField::kDayOfYear, 1136239445), 2);
  EXPECT_EQ(GoDateField(DateField::kDaysInMonth, 1136239445), 31);
  // 2000-02-29 (leap day) and one second before the epoch.
  EXPECT_EQ(GoDateField(DateField::kDaysInMonth, 951782400), 29);
  EXPECT_EQ(GoDateField(DateField::kDayOfYear, 951782400), 60);
  EXPECT_EQ(GoDateField(DateField::kYear, -1), 1969);
  EXPECT_EQ(GoDateField(DateField::kHour, -1), 23);
  EXPECT_EQ(GoDateField(DateField::kDayOfWeek, -1), 3);
}

TEST(GoDateField, MinInt64WrapsLikeGo) {
  // time.Unix(math.MinInt64, 0).UTC() is 292277026596-12-04 15:30:08, a Sunday.
  EXPECT_EQ(GoDateField(DateField::kYear, kMin), 292277026596.0);
  EXPECT_EQ(GoDateField(DateField::kMonth, kMin), 12);
  EXPECT_EQ(GoDateField(DateField::kDayOfMonth, kMin), 4);
  EXPECT_EQ(GoDateField(DateField::kHour, kMin), 15);
  EXPECT_EQ(GoDateField(DateField::kMinute, kMin), 30);
  EXPECT_EQ(GoDateField(DateField::kDayOfWeek, kMin), 0);
  EXPECT_EQ(GoDateField(DateField::kDayOfYear, kMin), 339);
  EXPECT_EQ(GoDateField(DateField::kDaysInMonth, kMin), 31);
}

}  // namespace
}  // namespace promethium::promql
