// Decoding of file_sd / http_sd target group lists, JSON and YAML.
#include "scrape/discovery/target_group_parse.h"

#include <gtest/gtest.h>

namespace promethium::scrape {
namespace {

TEST(TargetGroupParseTest, JsonGroupsWithLabelsAndSources) {
  auto groups = ParseTargetGroupsJson(
      R"([{"targets": ["a:1", "b:2"], "labels": {"env": "prod"}}, {"targets": ["c:3"]}])", "f.json");
  ASSERT_TRUE(groups.ok()) << groups.status().ToString();
  ASSERT_EQ(groups->size(), 2u);
  EXPECT_EQ((*groups)[0].targets, (std::vector<std::string>{"a:1", "b:2"}));
  EXPECT_EQ((*groups)[0].labels, (Labels{{"env", "prod"}}));
  EXPECT_EQ((*groups)[0].source, "f.json:0");
  EXPECT_EQ((*groups)[1].targets, (std::vector<std::string>{"c:3"}));
  EXPECT_TRUE((*groups)[1].labels.empty());
  EXPECT_EQ((*groups)[1].source, "f.json:1");
}

TEST(TargetGroupParseTest, YamlGroups) {
  auto groups = ParseTargetGroupsYaml("- targets: ['a:1']\n  labels:\n    team: x\n- targets: [b:2]\n", "f.yml");
  ASSERT_TRUE(groups.ok()) << groups.status().ToString();
  ASSERT_EQ(groups->size(), 2u);
  EXPECT_EQ((*groups)[0].labels.Get("team"), "x");
  EXPECT_EQ((*groups)[1].targets[0], "b:2");
  EXPECT_EQ((*groups)[1].source, "f.yml:1");
  auto empty = ParseTargetGroupsYaml("", "e.yml");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(TargetGroupParseTest, RejectsBadJson) {
  EXPECT_FALSE(ParseTargetGroupsJson("[{\"targets\": [\"a:1\"]", "f").ok());    // truncated
  EXPECT_FALSE(ParseTargetGroupsJson("{\"targets\": [\"a:1\"]}", "f").ok());    // not a list
  EXPECT_FALSE(ParseTargetGroupsJson("[{\"targets\": [1]}]", "f").ok());        // target not a string
  EXPECT_FALSE(ParseTargetGroupsJson("[{\"labels\": {\"a\": 1}}]", "f").ok());  // value not a string
  auto bad_name = ParseTargetGroupsJson("[{\"labels\": {\"\": \"x\"}}]", "f");
  ASSERT_FALSE(bad_name.ok());
  EXPECT_EQ(bad_name.status().message(), "\"\" is not a valid label name");
}

// Deep nesting from an HTTP SD endpoint stops at Boost.JSON's depth bound
// (32) with an error, instead of recursing as deep as the document goes.
TEST(TargetGroupParseTest, DeepJsonIsRejectedAtTheDepthBound) {
  const std::string deep = "[{\"labels\": " + std::string(100000, '[') + std::string(100000, ']') + "}]";
  auto r = ParseTargetGroupsJson(deep, "f");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("invalid JSON"), std::string::npos) << r.status().message();
  EXPECT_TRUE(ParseTargetGroupsJson("[{\"targets\": [\"a:1\"], \"labels\": {\"a\": \"b\"}}]", "f").ok());
}

TEST(TargetGroupParseTest, RejectsBadYaml) {
  auto unknown = ParseTargetGroupsYaml("- targets: [a:1]\n  extra: 1\n", "f.yml");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("line 2"), std::string::npos) << unknown.status().message();
  EXPECT_FALSE(ParseTargetGroupsYaml("- targets: [a:1\n", "f.yml").ok());  // syntax error
  EXPECT_FALSE(ParseTargetGroupsYaml("targets: [a:1]\n", "f.yml").ok());   // not a list
  EXPECT_FALSE(ParseTargetGroupsYaml("- targets: {a: 1}\n", "f.yml").ok());
}

}  // namespace
}  // namespace promethium::scrape
