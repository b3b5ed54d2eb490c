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

TEST(SeriesDescTest, HistogramsAreDecoded) {
  auto d = ParseSeriesDesc("h {{schema:0 sum:5 count:4 buckets:[1 2 1]}} {{count:1}}x2 3");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  ASSERT_EQ(d->values.size(), 5u);  // x2 gives three copies
  EXPECT_TRUE(d->values[0].histogram);
  ASSERT_NE(d->values[0].h, nullptr);
  EXPECT_EQ(d->values[0].h->count, 4);
  EXPECT_EQ(d->values[0].h->positive_buckets, (std::vector<double>{1, 2, 1}));
  EXPECT_TRUE(d->values[3].histogram);
  EXPECT_EQ(d->values[3].h->count, 1);
  EXPECT_FALSE(d->values[4].histogram);
  EXPECT_EQ(d->values[4].value, 3);
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

TEST(RunnerTest, CountsPassFailAndKnownFailures) {
  promql::Engine engine(Runner::TestEngineOptions());
  auto known = KnownFailures::Parse(R"(
# comment
t.test:8 listed and failing
t.test:11 listed but passing
t.test:3 not a command
other.test:1 another file
)");
  ASSERT_TRUE(known.ok()) << known.status().ToString();
  Runner runner(&engine, StorageKind::kMemory, &*known);
  auto res = runner.RunScript("t.test", R"(
load 1m
  up{job="a"} 1 1 1

eval instant at 2m up
  up{job="a"} 1

eval instant at 2m up
  up{job="a"} 2

eval instant at 2m up
  up{job="a"} 1

eval instant at 2m up
  up{job="a"} 3
)");
  EXPECT_TRUE(res.script_error.empty()) << res.script_error;
  EXPECT_EQ(res.passed, 1);
  EXPECT_EQ(res.known_failed, 1);
  ASSERT_EQ(res.known_failures.size(), 1u);
  EXPECT_NE(res.known_failures[0].find("t.test:8"), std::string::npos) << res.known_failures[0];
  // Line 11 passes while listed, line 14 fails unlisted, line 3 is stale.
  EXPECT_EQ(res.failed, 3);
  ASSERT_EQ(res.failures.size(), 3u);
  EXPECT_NE(res.failures[0].find("t.test:11: up: passes but is listed"), std::string::npos) << res.failures[0];
  EXPECT_NE(res.failures[1].find("t.test:14"), std::string::npos) << res.failures[1];
  EXPECT_NE(res.failures[2].find("t.test:3: listed in the known failures but no load or eval"), std::string::npos)
      << res.failures[2];
}

TEST(KnownFailuresTest, RejectsMalformedLines) {
  EXPECT_FALSE(KnownFailures::Parse("t.test:9\n").ok());                // no reason
  EXPECT_FALSE(KnownFailures::Parse("t.test 9 reason\n").ok());         // no colon
  EXPECT_FALSE(KnownFailures::Parse("t.test:x9 reason\n").ok());        // not a number
  EXPECT_FALSE(KnownFailures::Parse("t.test:9 a\nt.test:9 b\n").ok());  // twice
  auto k = KnownFailures::Parse("a.test:4 why\n\n# c\n");
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->Reason("a.test", 4).value_or(""), "why");
  EXPECT_FALSE(k->Reason("a.test", 5).has_value());
}

// Native histograms load into the memory storage and compare as in
// Prometheus: buckets within the float tolerance, empty buckets ignored, the
// counter-reset hint only when the expectation names it.
TEST(RunnerTest, HistogramValuesLoadAndCompare) {
  promql::Engine engine(Runner::TestEngineOptions());
  Runner runner(&engine, StorageKind::kMemory);
  auto res = runner.RunScript("t.test", R"(
load 1m
  hist {{schema:0 count:4 sum:5 buckets:[1 2 1] counter_reset_hint:gauge}}x2

eval instant at 1m hist
  hist {{schema:0 count:4 sum:5.0000000001 buckets:[1 2 1 0]}}

eval instant at 1m hist
  hist {{schema:0 count:4 sum:5 buckets:[1 2 1] counter_reset_hint:gauge}}

eval instant at 1m hist
  hist {{schema:0 count:4 sum:5 buckets:[1 2 1] counter_reset_hint:reset}}

eval instant at 1m hist
  hist {{schema:0 count:4 sum:5 offset:1 buckets:[1 2 1]}}

eval instant at 1m hist
  hist 4

eval range from 0 to 2m step 1m hist
  hist {{schema:0 count:4 sum:5 buckets:[1 2 1]}}x2
)");
  EXPECT_TRUE(res.script_error.empty()) << res.script_error;
  EXPECT_EQ(res.passed, 3);
  ASSERT_EQ(res.failures.size(), 3u);
  EXPECT_NE(res.failures[0].find("t.test:11"), std::string::npos) << res.failures[0];  // hint differs
  EXPECT_NE(res.failures[1].find("t.test:14"), std::string::npos) << res.failures[1];  // offset differs
  EXPECT_NE(res.failures[2].find("t.test:17: hist: expected float value 4 for {__name__=\"hist\"} but got histogram"),
            std::string::npos)
      << res.failures[2];
}

// load_with_nhcb adds the NHCB series of each classic histogram (values from
// Prometheus's convertnhcb: per-bucket counts, finite bounds as custom
// values).
TEST(RunnerTest, LoadWithNhcbConvertsClassicHistograms) {
  promql::Engine engine(Runner::TestEngineOptions());
  Runner runner(&engine, StorageKind::kMemory);
  auto res = runner.RunScript("t.test", R"(
load_with_nhcb 1m
  req_bucket{le="0.5"} 1 2
  req_bucket{le="1"} 3 4
  req_bucket{le="+Inf"} 4 7
  req_count 4 7
  req_sum 2.5 6

eval instant at 1m req
  req {{schema:-53 count:7 sum:6 custom_values:[0.5 1] buckets:[2 2 3]}}

eval instant at 0m req_bucket
  req_bucket{le="0.5"} 1
  req_bucket{le="1"} 3
  req_bucket{le="+Inf"} 4
)");
  EXPECT_TRUE(res.script_error.empty()) << res.script_error;
  EXPECT_EQ(res.passed, 2);
  EXPECT_EQ(res.failed, 0) << (res.failures.empty() ? "" : res.failures[0]);

  auto bad = runner.RunScript("t.test", R"(
load_with_nhcb 1m
  req_bucket{le="0.5"} 5
  req_bucket{le="1"} 3
)");
  EXPECT_EQ(bad.failed, 1);
  ASSERT_EQ(bad.failures.size(), 1u);
  EXPECT_NE(bad.failures[0].find("t.test:2: load: "), std::string::npos) << bad.failures[0];
  EXPECT_NE(bad.failures[0].find("count is not cumulative"), std::string::npos) << bad.failures[0];
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

// Histogram values and load_with_nhcb go through either storage's appender.
TEST_P(RunnerStorageTest, HistogramsLoad) {
  promql::Engine engine(Runner::TestEngineOptions());
  Runner runner(&engine, GetParam());
  auto res = runner.RunScript("t.test", R"(
load_with_nhcb 1m
  hist {{schema:1 count:4 sum:5 z_bucket:1 z_bucket_w:0.001 buckets:[1 2] n_buckets:[0 0 1]}}+{{schema:1 count:1 buckets:[1]}}x2
  req_bucket{le="1"} 1 2
  req_bucket{le="+Inf"} 3 3

eval range from 0 to 2m step 1m hist
  hist {{schema:1 count:4 sum:5 z_bucket:1 z_bucket_w:0.001 buckets:[1 2] n_offset:2 n_buckets:[1]}} {{schema:1 count:5 sum:5 z_bucket:1 z_bucket_w:0.001 buckets:[2 2] n_offset:2 n_buckets:[1]}} {{schema:1 count:6 sum:5 z_bucket:1 z_bucket_w:0.001 buckets:[3 2] n_offset:2 n_buckets:[1]}}

eval instant at 1m req
  req {{schema:-53 count:3 custom_values:[1] buckets:[2 1]}}
)");
  EXPECT_TRUE(res.script_error.empty()) << res.script_error;
  EXPECT_EQ(res.passed, 2);
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
