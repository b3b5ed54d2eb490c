#include "server/features.h"

#include <gtest/gtest.h>

namespace promethium::server {
namespace {

TEST(FeatureFlagsTest, KnownFeaturesSetEngineOptions) {
  promql::EngineOptions opts;
  EXPECT_TRUE(ApplyFeatureFlags("promql-experimental-functions, promql-delayed-name-removal", &opts).empty());
  EXPECT_TRUE(opts.parse.enable_experimental_functions);
  EXPECT_TRUE(opts.parse.enable_limit_aggregations);
  EXPECT_TRUE(opts.enable_delayed_name_removal);
}

TEST(FeatureFlagsTest, UnknownFeaturesAreReportedAndChangeNothing) {
  promql::EngineOptions opts;
  std::vector<std::string> unknown = ApplyFeatureFlags("native-histograms,,exemplar-storage", &opts);
  EXPECT_EQ(unknown, (std::vector<std::string>{"native-histograms", "exemplar-storage"}));
  EXPECT_FALSE(opts.parse.enable_experimental_functions);
  EXPECT_FALSE(opts.enable_delayed_name_removal);
  EXPECT_TRUE(ApplyFeatureFlags("", &opts).empty());
}

}  // namespace
}  // namespace promethium::server
