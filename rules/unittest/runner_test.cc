// The rule unit-test runner on its corpus (testdata/: *.pass.yml must pass,
// *.fail.yml must fail; tests/e2e/rules_unittest_test.py checks the same
// verdicts against promtool 2.42), the failure texts, and the template
// corpus verified with promtool.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "rules/unittest/cli.h"
#include "rules/unittest/report.h"
#include "rules/unittest/runner.h"
#include "rules/unittest/test_file.h"

namespace promethium::rules::unittest {
namespace {

namespace fs = std::filesystem;

std::string Data(const std::string& f) { return std::string(RULES_UNITTEST_TESTDATA) + "/" + f; }

std::string Joined(const std::vector<std::string>& errs) {
  std::string out;
  for (const auto& e : errs) out += e + "\n";
  return out;
}

TEST(RuleUnitTestCorpus, VerdictsFollowFileNames) {
  int pass = 0, fail = 0;
  for (const auto& e : fs::directory_iterator(RULES_UNITTEST_TESTDATA)) {
    const std::string name = e.path().filename().string();
    if (!e.is_regular_file() || e.path().extension() != ".yml") continue;
    std::ostringstream warnings;
    const std::vector<std::string> errs = RunTestFile(e.path().string(), warnings);
    if (name.ends_with(".pass.yml")) {
      ++pass;
      EXPECT_TRUE(errs.empty()) << name << ":\n" << Joined(errs);
    } else {
      ++fail;
      EXPECT_FALSE(errs.empty()) << name << " passed but should fail";
    }
  }
  EXPECT_GE(pass, 5);
  EXPECT_GE(fail, 15);
}

TEST(RuleUnitTestCorpus, TemplateCorpusVerifiedByPromtoolPasses) {
  std::ostringstream warnings;
  const auto errs = RunTestFile(std::string(RULES_TEMPLATE_TESTDATA) + "/templates_test.yml", warnings);
  EXPECT_TRUE(errs.empty()) << Joined(errs);
}

TEST(RuleUnitTestMessages, AlertMismatchReadsLikePromtool) {
  std::ostringstream warnings;
  const auto errs = RunTestFile(Data("wrong_labels.fail.yml"), warnings);
  ASSERT_EQ(errs.size(), 1u) << Joined(errs);
  EXPECT_EQ(
      errs[0],
      "    alertname: InstanceDown, time: 7m, \n"
      "        exp:[\n"
      "            0:\n"
      "              Labels:{alertname=\"InstanceDown\", instance=\"a\", job=\"node\", severity=\"critical\"}\n"
      "              Annotations:{description=\"a has been down; value 0.\", summary=\"Instance a of node down\"}\n"
      "            ], \n"
      "        got:[\n"
      "            0:\n"
      "              Labels:{alertname=\"InstanceDown\", instance=\"a\", job=\"node\", severity=\"page\"}\n"
      "              Annotations:{description=\"a has been down; value 0.\", summary=\"Instance a of node down\"}\n"
      "            ]");
}

TEST(RuleUnitTestMessages, ExprMismatchReadsLikePromtool) {
  std::ostringstream warnings;
  const auto errs = RunTestFile(Data("wrong_value.fail.yml"), warnings);
  ASSERT_EQ(errs.size(), 1u) << Joined(errs);
  EXPECT_EQ(errs[0],
            "    expr: \"job:up:sum\", time: 0s,\n"
            "        exp: {__name__=\"job:up:sum\", job=\"node\"} 3E+00\n"
            "        got: {__name__=\"job:up:sum\", job=\"node\"} 2E+00");
}

// Native histograms in input_series and exp_samples' `histogram:` (promtool
// 3.x); expectations follow FloatHistogram.TestExpression, which omits
// zero fields and the unknown counter-reset hint.
TEST(RuleUnitTestHistograms, NativeHistogramInputAndExpectationsPass) {
  std::ostringstream warnings;
  const auto errs = RunTestFile(Data("histograms/native_histograms.pass.yml"), warnings);
  EXPECT_TRUE(errs.empty()) << Joined(errs);
}

TEST(RuleUnitTestHistograms, MismatchesReadLikePromtool) {
  std::ostringstream warnings;
  const auto errs = RunTestFile(Data("histograms/wrong_histogram.fail.yml"), warnings);
  ASSERT_EQ(errs.size(), 3u) << Joined(errs);
  EXPECT_EQ(errs[0],
            "    expr: \"h\", time: 0s,\n"
            "        exp: {__name__=\"h\", job=\"a\"} {{count:4 sum:11 buckets:[1 2 1]}}\n"
            "        got: {__name__=\"h\", job=\"a\"} {{count:4 sum:10 buckets:[1 2 1]}}");
  EXPECT_EQ(errs[1],
            "    expr: \"h\", time: 0s,\n"
            "        exp: {__name__=\"h\", job=\"a\"} 0E+00\n"
            "        got: {__name__=\"h\", job=\"a\"} {{count:4 sum:10 buckets:[1 2 1]}}");
  EXPECT_EQ(errs[2], "    expr: \"h\", time: 0s, err: labels \"h{job=\\\"a\\\"}\": expected histogram, got 5");
}

TEST(RuleUnitTestFile, HistogramField) {
  auto f = ParseUnitTestFile(
      "tests:\n- promql_expr_test:\n  - expr: x\n    exp_samples:\n    - labels: x\n"
      "      histogram: '{{count:1}}'\n");
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(f->tests[0].promql_expr_tests[0].exp_samples[0].histogram, "{{count:1}}");
}

TEST(RuleUnitTestMessages, RuleErrorStopsTheGroup) {
  std::ostringstream warnings;
  const auto errs = RunTestFile(Data("rule_error.fail.yml"), warnings);
  ASSERT_EQ(errs.size(), 1u) << Joined(errs);
  EXPECT_TRUE(errs[0].starts_with("    rule: job:flat, time: 0s, err: ")) << errs[0];
}

TEST(RuleUnitTestMessages, MissingRuleFileWarns) {
  const fs::path dir = fs::temp_directory_path() / "rules_unittest_missing";
  fs::create_directories(dir);
  const std::string test = (dir / "t.yml").string();
  {
    std::ofstream f(test);
    f << "rule_files: [nothing-*.yml]\ntests:\n- promql_expr_test:\n  - expr: vector(2)\n    exp_samples:\n"
         "    - value: 2\n";
  }
  std::ostringstream warnings;
  EXPECT_TRUE(RunTestFile(test, warnings).empty());
  EXPECT_EQ(warnings.str(), "  WARNING: no file match pattern " + (dir / "nothing-*.yml").string() + "\n");
  fs::remove_all(dir);
}

TEST(RuleUnitTestCli, ExitCodesAndOutput) {
  std::ostringstream out, err;
  EXPECT_EQ(RunTestCommand({"rules", Data("basic.pass.yml")}, "promethium", out, err), 0);
  EXPECT_EQ(out.str(), "Unit Testing:  " + Data("basic.pass.yml") + "\n  SUCCESS\n\n");
  std::ostringstream out2, err2;
  EXPECT_EQ(RunTestCommand({"rules", Data("basic.pass.yml"), Data("nan.fail.yml")}, "promethium", out2, err2), 1);
  EXPECT_TRUE(err2.str().starts_with("  FAILED:\n    expr: \"x\", time: 0s,\n")) << err2.str();
  std::ostringstream out3, err3;
  EXPECT_EQ(RunTestCommand({"rules"}, "promethium", out3, err3), 2);
  EXPECT_EQ(RunTestCommand({"alerts", "x.yml"}, "promethium", out3, err3), 2);
  EXPECT_EQ(RunTestCommand({}, "promethium", out3, err3), 2);
}

TEST(RuleUnitTestReport, GoDurations) {
  EXPECT_EQ(GoDurationString(0), "0s");
  EXPECT_EQ(GoDurationString(600000), "10m0s");
  EXPECT_EQ(GoDurationString(3600000), "1h0m0s");
  EXPECT_EQ(GoDurationString(90500), "1m30.5s");
  EXPECT_EQ(GoDurationString(250), "250ms");
}

TEST(RuleUnitTestFile, StrictDecoding) {
  EXPECT_FALSE(ParseUnitTestFile("tests:\n- intervall: 1m\n").ok());
  EXPECT_FALSE(ParseUnitTestFile("evaluation_interval: 5\n").ok());
  auto f = ParseUnitTestFile(
      "evaluation_interval: 30s\ntests:\n- promql_expr_test:\n  - expr: x\n    exp_samples:\n    - value: .inf\n"
      "    - value: -2.5e1\n");
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(f->evaluation_interval_ms, 30000);
  EXPECT_EQ(f->tests[0].promql_expr_tests[0].exp_samples[1].value, -25);
}

}  // namespace
}  // namespace promethium::rules::unittest
