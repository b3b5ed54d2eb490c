// Cases ported from Prometheus's model/relabel/relabel_test.go (TestRelabel,
// TestRelabelValidate, TestTargetLabelLegacyValidity), plus edge cases of
// Go's regexp.Expand and of each action.
#include "scrape/relabel/relabel.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace promethium::scrape {
namespace {

using A = RelabelAction;

struct RuleSpec {
  A action = A::kReplace;
  std::vector<std::string> source_labels = {};
  std::string regex = "";  // "" = the default regex
  std::string target_label = "";
  std::string replacement = "$1";
  uint64_t modulus = 0;
  std::string separator = ";";
};

RelabelConfig Rule(const RuleSpec& s) {
  RelabelConfig c;
  c.action = s.action;
  c.source_labels = s.source_labels;
  if (!s.regex.empty()) c.regex = RelabelRegex::Make(s.regex).value();
  c.target_label = s.target_label;
  c.replacement = s.replacement;
  c.modulus = s.modulus;
  c.separator = s.separator;
  return c;
}

// Validates every rule (as Prometheus's test does) and applies them.
std::optional<Labels> Apply(const Labels& in, const std::vector<RuleSpec>& specs) {
  std::vector<RelabelConfig> cfgs;
  for (const RuleSpec& s : specs) {
    cfgs.push_back(Rule(s));
    Status st = cfgs.back().Validate();
    EXPECT_TRUE(st.ok()) << st.ToString();
  }
  RelabelResult r = Relabel(in, cfgs);
  if (!r.keep) return std::nullopt;
  return r.labels;
}

TEST(RelabelTest, ReplaceWithBracedGroup) {
  auto out = Apply({{"a", "foo"}, {"b", "bar"}, {"c", "baz"}},
                   {{.source_labels = {"a"}, .regex = "f(.*)", .target_label = "d", .replacement = "ch${1}-ch${1}"}});
  EXPECT_EQ(out, (Labels{{"a", "foo"}, {"b", "bar"}, {"c", "baz"}, {"d", "choo-choo"}}));
}

TEST(RelabelTest, ChainedReplacesSeeEarlierResults) {
  auto out = Apply(
      {{"a", "foo"}, {"b", "bar"}, {"c", "baz"}},
      {{.source_labels = {"a", "b"}, .regex = "f(.*);(.*)r", .target_label = "a", .replacement = "b${1}${2}m"},
       {.source_labels = {"c", "a"}, .regex = "(b).*b(.*)ba(.*)", .target_label = "d", .replacement = "$1$2$2$3"}});
  EXPECT_EQ(out, (Labels{{"a", "boobam"}, {"b", "bar"}, {"c", "baz"}, {"d", "boooom"}}));
}

TEST(RelabelTest, DropStopsProcessing) {
  EXPECT_FALSE(Apply({{"a", "foo"}}, {{.action = A::kDrop, .source_labels = {"a"}, .regex = ".*o.*"},
                                      {.source_labels = {"a"}, .regex = "f(.*)", .target_label = "d"}}));
  EXPECT_FALSE(Apply({{"a", "foo"}, {"b", "bar"}}, {{.action = A::kDrop, .source_labels = {"a"}, .regex = ".*o.*"}}));
}

TEST(RelabelTest, ReplaceWithInnerGroup) {
  auto out = Apply({{"a", "abc"}}, {{.source_labels = {"a"}, .regex = ".*(b).*", .target_label = "d"}});
  EXPECT_EQ(out, (Labels{{"a", "abc"}, {"d", "b"}}));
}

TEST(RelabelTest, DropNeedsFullMatch) {
  Labels in{{"a", "foo"}};
  EXPECT_EQ(Apply(in, {{.action = A::kDrop, .source_labels = {"a"}, .regex = "no-match"}}), in);
  // Anchored: "f|o" matches neither "foo" as a whole.
  EXPECT_EQ(Apply(in, {{.action = A::kDrop, .source_labels = {"a"}, .regex = "f|o"}}), in);
}

TEST(RelabelTest, Keep) {
  Labels in{{"a", "foo"}};
  EXPECT_FALSE(Apply(in, {{.action = A::kKeep, .source_labels = {"a"}, .regex = "no-match"}}));
  EXPECT_EQ(Apply(in, {{.action = A::kKeep, .source_labels = {"a"}, .regex = "f.*"}}), in);
}

TEST(RelabelTest, NoMatchNoReplacement) {
  Labels in{{"a", "boo"}};
  EXPECT_EQ(Apply(in, {{.source_labels = {"a"}, .regex = "f", .target_label = "b", .replacement = "bar"}}), in);
}

TEST(RelabelTest, BlankReplacementDeletesLabel) {
  auto out = Apply({{"a", "foo"}, {"f", "baz"}},
                   {{.source_labels = {"a"}, .regex = "(f).*", .target_label = "$1", .replacement = "$2"}});
  EXPECT_EQ(out, (Labels{{"a", "foo"}}));
}

TEST(RelabelTest, HashMod) {
  auto out = Apply({{"a", "foo"}, {"b", "bar"}, {"c", "baz"}},
                   {{.action = A::kHashMod, .source_labels = {"c"}, .target_label = "d", .modulus = 1000}});
  EXPECT_EQ(out, (Labels{{"a", "foo"}, {"b", "bar"}, {"c", "baz"}, {"d", "976"}}));
  out = Apply({{"a", "foo\nbar"}},
              {{.action = A::kHashMod, .source_labels = {"a"}, .target_label = "b", .modulus = 1000}});
  EXPECT_EQ(out, (Labels{{"a", "foo\nbar"}, {"b", "734"}}));
}

TEST(RelabelTest, LabelMap) {
  auto out = Apply({{"a", "foo"}, {"b1", "bar"}, {"b2", "baz"}},
                   {{.action = A::kLabelMap, .regex = "(b.*)", .replacement = "bar_${1}"}});
  EXPECT_EQ(out, (Labels{{"a", "foo"}, {"b1", "bar"}, {"b2", "baz"}, {"bar_b1", "bar"}, {"bar_b2", "baz"}}));
  out = Apply({{"a", "foo"}, {"__meta_my_bar", "aaa"}, {"__meta_my_baz", "bbb"}, {"__meta_other", "ccc"}},
              {{.action = A::kLabelMap, .regex = "__meta_(my.*)", .replacement = "${1}"}});
  EXPECT_EQ(out, (Labels{{"a", "foo"},
                         {"__meta_my_bar", "aaa"},
                         {"__meta_my_baz", "bbb"},
                         {"__meta_other", "ccc"},
                         {"my_bar", "aaa"},
                         {"my_baz", "bbb"}}));
}

TEST(RelabelTest, ExpandedTargetLabel) {
  Labels in{{"a", "some-name-value"}};
  auto out = Apply(
      in, {{.source_labels = {"a"}, .regex = "some-([^-]+)-([^,]+)", .target_label = "${1}", .replacement = "${2}"}});
  EXPECT_EQ(out, (Labels{{"a", "some-name-value"}, {"name", "value"}}));
  // ${3} does not exist: the replacement is "", deleting "name" (absent).
  out = Apply(
      in, {{.source_labels = {"a"}, .regex = "some-([^-]+)-([^,]+)", .target_label = "${1}", .replacement = "${3}"}});
  EXPECT_EQ(out, in);
}

TEST(RelabelTest, InvalidExpandedTargetIsSkipped) {
  Labels in{{"a", "some-name-0"}};
  RuleSpec r{.source_labels = {"a"}, .regex = "some-([^-]+)-([^,]+)", .target_label = "${3}", .replacement = "${1}"};
  RuleSpec r2 = r;
  r2.regex = "some-([^-]+)(-[^,]+)";
  EXPECT_EQ(Apply(in, {r, r, r2}), in);
}

TEST(RelabelTest, RealLifeTagParsing) {
  auto out = Apply({{"__meta_sd_tags", "path:/secret,job:some-job,label:foo=bar"}},
                   {{.source_labels = {"__meta_sd_tags"},
                     .regex = "(?:.+,|^)path:(/[^,]+).*",
                     .target_label = "__metrics_path__",
                     .replacement = "${1}"},
                    {.source_labels = {"__meta_sd_tags"},
                     .regex = "(?:.+,|^)job:([^,]+).*",
                     .target_label = "job",
                     .replacement = "${1}"},
                    {.source_labels = {"__meta_sd_tags"},
                     .regex = "(?:.+,|^)label:([^=]+)=([^,]+).*",
                     .target_label = "${1}",
                     .replacement = "${2}"}});
  EXPECT_EQ(out, (Labels{{"__meta_sd_tags", "path:/secret,job:some-job,label:foo=bar"},
                         {"__metrics_path__", "/secret"},
                         {"job", "some-job"},
                         {"foo", "bar"}}));
}

// prometheus/prometheus#12283: a label dropped then re-set is visible to a later rule.
TEST(RelabelTest, LabelDropThenReplaceThenKeep) {
  auto out = Apply(
      {{"__meta_kubernetes_pod_container_port_name", "foo"},
       {"__meta_kubernetes_pod_annotation_XXX_metrics_port", "9091"}},
      {{.action = A::kLabelDrop, .regex = "^__meta_kubernetes_pod_container_port_name$"},
       {.source_labels = {"__meta_kubernetes_pod_annotation_XXX_metrics_port"},
        .regex = "(.+)",
        .target_label = "__meta_kubernetes_pod_container_port_name",
        .replacement = "metrics"},
       {.action = A::kKeep, .source_labels = {"__meta_kubernetes_pod_container_port_name"}, .regex = "^metrics$"}});
  EXPECT_EQ(out, (Labels{{"__meta_kubernetes_pod_annotation_XXX_metrics_port", "9091"},
                         {"__meta_kubernetes_pod_container_port_name", "metrics"}}));
}

TEST(RelabelTest, LabelKeepAndLabelDrop) {
  Labels in{{"a", "foo"}, {"b1", "bar"}, {"b2", "baz"}};
  EXPECT_EQ(Apply(in, {{.action = A::kLabelKeep, .regex = "(b.*)"}}), (Labels{{"b1", "bar"}, {"b2", "baz"}}));
  EXPECT_EQ(Apply(in, {{.action = A::kLabelDrop, .regex = "(b.*)"}}), (Labels{{"a", "foo"}}));
}

TEST(RelabelTest, UppercaseLowercase) {
  auto out = Apply({{"foo", "bAr123Foo"}},
                   {{.action = A::kUppercase, .source_labels = {"foo"}, .target_label = "foo_uppercase"},
                    {.action = A::kLowercase, .source_labels = {"foo"}, .target_label = "foo_lowercase"}});
  EXPECT_EQ(out, (Labels{{"foo", "bAr123Foo"}, {"foo_lowercase", "bar123foo"}, {"foo_uppercase", "BAR123FOO"}}));
}

TEST(RelabelTest, KeepEqualDropEqual) {
  Labels in{{"__tmp_port", "1234"}, {"__port1", "1234"}, {"__port2", "5678"}};
  EXPECT_EQ(Apply(in, {{.action = A::kKeepEqual, .source_labels = {"__tmp_port"}, .target_label = "__port1"}}), in);
  EXPECT_FALSE(Apply(in, {{.action = A::kDropEqual, .source_labels = {"__tmp_port"}, .target_label = "__port1"}}));
  EXPECT_EQ(Apply(in, {{.action = A::kDropEqual, .source_labels = {"__tmp_port"}, .target_label = "__port2"}}), in);
  EXPECT_FALSE(Apply(in, {{.action = A::kKeepEqual, .source_labels = {"__tmp_port"}, .target_label = "__port2"}}));
}

TEST(RelabelTest, DotMatchesNewline) {
  auto out =
      Apply({{"a", "line1\nline2"}, {"b", "bar"}},
            {{.source_labels = {"a"}, .regex = "line1.*line2", .target_label = "d", .replacement = "match${1}"}});
  EXPECT_EQ(out, (Labels{{"a", "line1\nline2"}, {"b", "bar"}, {"d", "match"}}));
}

TEST(RelabelTest, Utf8LabelNames) {
  Labels in{{"utf-8.label", "line1\nline2"}, {"b", "bar"}};
  auto out = Apply(
      in,
      {{.source_labels = {"utf-8.label"}, .regex = "line1.*line2", .target_label = "d", .replacement = "match${1}"}});
  EXPECT_EQ(out, (Labels{{"utf-8.label", "line1\nline2"}, {"b", "bar"}, {"d", "match"}}));
  out = Apply({{"a", "line1\nline2"}}, {{.source_labels = {"a"},
                                         .regex = "line1.*line2",
                                         .target_label = "utf-8.label${1}",
                                         .replacement = "match${1}"}});
  EXPECT_EQ(out, (Labels{{"a", "line1\nline2"}, {"utf-8.label", "match"}}));
}

TEST(RelabelTest, NamedGroupsInBothStyles) {
  auto out = Apply({{"a", "line1\nline2"}}, {{.source_labels = {"a"},
                                              .regex = "(line1).*(?<second>line2)",
                                              .target_label = "label1_${1}",
                                              .replacement = "val_${second}"},
                                             {.source_labels = {"a"},
                                              .regex = "(line1).*(?P<second>line2)",
                                              .target_label = "label2_$1",
                                              .replacement = "val_$second"}});
  EXPECT_EQ(out, (Labels{{"a", "line1\nline2"}, {"label1_line1", "val_line2"}, {"label2_line1", "val_line2"}}));
}

TEST(RelabelTest, ReservedLabelsCanBeSet) {
  auto out = Apply(
      {{"__name__", "http_requests_total"}},
      {{.source_labels = {"__name__"}, .regex = ".*_total$", .target_label = "__type__", .replacement = "counter"}});
  EXPECT_EQ(out, (Labels{{"__name__", "http_requests_total"}, {"__type__", "counter"}}));
}

TEST(RelabelTest, FastPathSetsAndDeletesFixedLabels) {
  // No source labels: the joined value is "" and the default regex matches.
  auto out = Apply({{"a", "1"}}, {{.target_label = "env", .replacement = "prod"}});
  EXPECT_EQ(out, (Labels{{"a", "1"}, {"env", "prod"}}));
  out = Apply({{"a", "1"}, {"env", "x"}}, {{.target_label = "env", .replacement = ""}});
  EXPECT_EQ(out, (Labels{{"a", "1"}}));
}

TEST(RelabelTest, MissingSourceLabelsJoinAsEmpty) {
  auto out =
      Apply({{"b", "x"}}, {{.source_labels = {"a", "b"}, .regex = ";x", .target_label = "c", .replacement = "y"}});
  EXPECT_EQ(out, (Labels{{"b", "x"}, {"c", "y"}}));
  out = Apply({{"a", "1"}, {"b", "2"}}, {{.source_labels = {"a", "b"}, .target_label = "c", .separator = "/"}});
  EXPECT_EQ(out, (Labels{{"a", "1"}, {"b", "2"}, {"c", "1/2"}}));
}

TEST(RelabelTest, EmptyConfigListKeepsLabels) {
  Labels in{{"a", "1"}};
  RelabelResult r = Relabel(in, {});
  EXPECT_TRUE(r.keep);
  EXPECT_EQ(r.labels, in);
}

// Go's regexp.Expand corner cases.
TEST(RelabelRegexTest, ExpandFollowsGo) {
  RelabelRegex re = RelabelRegex::Make("(?P<word>a)(b)").value();
  std::vector<std::string_view> g;
  ASSERT_TRUE(re.Match("ab", &g));
  EXPECT_EQ(re.Expand("$1x", g), "");      // group "1x": no such group
  EXPECT_EQ(re.Expand("${1}x", g), "ax");  // braces end the name
  EXPECT_EQ(re.Expand("$2-$1", g), "b-a");
  EXPECT_EQ(re.Expand("$word.$0", g), "a.ab");
  EXPECT_EQ(re.Expand("${word}", g), "a");
  EXPECT_EQ(re.Expand("$$1", g), "$1");   // "$$" is a literal "$"
  EXPECT_EQ(re.Expand("a$", g), "a$");    // malformed: literal
  EXPECT_EQ(re.Expand("${1", g), "${1");  // missing brace: literal "$"
  EXPECT_EQ(re.Expand("$-x", g), "$-x");  // empty name: literal
  EXPECT_EQ(re.Expand("$01", g), "");     // leading zero: a name, not a number
  EXPECT_EQ(re.Expand("$9", g), "");      // out of range
  EXPECT_EQ(re.Expand("plain", g), "plain");
}

TEST(RelabelRegexTest, AnchoredAndDotAll) {
  RelabelRegex re = RelabelRegex::Make("b").value();
  EXPECT_TRUE(re.Matches("b"));
  EXPECT_FALSE(re.Matches("abc"));
  EXPECT_TRUE(RelabelRegex::Make("a.c").value().Matches("a\nc"));
  EXPECT_TRUE(RelabelRegex::Make("a|b").value().Matches("b"));  // alternation stays inside the anchors
  EXPECT_FALSE(RelabelRegex::Make("").value().Matches("x"));
  EXPECT_TRUE(RelabelRegex::Make("").value().Matches(""));
  EXPECT_TRUE(RelabelRegex().Matches("anything"));
  EXPECT_TRUE(RelabelRegex().is_default());
  EXPECT_FALSE(RelabelRegex::Make("(.*)").value().is_default());
}

TEST(RelabelRegexTest, InvalidPattern) {
  auto re = RelabelRegex::Make("(unclosed");
  ASSERT_FALSE(re.ok());
  EXPECT_NE(re.status().message().find("error parsing regexp"), std::string::npos);
  // "(?<" inside a class or escaped is not a group.
  EXPECT_TRUE(RelabelRegex::Make(R"([(?<]x)").value().Matches("<x"));
  EXPECT_TRUE(RelabelRegex::Make(R"(\(?<a)").value().Matches("(<a"));
}

TEST(RelabelActionTest, ParseIsCaseInsensitive) {
  EXPECT_EQ(*ParseRelabelAction("Replace"), A::kReplace);
  EXPECT_EQ(*ParseRelabelAction("LABELMAP"), A::kLabelMap);
  EXPECT_EQ(*ParseRelabelAction("keepequal"), A::kKeepEqual);
  auto bad = ParseRelabelAction("frobnicate");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "unknown relabel action \"frobnicate\"");
  for (A a : {A::kReplace, A::kKeep, A::kDrop, A::kKeepEqual, A::kDropEqual, A::kHashMod, A::kLabelMap, A::kLabelDrop,
              A::kLabelKeep, A::kLowercase, A::kUppercase}) {
    EXPECT_EQ(*ParseRelabelAction(RelabelActionName(a)), a);
  }
}

std::string ValidateError(const RuleSpec& s, NameValidation scheme = NameValidation::kUtf8) {
  RelabelConfig c = Rule(s);
  c.name_validation = scheme;
  return c.Validate().message();
}

TEST(RelabelValidateTest, PrometheusCases) {
  EXPECT_EQ(ValidateError({.action = A::kReplace}),
            "relabel configuration for replace action requires 'target_label' value");
  EXPECT_EQ(ValidateError({.action = A::kLowercase}),
            "relabel configuration for lowercase action requires 'target_label' value");
  EXPECT_EQ(ValidateError({.action = A::kLowercase, .target_label = "${3}"}), "");  // legal with UTF-8 names
  EXPECT_EQ(ValidateError({.action = A::kLowercase, .target_label = "${3}"}, NameValidation::kLegacy),
            "\"${3}\" is invalid 'target_label' for lowercase action");
  RuleSpec replace{
      .source_labels = {"a"}, .regex = "some-([^-]+)-([^,]+)", .target_label = "${3}", .replacement = "${1}"};
  EXPECT_EQ(ValidateError(replace), "");
  replace.target_label = "0${3}";
  EXPECT_EQ(ValidateError(replace), "");
  replace.target_label = "-${3}";
  EXPECT_EQ(ValidateError(replace), "");
  EXPECT_EQ(ValidateError(replace, NameValidation::kLegacy), "\"-${3}\" is invalid 'target_label' for replace action");
  EXPECT_EQ(ValidateError(
                {.action = A::kLabelMap, .regex = "__meta_kubernetes_pod_label_(strimzi_io_.+)", .replacement = "$1"},
                NameValidation::kLegacy),
            "");
  EXPECT_EQ(
      ValidateError({.action = A::kLabelMap, .regex = "__meta_(.+)", .replacement = "${1}"}, NameValidation::kLegacy),
      "");
}

TEST(RelabelValidateTest, PerActionRules) {
  EXPECT_EQ(ValidateError({.action = A::kHashMod, .target_label = "x"}),
            "relabel configuration for hashmod requires non-zero modulus");
  EXPECT_EQ(ValidateError({.action = A::kHashMod, .target_label = "x", .modulus = 3}), "");
  EXPECT_EQ(ValidateError({.action = A::kKeepEqual, .target_label = "x", .replacement = "y"}),
            "'replacement' can not be set for keepequal action");
  EXPECT_EQ(ValidateError({.action = A::kDropEqual, .regex = "a", .target_label = "x"}),
            "dropequal action requires only 'source_labels' and `target_label`, and no other fields");
  EXPECT_EQ(ValidateError({.action = A::kLabelDrop, .regex = "a", .target_label = "x"}),
            "labeldrop action requires only 'regex', and no other fields");
  EXPECT_EQ(ValidateError({.action = A::kLabelKeep, .source_labels = {"a"}, .regex = "a"}),
            "labelkeep action requires only 'regex', and no other fields");
  EXPECT_EQ(ValidateError({.action = A::kLabelMap, .replacement = "a-$1"}, NameValidation::kLegacy),
            "\"a-$1\" is invalid 'replacement' for labelmap action");
  EXPECT_EQ(ValidateError({.action = A::kReplace, .target_label = "a-b"}, NameValidation::kLegacy),
            "\"a-b\" is invalid 'target_label' for replace action");
  EXPECT_EQ(ValidateError({.action = A::kKeep, .source_labels = {"a"}}), "");
}

TEST(RelabelValidateTest, LegacyTargetTemplates) {
  const std::vector<std::pair<std::string, bool>> cases = {{"-label", false},
                                                           {"label", true},
                                                           {"label${1}", true},
                                                           {"${1}label", true},
                                                           {"${1}", true},
                                                           {"${", false},
                                                           {"$", false},
                                                           {"${}", false},
                                                           {"foo${", false},
                                                           {"$1", true},
                                                           {"asd$2asd", true},
                                                           {"-foo${1}bar-", false},
                                                           {"bar.foo${1}bar", false},
                                                           {"_${1}_", true},
                                                           {"foo${bar}foo", true}};
  for (const auto& [target, valid] : cases) {
    std::string err = ValidateError({.target_label = target}, NameValidation::kLegacy);
    EXPECT_EQ(err.empty(), valid) << target << ": " << err;
  }
}

}  // namespace
}  // namespace promethium::scrape
