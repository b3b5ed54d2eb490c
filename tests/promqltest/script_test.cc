// Tests for promqltest script parsing and result comparison.
#include "tests/promqltest/script.h"

#include <gtest/gtest.h>

#include <cmath>

#include "promql/engine/engine.h"
#include "tests/promqltest/runner.h"

namespace promethium::promqltest {
namespace {

std::vector<double> Values(const SeriesDesc& d) {
  std::vector<double> out;
  for (const auto& v : d.values) out.push_back(v.omitted ? -999 : v.value);
  return out;
}

TEST(SeriesDescTest, ExpandsSequences) {
  auto d = ParseSeriesDesc(R"(http_requests{job="api", path="/x"} 1+2x3 _ 5-1x2 _x2 7x1)");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->metric, (Labels{{"__name__", "http_requests"}, {"job", "api"}, {"path", "/x"}}));
  EXPECT_EQ(Values(*d), (std::vector<double>{1, 3, 5, 7, -999, 5, 4, 3, -999, -999, 7, 7}));
}

TEST(SeriesDescTest, SpecialValues) {
  auto d = ParseSeriesDesc("{a=\"b\"} stale Inf -Inf NaN 1e3 -2.5e-1 0x2");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  ASSERT_EQ(d->values.size(), 9u);  // "0x2" is 0 repeated, not hex
  EXPECT_TRUE(IsStaleNaN(d->values[0].value));
  EXPECT_TRUE(std::isinf(d->values[1].value) && d->values[1].value > 0);
  EXPECT_TRUE(std::isinf(d->values[2].value) && d->values[2].value < 0);
  EXPECT_TRUE(std::isnan(d->values[3].value) && !IsStaleNaN(d->values[3].value));
  EXPECT_EQ(d->values[4].value, 1000);
  EXPECT_EQ(d->values[5].value, -0.25);
  EXPECT_EQ(d->values[6].value, 0);
  EXPECT_EQ(d->values[8].value, 0);
  EXPECT_FALSE(d->metric.Has("__name__"));
}

TEST(SeriesDescTest, HistogramsAreMarked) {
  auto d = ParseSeriesDesc("h {{schema:0 sum:5 count:4 buckets:[1 2 1]}} {{count:1}}x2 3");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  ASSERT_EQ(d->values.size(), 3u);
  EXPECT_TRUE(d->values[0].histogram);
  EXPECT_TRUE(d->values[1].histogram);
  EXPECT_EQ(d->values[2].value, 3);
}

TEST(ScriptTest, ParsesCommands) {
  auto cmds = ParseScript(R"(
# comment
load 5m
  foo{a="1"} 1 2 3

eval instant at 10m foo
  expect no_warn
  foo{a="1"} 3

eval range from 0 to 10m step 5m foo * 2
  {a="1"} 2 4 6

eval_fail instant at 0m foo(
  expected_fail_regexp parse error

clear
eval instant at 0 "x"
  expect string "x"
)");
  ASSERT_TRUE(cmds.ok()) << cmds.status().ToString();
  ASSERT_EQ(cmds->size(), 6u);
  EXPECT_EQ((*cmds)[0].kind, Command::Kind::kLoad);
  EXPECT_EQ((*cmds)[0].load.interval_ms, 300000);
  const EvalCmd& e1 = (*cmds)[1].eval;
  EXPECT_EQ(e1.expr, "foo");
  EXPECT_EQ(e1.start_ms, 600000);
  ASSERT_EQ(e1.expects.size(), 1u);
  EXPECT_EQ(e1.expects[0].type, ExpectType::kNoWarn);
  const EvalCmd& e2 = (*cmds)[2].eval;
  EXPECT_TRUE(e2.is_range);
  EXPECT_EQ(e2.step_ms, 300000);
  EXPECT_TRUE((*cmds)[3].eval.fail);
  EXPECT_EQ((*cmds)[3].eval.expected_fail_regexp, "parse error");
  EXPECT_EQ((*cmds)[4].kind, Command::Kind::kClear);
  EXPECT_EQ((*cmds)[5].eval.expected_string, "x");
}

TEST(AlmostEqualTest, Rules) {
  EXPECT_TRUE(AlmostEqual(1.0, 1.0000001, 1e-6));
  EXPECT_FALSE(AlmostEqual(1.0, 1.01, 1e-6));
  EXPECT_TRUE(AlmostEqual(NAN, NAN, 1e-6));
  EXPECT_FALSE(AlmostEqual(StaleNaN(), NAN, 1e-6));
  EXPECT_FALSE(AlmostEqual(0, 1e-300, 1e-6));
}

TEST(RunnerTest, CountsPassFailAndSkip) {
  promql::Engine engine(Runner::TestEngineOptions());
  Runner runner(&engine);
  auto res = runner.RunScript("t.test", R"(
load 1m
  up{job="a"} 1 1 1
  hist {{schema:0 count:1}}

eval instant at 2m up
  up{job="a"} 1

eval instant at 2m up
  up{job="a"} 2

eval instant at 2m hist
  {} 1
)");
  EXPECT_TRUE(res.script_error.empty()) << res.script_error;
  EXPECT_EQ(res.passed, 1);
  EXPECT_EQ(res.failed, 1);
  EXPECT_EQ(res.skipped, 1);
  ASSERT_EQ(res.failures.size(), 1u);
  EXPECT_NE(res.failures[0].find("t.test:9"), std::string::npos) << res.failures[0];
}

// A series defined twice in one load keeps only its last definition, as in
// Prometheus's loadCmd; both storages must agree.
constexpr char kRedefinedSeries[] = R"(
load 1m
  data{p="a"} 1 2 3
  data{p="b"} Inf
  data{p="b"} -Inf

eval instant at 0m sum(data)
  {} -Inf

eval instant at 2m data
  data{p="a"} 3
  data{p="b"} -Inf
)";

class RunnerStorageTest : public ::testing::TestWithParam<StorageKind> {};

TEST_P(RunnerStorageTest, LastDefinitionOfASeriesWins) {
  promql::Engine engine(Runner::TestEngineOptions());
  Runner runner(&engine, GetParam());
  auto res = runner.RunScript("t.test", kRedefinedSeries);
  EXPECT_TRUE(res.script_error.empty()) << res.script_error;
  EXPECT_EQ(res.passed, 2);
  EXPECT_EQ(res.failed, 0) << (res.failures.empty() ? "" : res.failures[0]);
}

TEST_P(RunnerStorageTest, ClearDropsAllData) {
  promql::Engine engine(Runner::TestEngineOptions());
  Runner runner(&engine, GetParam());
  auto res = runner.RunScript("t.test", R"(
load 1m
  up{job="a"} 1 1

clear

load 1m
  up{job="b"} 5

eval instant at 1m up
  up{job="b"} 5
)");
  EXPECT_TRUE(res.script_error.empty()) << res.script_error;
  EXPECT_EQ(res.passed, 1);
  EXPECT_EQ(res.failed, 0) << (res.failures.empty() ? "" : res.failures[0]);
}

INSTANTIATE_TEST_SUITE_P(Storages, RunnerStorageTest, ::testing::Values(StorageKind::kHead, StorageKind::kMemory),
                         [](const auto& info) { return std::string(StorageKindName(info.param)); });

// The head rejects a later load that goes back in time for a series (out of
// order, as Prometheus's head with no out-of-order window); the runner must
// report that as a failed load rather than silently dropping data.
TEST(RunnerHeadTest, RejectedSamplesFailTheLoad) {
  promql::Engine engine(Runner::TestEngineOptions());
  Runner runner(&engine, StorageKind::kHead);
  auto res = runner.RunScript("t.test", R"(
load 1m
  up 1 1 1

load 1m
  up 7
)");
  EXPECT_TRUE(res.script_error.empty()) << res.script_error;
  EXPECT_EQ(res.failed, 1);
  ASSERT_EQ(res.failures.size(), 1u);
  EXPECT_NE(res.failures[0].find("t.test:5: load:"), std::string::npos) << res.failures[0];
}

TEST(StorageKindTest, Parses) {
  EXPECT_EQ(*ParseStorageKind("head"), StorageKind::kHead);
  EXPECT_EQ(*ParseStorageKind("memory"), StorageKind::kMemory);
  EXPECT_FALSE(ParseStorageKind("disk").ok());
}

}  // namespace
}  // namespace promethium::promqltest
