#include "scrape/packed_labels.h"

#include <gtest/gtest.h>

#include <string>

namespace promethium::scrape {
namespace {

TEST(PackedLabelsTest, RoundTripsAndSizesExactly) {
  const std::string long_value(300, 'v');  // a length that takes two varint bytes
  for (const Labels& labels : {Labels(), Labels{{"__name__", "up"}},
                               Labels{{"__name__", "node_cpu_seconds_total"}, {"cpu", "0"}, {"mode", "idle"}},
                               Labels{{"__name__", "x"}, {"path", long_value}, {"ünï", "cödé"}}}) {
    std::string packed = "key{}";  // packing appends after what is there
    PackLabels(labels, &packed);
    EXPECT_EQ(packed.size(), 5 + PackedSize(labels));
    EXPECT_EQ(UnpackLabels(std::string_view(packed).substr(5)), labels);
  }
}

TEST(PackedLabelsTest, TruncatedInputYieldsTheLabelsBeforeTheCut) {
  std::string packed;
  PackLabels(Labels{{"a", "1"}, {"b", "2"}}, &packed);
  EXPECT_EQ(UnpackLabels(std::string_view(packed).substr(0, packed.size() - 1)), (Labels{{"a", "1"}}));
  EXPECT_TRUE(UnpackLabels("\xff").empty());
}

}  // namespace
}  // namespace promethium::scrape
