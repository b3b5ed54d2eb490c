// Tests for RecordingRule: output naming and labels, duplicates, limit,
// scalar results through the real engine.
#include "rules/manager/recording_rule.h"

#include <gtest/gtest.h>

#include "promql/engine/engine.h"
#include "rules/manager/test_storage.h"

namespace promethium::rules {
namespace {

QueryFunc Fixed(promql::Vector v) {
  return [v](std::string_view, int64_t) -> Result<promql::Vector> { return v; };
}

TEST(RecordingRuleTest, RenamesAndAppliesLabelsRuleLabelsWin) {
  RecordingRule r("job:up:sum", "x", Labels{{"team", "infra"}, {"job", "override"}});
  QueryFunc q = Fixed({{Labels{{"__name__", "up"}, {"job", "a"}, {"instance", "1"}}, 7, 3}});
  auto res = r.Eval({100000, 5000, &q, 0});
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  ASSERT_EQ(res->size(), 1u);
  EXPECT_EQ((*res)[0].metric,
            (Labels{{"__name__", "job:up:sum"}, {"job", "override"}, {"instance", "1"}, {"team", "infra"}}));
  EXPECT_EQ((*res)[0].v, 3);
  EXPECT_EQ((*res)[0].t, 95000);  // the query time: ts - offset
}

TEST(RecordingRuleTest, QueryGetsOffsetTime) {
  int64_t seen = -1;
  QueryFunc q = [&](std::string_view, int64_t ts) -> Result<promql::Vector> {
    seen = ts;
    return promql::Vector{};
  };
  RecordingRule r("r", "x", Labels());
  ASSERT_TRUE(r.Eval({60000, 15000, &q, 0}).ok());
  EXPECT_EQ(seen, 45000);
}

TEST(RecordingRuleTest, SameLabelsetAfterRuleLabelsIsError) {
  RecordingRule r("r", "x", Labels{{"a", "same"}});
  QueryFunc q = Fixed({{Labels{{"a", "1"}}, 0, 1}, {Labels{{"a", "2"}}, 0, 2}});
  auto res = r.Eval({0, 0, &q, 0});
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().message(), "vector contains metrics with the same labelset after applying rule labels");
}

TEST(RecordingRuleTest, Limit) {
  RecordingRule r("r", "x", Labels());
  QueryFunc q = Fixed({{Labels{{"a", "1"}}, 0, 1}, {Labels{{"a", "2"}}, 0, 2}, {Labels{{"a", "3"}}, 0, 3}});
  auto res = r.Eval({0, 0, &q, 2});
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().message(), "exceeded limit of 2 with 3 series");
  EXPECT_TRUE(r.Eval({0, 0, &q, 3}).ok());
  EXPECT_TRUE(r.Eval({0, 0, &q, 0}).ok());
}

TEST(RecordingRuleTest, EngineVectorAndScalar) {
  testing::FakeStorage st;
  st.Add(Labels{{"__name__", "up"}, {"job", "a"}}, 0, 1);
  st.Add(Labels{{"__name__", "up"}, {"job", "b"}}, 0, 0);
  promql::Engine engine(promql::EngineOptions{});
  QueryFunc q = EngineQueryFunc(&engine, &st);

  RecordingRule sum("total", "sum(up)", Labels{{"k", "v"}});
  auto res = sum.Eval({10000, 0, &q, 0});
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  ASSERT_EQ(res->size(), 1u);
  EXPECT_EQ((*res)[0].metric, (Labels{{"__name__", "total"}, {"k", "v"}}));
  EXPECT_EQ((*res)[0].v, 1);

  RecordingRule scalar("two", "1 + 1", Labels());
  res = scalar.Eval({10000, 0, &q, 0});
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  ASSERT_EQ(res->size(), 1u);
  EXPECT_EQ((*res)[0].metric, (Labels{{"__name__", "two"}}));
  EXPECT_EQ((*res)[0].v, 2);
  EXPECT_EQ((*res)[0].t, 10000);

  RecordingRule bad("bad", "\"a string\"", Labels());
  res = bad.Eval({10000, 0, &q, 0});
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().message(), "rule result is not a vector or scalar");
}

}  // namespace
}  // namespace promethium::rules
