// file_sd: globbing, file decoding and FileDiscoverer's refresh rules
// (changes, errors keeping previous groups, deleted files).
#include "scrape/discovery/file_sd.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

namespace promethium::scrape {
namespace {

class FileSdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/promethium_file_sd_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::trunc) << text;
    return path;
  }
  std::string dir_;
};

TEST_F(FileSdTest, GlobMatchesLastElementOnly) {
  std::string a = Write("a.json", "[]");
  std::string b = Write("b.json", "[]");
  Write("c.yml", "[]");
  EXPECT_EQ(ExpandFilePatterns({dir_ + "/*.json"}), (std::vector<std::string>{a, b}));
  EXPECT_EQ(ExpandFilePatterns({dir_ + "/*.json", a}), (std::vector<std::string>{a, b}));  // de-duplicated
  EXPECT_TRUE(ExpandFilePatterns({dir_ + "/*.yaml"}).empty());
  EXPECT_EQ(ExpandFilePatterns({dir_ + "/c.yml"}).size(), 1u);
}

TEST_F(FileSdTest, ReadAddsFilepathLabel) {
  std::string path = Write("t.json", R"([{"targets": ["h:1"], "labels": {"__meta_filepath": "spoof"}}])");
  auto groups = ReadTargetGroupFile(path);
  ASSERT_TRUE(groups.ok()) << groups.status().ToString();
  ASSERT_EQ(groups->size(), 1u);
  EXPECT_EQ((*groups)[0].labels.Get("__meta_filepath"), path);
  EXPECT_EQ((*groups)[0].source, path + ":0");
  std::string yaml = Write("t.yaml", "- targets: [h:2]\n");
  ASSERT_TRUE(ReadTargetGroupFile(yaml).ok());
  EXPECT_FALSE(ReadTargetGroupFile(Write("t.txt", "[]")).ok());
  EXPECT_FALSE(ReadTargetGroupFile(dir_ + "/missing.json").ok());
}

TEST_F(FileSdTest, DiscovererRefreshesOnChangeAndKeepsGroupsOnError) {
  std::string path = Write("t.json", R"([{"targets": ["h:1"]}])");
  Counter errors;
  FileDiscoverer d({{dir_ + "/*.json"}, 300'000}, &errors);
  auto first = d.Poll(0);
  ASSERT_TRUE(first.has_value());
  ASSERT_EQ(first->size(), 1u);
  EXPECT_EQ((*first)[0].targets[0], "h:1");
  EXPECT_FALSE(d.Poll(1000).has_value());  // nothing changed, interval not over

  Write("t.json", R"([{"targets": ["h:1", "h:2"]}])");  // size changes
  auto second = d.Poll(2000);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ((*second)[0].targets.size(), 2u);

  Write("t.json", "[{not json");
  auto broken = d.Poll(3000);
  ASSERT_TRUE(broken.has_value());
  ASSERT_EQ(broken->size(), 1u);
  EXPECT_EQ((*broken)[0].targets.size(), 2u);  // previous groups kept
  EXPECT_EQ(errors.Value(), 1);

  Write("u.json", R"([{"targets": ["h:3"]}])");  // a new file matches
  auto added = d.Poll(4000);
  ASSERT_TRUE(added.has_value());
  EXPECT_EQ(added->size(), 2u);
  EXPECT_EQ(errors.Value(), 2);  // t.json is still broken

  std::filesystem::remove(path);
  auto removed = d.Poll(5000);
  ASSERT_TRUE(removed.has_value());
  ASSERT_EQ(removed->size(), 1u);
  EXPECT_EQ((*removed)[0].targets[0], "h:3");
  EXPECT_FALSE(d.Poll(304'999).has_value());
  EXPECT_TRUE(d.Poll(305'000).has_value());  // refresh interval elapsed since the last refresh
}

}  // namespace
}  // namespace promethium::scrape
