// Unit tests of the rule file loader: decoded values, the exact messages of
// a file with many problems, the template hook, name schemes, loading and
// rule_files globbing. The promtool differential is promtool_diff_test.cc.
#include "rules/rulefmt/rulefmt.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "rules/rulefmt/rulefmt_test_util.h"

namespace promethium::rules {
namespace {

using testutil::BalancedBracesChecker;

RuleFile MustParse(std::string_view text, const RuleFileOptions& opts = {}) {
  Result<RuleFile> rf = ParseRuleFile("r.yml", text, BalancedBracesChecker, opts);
  EXPECT_TRUE(rf.ok()) << rf.status().message();
  return rf.ok() ? *rf : RuleFile{};
}

std::string ParseError(std::string_view text, const RuleFileOptions& opts = {}) {
  Result<RuleFile> rf = ParseRuleFile("r.yml", text, BalancedBracesChecker, opts);
  EXPECT_FALSE(rf.ok());
  if (rf.ok()) return "";
  EXPECT_EQ(rf.status().code(), Status::Code::kInvalidArgument);
  return rf.status().message();
}

TEST(RuleFmtTest, DecodesEveryField) {
  RuleFile rf = MustParse(R"(groups:
  - name: g
    interval: 30s
    query_offset: 1m
    limit: 10
    labels: {team: a, env: prod}
    rules:
      - alert: HostDown
        expr: up == 0
        for: 5m
        keep_firing_for: 1h30m
        labels:
          severity: page
          component: node
          dropped: ""
        annotations:
          summary: "{{ $labels.instance }} down"
          description: text
      - record: job:up:sum
        expr: sum by (job) (up)
  - name: h
    query_offset: 0s
)");
  EXPECT_EQ(rf.path, "r.yml");
  ASSERT_EQ(rf.groups.size(), 2u);
  const RuleGroup& g = rf.groups[0];
  EXPECT_EQ(g.name, "g");
  EXPECT_EQ(g.line, 2);
  EXPECT_EQ(g.interval_ms, 30000);
  EXPECT_EQ(g.query_offset_ms, 60000);
  EXPECT_EQ(g.limit, 10);
  EXPECT_EQ(g.labels, (Labels{{"env", "prod"}, {"team", "a"}}));
  ASSERT_EQ(g.rules.size(), 2u);
  const RuleNode& alert = g.rules[0];
  EXPECT_EQ(alert.alert, "HostDown");
  EXPECT_EQ(alert.record, "");
  EXPECT_EQ(alert.expr, "up == 0");
  EXPECT_EQ(alert.for_ms, 300000);
  EXPECT_EQ(alert.keep_firing_for_ms, 5400000);
  EXPECT_EQ(alert.labels, (Labels{{"component", "node"}, {"severity", "page"}}));
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(alert.annotations, (Pairs{{"description", "text"}, {"summary", "{{ $labels.instance }} down"}}));
  EXPECT_EQ(alert.line, 8);
  EXPECT_EQ(g.rules[1].record, "job:up:sum");
  EXPECT_EQ(g.rules[1].line, 19);
  const RuleGroup& h = rf.groups[1];
  EXPECT_EQ(h.interval_ms, 0);      // the global evaluation_interval
  EXPECT_EQ(h.query_offset_ms, 0);  // explicitly none
  EXPECT_EQ(h.limit, 0);
  EXPECT_EQ(MustParse("groups:\n  - name: x\n").groups[0].query_offset_ms, -1);  // unset
}

TEST(RuleFmtTest, EmptyDocumentsHaveNoGroups) {
  EXPECT_TRUE(MustParse("").groups.empty());
  EXPECT_TRUE(MustParse("# nothing\n").groups.empty());
  EXPECT_TRUE(MustParse("groups:\n").groups.empty());
  EXPECT_TRUE(MustParse("groups: []\n").groups.empty());
}

// All problems of a file, one line each, in file order; within a rule in
// Prometheus's check order. Group problems come before its rules'.
TEST(RuleFmtTest, ReportsEveryProblemInFileOrder) {
  std::string msg = ParseError(R"(groups:
  - name: g
    rules:
      - alert: X
        expr: up == 0
        labels:
          __name__: y
          sev: '{{ $labels.instance '
        annotations:
          "": c
      - record: "job:up{x}"
        expr: sum(up
        for: 1m
      - expr: up
      - record: x
        alert: y
        expr: up
  - name: g
    labels:
      "": v
  - rules: []
)");
  EXPECT_EQ(msg,
            "r.yml: 7:11: group \"g\", rule 1, \"X\": invalid label name: __name__\n"
            "r.yml: 10:11: group \"g\", rule 1, \"X\": invalid annotation name: \n"
            "r.yml: 8:16: group \"g\", rule 1, \"X\": label \"sev\": template: __alert_X:1: unclosed action\n"
            "r.yml: 12:15: group \"g\", rule 2, \"job:up{x}\": could not parse expression: 1:7: parse error: "
            "unclosed left parenthesis\n"
            "r.yml: 11:17: group \"g\", rule 2, \"job:up{x}\": invalid field 'for' in recording rule\n"
            "r.yml: 11:17: group \"g\", rule 2, \"job:up{x}\": braces present in the recording rule name; should it "
            "be in expr?: job:up{x}\n"
            "r.yml: 14:9: group \"g\", rule 3, \"\": one of 'record' or 'alert' must be set\n"
            "r.yml: 15:17: 16:16: group \"g\", rule 4, \"y\": only one of 'record' and 'alert' must be set\n"
            "r.yml: 18:5: groupname: \"g\" is repeated in the same file\n"
            "r.yml: 20:7: group \"g\": invalid label name: \n"
            "r.yml: 21:5: Groupname must not be empty");
}

// As Prometheus: decoding problems are reported alone; validation needs a
// fully decoded file.
TEST(RuleFmtTest, DecodeErrorsAreReportedWithoutValidation) {
  std::string msg = ParseError(R"(groups:
  - name: g
    rules:
      - alert: A
        expr: sum(
        severity: page
        for: 1 minute
        labels: [a]
  - name: g
    limit: "5"
    limit: 6
)");
  EXPECT_EQ(msg,
            "r.yml: 6:9: field severity not found in type rulefmt.Rule\n"
            "r.yml: 7:14: not a valid duration string: \"1 minute\"\n"
            "r.yml: 8:17: cannot unmarshal !!seq into map[string]string\n"
            "r.yml: 10:12: cannot unmarshal !!str `5` into int\n"
            "r.yml: 11:5: mapping key \"limit\" already defined at line 10");
}

TEST(RuleFmtTest, YamlSyntaxErrorsHaveAPosition) {
  std::string msg = ParseError("groups:\n  - name: [g\n");
  EXPECT_TRUE(msg.starts_with("r.yml: ")) << msg;
  EXPECT_NE(msg.find(": yaml: "), std::string::npos) << msg;
  EXPECT_EQ(ParseError("groups:\n  - name: \"g\xc3\"\n"), "r.yml: 2:13: yaml: invalid UTF-8 octet sequence");
}

TEST(RuleFmtTest, DurationsFollowPrometheus) {
  auto group = [](std::string_view fields) { return "groups:\n  - name: g\n" + std::string(fields); };
  EXPECT_EQ(MustParse(group("    interval: 1h30m\n")).groups[0].interval_ms, 5400000);
  EXPECT_EQ(MustParse(group("    interval: 0\n")).groups[0].interval_ms, 0);
  EXPECT_EQ(MustParse(group("    interval: 1y\n")).groups[0].interval_ms, 365LL * 24 * 3600 * 1000);
  EXPECT_EQ(ParseError(group("    interval: -1m\n")), "r.yml: 3:15: not a valid duration string: \"-1m\"");
  EXPECT_EQ(ParseError(group("    query_offset: 1m1h\n")), "r.yml: 3:19: not a valid duration string: \"1m1h\"");
  EXPECT_EQ(ParseError(group("    interval: 5\n")), "r.yml: 3:15: not a valid duration string: \"5\"");
  EXPECT_EQ(ParseError(group("    interval: [1m]\n")), "r.yml: 3:15: cannot unmarshal !!seq into string");
}

TEST(RuleFmtTest, LimitIsAnInteger) {
  auto limit = [](std::string_view v) { return "groups:\n  - name: g\n    limit: " + std::string(v) + "\n"; };
  EXPECT_EQ(MustParse(limit("0")).groups[0].limit, 0);
  EXPECT_EQ(MustParse(limit("250")).groups[0].limit, 250);
  EXPECT_EQ(MustParse(limit("-1")).groups[0].limit, -1);  // accepted by Prometheus: no limit
  EXPECT_EQ(ParseError(limit("1.5")), "r.yml: 3:12: cannot unmarshal !!float `1.5` into int");
  EXPECT_EQ(ParseError(limit("true")), "r.yml: 3:12: cannot unmarshal !!bool `true` into int");
}

TEST(RuleFmtTest, TemplatesAreCheckedAsPrometheusDoes) {
  std::vector<std::pair<std::string, std::string>> calls;
  TemplateChecker record = [&](std::string_view name, std::string_view text) {
    calls.emplace_back(name, text);
    return Status::OK();
  };
  ASSERT_TRUE(ParseRuleFile("r.yml", R"(groups:
  - name: g
    rules:
      - record: a:b:c
        expr: up
        labels: {x: "{{"}
      - alert: Down
        expr: up == 0
        labels: {sev: "{{ $value }}"}
        annotations: {sum: text}
)",
                            record)
                  .ok());
  const std::string defs =
      "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}"
      "{{$value := .Value}}";
  ASSERT_EQ(calls.size(), 2u);  // recording rule labels are not templates
  EXPECT_EQ(calls[0], (std::pair<std::string, std::string>{"__alert_Down", defs + "{{ $value }}"}));
  EXPECT_EQ(calls[1], (std::pair<std::string, std::string>{"__alert_Down", defs + "text"}));

  // Without a checker, templates are not checked.
  EXPECT_TRUE(ParseRuleFile(
                  "r.yml", "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up\n    labels: {a: '{{'}\n", nullptr)
                  .ok());
}

TEST(RuleFmtTest, NameValidationSchemes) {
  const std::string text = R"(groups:
  - name: g
    rules:
      - record: "job:http-requests:rate5m"
        expr: up
        labels: {"a.b": x}
)";
  EXPECT_EQ(MustParse(text).groups[0].rules[0].record, "job:http-requests:rate5m");
  RuleFileOptions legacy;
  legacy.names = NameValidation::kLegacy;
  EXPECT_EQ(ParseError(text, legacy),
            "r.yml: 4:17: group \"g\", rule 1, \"job:http-requests:rate5m\": invalid recording rule name: "
            "job:http-requests:rate5m\n"
            "r.yml: 6:18: group \"g\", rule 1, \"job:http-requests:rate5m\": invalid label name: a.b");
  // Alert names are free text in both schemes.
  MustParse("groups:\n- name: g\n  rules:\n  - alert: 'Disk 90% full!'\n    expr: up\n", legacy);
}

TEST(RuleFmtTest, PromqlOptionsAreHonoured) {
  const std::string text = "groups:\n- name: g\n  rules:\n  - record: a\n    expr: mad_over_time(up[5m])\n";
  EXPECT_NE(ParseError(text).find("r.yml: 5:11: group \"g\", rule 1, \"a\": could not parse expression: "),
            std::string::npos);
  RuleFileOptions opts;
  opts.promql.enable_experimental_functions = true;
  MustParse(text, opts);
}

TEST(RuleFmtTest, LoadRuleFileReadsThroughEnv) {
  Result<RuleFile> rf = LoadRuleFile(Env::Default(), "/nonexistent/rules.yml", BalancedBracesChecker);
  ASSERT_FALSE(rf.ok());
  EXPECT_TRUE(rf.status().message().starts_with("/nonexistent/rules.yml: ")) << rf.status().message();
}

class RuleFileGlobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rulefmt_glob_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    std::filesystem::create_directories(dir_ + "/rules/sub");
    for (const char* f : {"rules/b.yml", "rules/a.yml", "rules/.hidden.yml", "rules/a.yaml", "rules/sub/c.yml"}) {
      std::ofstream(dir_ + "/" + f) << "groups: []\n";
    }
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(RuleFileGlobTest, ResolvesAsPrometheus) {
  Result<std::vector<std::string>> files = ExpandRuleFileGlobs(
      {"rules/*.yml", "rules/./a.yml", dir_ + "/rules/sub/c.yml", "missing/*.yml", "rules/?.yaml"}, dir_);
  ASSERT_TRUE(files.ok()) << files.status().message();
  EXPECT_EQ(*files, (std::vector<std::string>{dir_ + "/rules/.hidden.yml", dir_ + "/rules/a.yml", dir_ + "/rules/b.yml",
                                              dir_ + "/rules/sub/c.yml", dir_ + "/rules/a.yaml"}));
  // Relative to the config's directory, cleaned.
  files = ExpandRuleFileGlobs({"../rules/./sub/*"}, dir_ + "/rules");
  ASSERT_TRUE(files.ok()) << files.status().message();
  EXPECT_EQ(*files, (std::vector<std::string>{dir_ + "/rules/sub/c.yml"}));
}

TEST_F(RuleFileGlobTest, WildcardOnlyInTheLastElement) {
  Result<std::vector<std::string>> files = ExpandRuleFileGlobs({"rules/*.yml", "rules/*/c.yml"}, dir_);
  ASSERT_FALSE(files.ok());
  EXPECT_EQ(files.status().message(), "invalid rule file path \"rules/*/c.yml\"");
  // '?' and '[...]' are allowed anywhere.
  files = ExpandRuleFileGlobs({"rule?/s[u]b/c.yml"}, dir_);
  ASSERT_TRUE(files.ok());
  EXPECT_EQ(*files, (std::vector<std::string>{dir_ + "/rules/sub/c.yml"}));
}

}  // namespace
}  // namespace promethium::rules
