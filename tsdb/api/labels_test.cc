#include <gtest/gtest.h>

#include "tsdb/api/labels.h"

namespace promethium {
namespace {

TEST(LabelsTest, SortedUniqueAndEmptyDropped) {
  Labels l{{"job", "node"}, {"__name__", "up"}, {"empty", ""}, {"job", "api"}};
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(l[0].name, "__name__");
  EXPECT_EQ(l.Get("job"), "api");
  EXPECT_EQ(l.MetricName(), "up");
  EXPECT_FALSE(l.Has("empty"));
  EXPECT_EQ(l.ToString(), "{__name__=\"up\", job=\"api\"}");
}

TEST(LabelsTest, HashAndCompare) {
  Labels a{{"a", "1"}, {"b", "2"}};
  Labels b{{"b", "2"}, {"a", "1"}};
  Labels c{{"a", "1"}, {"b", "3"}};
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.Hash(), b.Hash());
  EXPECT_NE(a.Hash(), c.Hash());
  EXPECT_LT(a, c);
  EXPECT_LT(Labels({{"a", "1"}}), a);
  // Pairs must not run together: {ab="c"} != {a="bc"}.
  EXPECT_NE(Labels({{"ab", "c"}}).Hash(), Labels({{"a", "bc"}}).Hash());
}

TEST(LabelsTest, GroupingHashes) {
  Labels x{{"__name__", "m"}, {"instance", "i1"}, {"job", "j"}};
  Labels y{{"__name__", "n"}, {"instance", "i2"}, {"job", "j"}};
  EXPECT_EQ(x.HashForLabels({"job"}), y.HashForLabels({"job"}));
  EXPECT_NE(x.HashForLabels({"instance"}), y.HashForLabels({"instance"}));
  EXPECT_EQ(x.HashWithoutLabels({"instance"}), y.HashWithoutLabels({"instance"}));
  EXPECT_EQ(x.DropMetricName().ToString(), "{instance=\"i1\", job=\"j\"}");
}

TEST(LabelsTest, BuilderAndQuoting) {
  LabelsBuilder b(Labels{{"a", "1"}, {"c", "3"}});
  b.Set("b", "2").Del("a").Set("c", "");
  EXPECT_EQ(b.Build().ToString(), "{b=\"2\"}");
  EXPECT_EQ(QuoteLabelValue("a\"b\\c\nd"), "\"a\\\"b\\\\c\\nd\"");
  EXPECT_TRUE(IsValidLabelName("_a1"));
  EXPECT_FALSE(IsValidLabelName("1a"));
  EXPECT_FALSE(IsValidLabelName("a:b"));
  EXPECT_TRUE(IsValidMetricName("a:b"));
}

}  // namespace
}  // namespace promethium
