#include "rules/notifier/alertmanager_targets.h"

#include <gtest/gtest.h>

namespace promethium::rules {
namespace {

scrape::RelabelConfig Rule(scrape::RelabelAction action, std::vector<std::string> sources, std::string regex,
                           std::string target = "", std::string replacement = "$1") {
  scrape::RelabelConfig c;
  c.action = action;
  c.source_labels = std::move(sources);
  c.regex = scrape::RelabelRegex::Make(regex).value();
  c.target_label = std::move(target);
  c.replacement = std::move(replacement);
  return c;
}

TEST(AlertmanagerTargetsTest, PostPathJoinsAsGo) {
  EXPECT_EQ(AlertsPostPath("", "v2"), "/api/v2/alerts");
  EXPECT_EQ(AlertsPostPath("/am/", "v2"), "/am/api/v2/alerts");
  EXPECT_EQ(AlertsPostPath("am//x", "v2"), "/am/x/api/v2/alerts");
}

TEST(AlertmanagerTargetsTest, BuildsUrlsAndRelabels) {
  AlertmanagerConfig cfg;
  cfg.path_prefix = "/prefix";
  cfg.relabel_configs = {Rule(scrape::RelabelAction::kDrop, {"__address__"}, "drop.*"),
                         Rule(scrape::RelabelAction::kReplace, {"zone"}, "eu", "__scheme__", "https")};
  scrape::TargetGroup g;
  g.targets = {"am1:9093", "drop-me:9093", "am2:9093"};
  g.labels = Labels{{"zone", "eu"}};
  std::vector<AlertmanagerTarget> active, dropped;
  ASSERT_TRUE(AlertmanagersFromGroup(g, cfg, &active, &dropped).ok());
  ASSERT_EQ(active.size(), 2u);
  EXPECT_EQ(active[0].Url(), "https://am1:9093/prefix/api/v2/alerts");
  EXPECT_EQ(active[1].Url(), "https://am2:9093/prefix/api/v2/alerts");
  ASSERT_EQ(dropped.size(), 1u);
  EXPECT_EQ(dropped[0].Url(), "http://drop-me:9093/prefix/api/v2/alerts");  // before relabeling
}

TEST(AlertmanagerTargetsTest, GroupLabelsMayOverrideSchemeAndPath) {
  AlertmanagerConfig cfg;
  scrape::TargetGroup g;
  g.targets = {"am:1"};
  g.labels = Labels{{"__alerts_path__", "/custom"}, {"__scheme__", "https"}};
  std::vector<AlertmanagerTarget> active, dropped;
  ASSERT_TRUE(AlertmanagersFromGroup(g, cfg, &active, &dropped).ok());
  ASSERT_EQ(active.size(), 1u);
  EXPECT_EQ(active[0].Url(), "https://am:1/custom");
}

TEST(AlertmanagerTargetsTest, AddressWithSlashFailsTheGroup) {
  AlertmanagerConfig cfg;
  scrape::TargetGroup g;
  g.targets = {"am:1", "http://am:2/x"};
  std::vector<AlertmanagerTarget> active, dropped;
  Status s = AlertmanagersFromGroup(g, cfg, &active, &dropped);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("is not a valid hostname"), std::string::npos);
  EXPECT_TRUE(active.empty());
}

}  // namespace
}  // namespace promethium::rules
