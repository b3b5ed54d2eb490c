#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>

#include "tsdb/base/env.h"
#include "tsdb/base/metrics.h"
#include "tsdb/base/result.h"
#include "tsdb/base/status.h"

namespace promethium {
namespace {

TEST(StatusTest, CodesAndContext) {
  EXPECT_TRUE(Status::OK().ok());
  Status s = Status::Corruption("bad crc").WithContext("wal/00000001 offset 42");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Status::Code::kCorruption);
  EXPECT_EQ(s.message(), "wal/00000001 offset 42: bad crc");
  EXPECT_EQ(Status::Unsupported("native histograms").message(), "unsupported: native histograms");
}

Result<int> Half(int x) {
  if (x % 2 != 0) return Status::InvalidArgument("odd");
  return x / 2;
}

Status UseHalf(int x, int* out) {
  PROMETHIUM_ASSIGN_OR_RETURN(*out, Half(x));
  return Status::OK();
}

TEST(ResultTest, ValueAndError) {
  int out = 0;
  EXPECT_TRUE(UseHalf(8, &out).ok());
  EXPECT_EQ(out, 4);
  Status s = UseHalf(3, &out);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(out, 4);
}

TEST(FloatFormatTest, MatchesGo) {
  EXPECT_EQ(FormatPromFloat(1), "1");
  EXPECT_EQ(FormatPromFloat(0.25), "0.25");
  EXPECT_EQ(FormatPromFloat(123456), "123456");
  EXPECT_EQ(FormatPromFloat(1234567), "1.234567e+06");
  EXPECT_EQ(FormatPromFloat(1e-5), "1e-05");
  EXPECT_EQ(FormatPromFloat(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatPromFloat(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatPromFloat(std::nan("")), "NaN");
  EXPECT_EQ(FormatJsonFloat(1234567), "1234567");
  EXPECT_EQ(FormatJsonFloat(1e-5), "0.00001");
  EXPECT_EQ(FormatJsonFloat(0.1), "0.1");
  EXPECT_EQ(FormatJsonFloat(-0.0), "-0");
  EXPECT_EQ(FormatJsonFloat(1e21), "1000000000000000000000");
}

TEST(MetricsRegistryTest, RendersSortedFamilies) {
  MetricsRegistry reg;
  reg.GetCounter("b_total", "B things.", {{"code", "200"}})->Inc(3);
  reg.GetGauge("a_gauge", "An \"a\".")->Set(1.5);
  reg.RegisterGaugeFunc("c_func", "From a callback.", [] { return 7.0; });
  HistogramMetric* h = reg.GetHistogram("d_seconds", "Durations.", {0.1, 1});
  h->Observe(0.05);
  h->Observe(0.5);
  h->Observe(5);
  EXPECT_EQ(reg.RenderText(),
            "# HELP a_gauge An \"a\".\n# TYPE a_gauge gauge\na_gauge 1.5\n"
            "# HELP b_total B things.\n# TYPE b_total counter\nb_total{code=\"200\"} 3\n"
            "# HELP c_func From a callback.\n# TYPE c_func gauge\nc_func 7\n"
            "# HELP d_seconds Durations.\n# TYPE d_seconds histogram\n"
            "d_seconds_bucket{le=\"0.1\"} 1\nd_seconds_bucket{le=\"1\"} 2\nd_seconds_bucket{le=\"+Inf\"} 3\n"
            "d_seconds_sum 5.55\nd_seconds_count 3\n");
}

TEST(EnvTest, AtomicWriteAndRead) {
  Env* env = Env::Default();
  std::string dir = ::testing::TempDir() + "/env_test";
  ASSERT_TRUE(env->RemoveDirRecursively(dir).ok());
  ASSERT_TRUE(env->CreateDirs(dir).ok());
  ASSERT_TRUE(WriteFileAtomically(env, dir + "/meta.json", "{\"v\":1}").ok());
  EXPECT_FALSE(env->FileExists(dir + "/meta.json.tmp"));
  auto data = ReadFileToString(env, dir + "/meta.json");
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(*data, "{\"v\":1}");
  auto missing = ReadFileToString(env, dir + "/nope");
  EXPECT_EQ(missing.status().code(), Status::Code::kNotFound);
  EXPECT_TRUE(env->RemoveDirRecursively(dir).ok());
}

}  // namespace
}  // namespace promethium

#include "tsdb/base/duration.h"

namespace promethium {
namespace {

TEST(DurationTest, ParsesPrometheusSyntax) {
  EXPECT_EQ(*ParseDuration("1m30s"), 90'000);
  EXPECT_EQ(*ParseDuration("250ms"), 250);
  EXPECT_EQ(*ParseDuration("1h1ms"), 3'600'001);
  EXPECT_EQ(*ParseDuration("2d"), 2 * 86'400'000LL);
  EXPECT_EQ(*ParseDuration("1y"), 365 * 86'400'000LL);
  EXPECT_EQ(*ParseDuration("0"), 0);
  EXPECT_FALSE(ParseDuration("").ok());
  EXPECT_FALSE(ParseDuration("1").ok());
  EXPECT_FALSE(ParseDuration("30s1m").ok());  // out of order
  EXPECT_FALSE(ParseDuration("1m1m").ok());   // repeated
  EXPECT_FALSE(ParseDuration("1.5m").ok());
  EXPECT_FALSE(ParseDuration("99999999999999999999y").ok());
  EXPECT_EQ(ParseDuration("5x").status().message(), "not a valid duration string: \"5x\"");
}

TEST(DurationTest, Formats) {
  EXPECT_EQ(FormatDuration(90'000), "1m30s");
  EXPECT_EQ(FormatDuration(0), "0s");
  EXPECT_EQ(FormatDuration(-300'000), "-5m");
  EXPECT_EQ(FormatDuration(86'400'000LL * 8), "1w1d");
  EXPECT_EQ(FormatDuration(1500), "1s500ms");
}

}  // namespace
}  // namespace promethium
