#include "tsdb/db.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "tsdb/base/env.h"

namespace promethium::tsdb {
namespace {

std::string TempDir(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("promethium_db_test_" + name + "_" + std::to_string(::getpid())))
      .string();
}

TEST(DB, OpenCreatesDirAndRoundTrips) {
  const std::string dir = TempDir("open") + "/nested/data";
  MetricsRegistry metrics;
  auto db = DB::Open(dir, DBOptions{}, &metrics);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_TRUE(Env::Default()->FileExists(dir));

  DB::HeadStats empty = (*db)->Stats();
  EXPECT_EQ(empty.num_series, 0u);
  EXPECT_EQ(empty.min_time, std::numeric_limits<int64_t>::max());
  EXPECT_EQ(empty.max_time, std::numeric_limits<int64_t>::min());

  auto app = (*db)->NewAppender();
  ASSERT_TRUE(app->Append(0, Labels{{"__name__", "up"}, {"job", "x"}}, 1000, 1).ok());
  ASSERT_TRUE(app->Append(0, Labels{{"__name__", "up"}, {"job", "y"}}, 2000, 0).ok());
  ASSERT_TRUE(app->Commit().ok());

  DB::HeadStats stats = (*db)->Stats();
  EXPECT_EQ(stats.num_series, 2u);
  EXPECT_EQ(stats.num_chunks, 2u);
  EXPECT_EQ(stats.min_time, 1000);
  EXPECT_EQ(stats.max_time, 2000);

  auto q = (*db)->NewQuerier(0, 1500);
  ASSERT_TRUE(q.ok());
  auto set = (*q)->Select(true, nullptr, {*Matcher::Make(MatchType::kEqual, "__name__", "up")});
  ASSERT_TRUE(set->Next());
  EXPECT_EQ(set->At().labels().Get("job"), "x");
  EXPECT_FALSE(set->Next());  // job="y" has no sample in [0, 1500]
  set.reset();
  q->reset();

  EXPECT_NE(metrics.RenderText().find("prometheus_tsdb_head_series 2"), std::string::npos);
  PostingsStats card = (*db)->CardinalityStats(10);
  ASSERT_EQ(card.series_count_by_metric_name.size(), 1u);
  EXPECT_EQ(card.series_count_by_metric_name[0].name, "up");
  EXPECT_EQ(card.series_count_by_metric_name[0].count, 2u);
  ASSERT_TRUE((*db)->Close().ok());
  EXPECT_FALSE((*db)->NewAppender()->Append(0, Labels{{"__name__", "up"}}, 3000, 1).ok());
  EXPECT_TRUE(Env::Default()->RemoveDirRecursively(TempDir("open")).ok());
}

TEST(DB, InvertedQuerierRangeIsEmpty) {
  const std::string dir = TempDir("range");
  auto db = DB::Open(dir, DBOptions{}, nullptr);
  ASSERT_TRUE(db.ok());
  auto app = (*db)->NewAppender();
  ASSERT_TRUE(app->Append(0, Labels{{"__name__", "up"}}, 5, 1).ok());
  ASSERT_TRUE(app->Append(0, Labels{{"__name__", "up"}}, 10, 1).ok());
  ASSERT_TRUE(app->Commit().ok());
  auto q = (*db)->NewQuerier(10, 5);  // as Prometheus: not an error, just empty
  ASSERT_TRUE(q.ok());
  auto set = (*q)->Select(false, nullptr, {*Matcher::Make(MatchType::kEqual, "__name__", "up")});
  EXPECT_FALSE(set->Next());
  EXPECT_TRUE(set->Err().ok());
  auto names = (*q)->LabelNames({});
  ASSERT_TRUE(names.ok());
  EXPECT_TRUE(names->empty());
  set.reset();
  q->reset();
  EXPECT_TRUE(Env::Default()->RemoveDirRecursively(dir).ok());
}

}  // namespace
}  // namespace promethium::tsdb
