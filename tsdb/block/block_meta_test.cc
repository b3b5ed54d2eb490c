#include "tsdb/block/block_meta.h"

#include <gtest/gtest.h>

#include <set>

namespace promethium::tsdb {
namespace {

TEST(UlidTest, FormatTimeAndMonotonicity) {
  const int64_t ms = 1700000000123;
  std::string prev;
  for (int i = 0; i < 1000; ++i) {
    std::string id = NewUlid(ms);
    ASSERT_TRUE(IsValidUlid(id)) << id;
    EXPECT_EQ(UlidTime(id), ms);
    EXPECT_LT(prev, id);  // strictly increasing within one ms
    prev = id;
  }
  EXPECT_LT(NewUlid(ms), NewUlid(ms + 1));
  EXPECT_LT(NewUlid(1000), NewUlid(ms));                    // sorts by time
  EXPECT_FALSE(IsValidUlid("01ARZ3NDEKTSV4RRFFQ69G5FA"));   // 25 chars
  EXPECT_FALSE(IsValidUlid("81ARZ3NDEKTSV4RRFFQ69G5FAV"));  // overflows 128 bits
  EXPECT_FALSE(IsValidUlid("01ARZ3NDEKTSV4RRFFQ69G5FAU"));  // U is not Crockford
  EXPECT_TRUE(IsValidUlid("01ARZ3NDEKTSV4RRFFQ69G5FAV"));
  EXPECT_EQ(UlidTime("01ARZ3NDEKTSV4RRFFQ69G5FAV"), 1469922850259);  // the ULID spec example
}

TEST(BlockMetaTest, JsonRoundTrip) {
  BlockMeta m;
  m.ulid = NewUlid(1000);
  m.min_time = -5;
  m.max_time = 7200000;
  m.stats.num_samples = 1000;
  m.stats.num_float_samples = 990;
  m.stats.num_histogram_samples = 10;
  m.stats.num_series = 10;
  m.stats.num_chunks = 20;
  m.stats.num_tombstones = 2;
  m.compaction.level = 2;
  m.compaction.sources = {NewUlid(1), NewUlid(2)};
  m.compaction.parents = {{m.compaction.sources[0], 0, 10}, {m.compaction.sources[1], 10, 20}};
  auto back = BlockMetaFromJson(BlockMetaToJson(m));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->ulid, m.ulid);
  EXPECT_EQ(back->min_time, -5);
  EXPECT_EQ(back->max_time, 7200000);
  EXPECT_EQ(back->stats.num_samples, 1000u);
  EXPECT_EQ(back->stats.num_float_samples, 990u);
  EXPECT_EQ(back->stats.num_histogram_samples, 10u);
  EXPECT_EQ(back->stats.num_series, 10u);
  EXPECT_EQ(back->stats.num_chunks, 20u);
  EXPECT_EQ(back->stats.num_tombstones, 2u);
  EXPECT_EQ(back->compaction.level, 2);
  EXPECT_EQ(back->compaction.sources, m.compaction.sources);
  ASSERT_EQ(back->compaction.parents.size(), 2u);
  EXPECT_EQ(back->compaction.parents[1].max_time, 20);
}

TEST(BlockMetaTest, ReadsPrometheusMetaJson) {
  // As written by Prometheus 3.x (json.MarshalIndent with tabs).
  const char* json = R"({
	"ulid": "01HQ5Z8Y4S9M8F0W1V9K2X3Y4Z",
	"minTime": 1708300800000,
	"maxTime": 1708308000000,
	"stats": {
		"numSamples": 553862,
		"numFloatSamples": 553862,
		"numSeries": 4622,
		"numChunks": 4622
	},
	"compaction": {
		"level": 1,
		"sources": [
			"01HQ5Z8Y4S9M8F0W1V9K2X3Y4Z"
		]
	},
	"version": 1
})";
  auto m = BlockMetaFromJson(json);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->stats.num_series, 4622u);
  EXPECT_EQ(m->compaction.sources.size(), 1u);
  // And what we write has the same keys in the same order.
  std::string ours = BlockMetaToJson(*m);
  size_t a = ours.find("\"ulid\""), b = ours.find("\"minTime\""), c = ours.find("\"stats\""),
         d = ours.find("\"compaction\""), e = ours.find("\"version\"");
  EXPECT_TRUE(a < b && b < c && c < d && d < e) << ours;
}

// Prometheus 3.x counts float and histogram samples apart (tsdb/block.go
// BlockStats: numSamples, numFloatSamples, numHistogramSamples, numSeries,
// numChunks, numTombstones, all omitempty). The stats object below is what
// its json.MarshalIndent(meta, "", "\t") writes; ours must be the same text.
TEST(BlockMetaTest, FloatAndHistogramSampleCountsAsPrometheus3) {
  const std::string stats = R"("stats": {
		"numSamples": 1300,
		"numFloatSamples": 1200,
		"numHistogramSamples": 100,
		"numSeries": 3,
		"numChunks": 12
	},)";
  const std::string json =
      "{\n\t\"ulid\": \"01HQ5Z8Y4S9M8F0W1V9K2X3Y4Z\",\n\t\"minTime\": 0,\n\t\"maxTime\": 7200000,\n\t" + stats +
      "\n\t\"compaction\": {\"level\": 1},\n\t\"version\": 1\n}";
  auto m = BlockMetaFromJson(json);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->stats.num_samples, 1300u);
  EXPECT_EQ(m->stats.num_float_samples, 1200u);
  EXPECT_EQ(m->stats.num_histogram_samples, 100u);
  EXPECT_NE(BlockMetaToJson(*m).find(stats), std::string::npos) << BlockMetaToJson(*m);

  // A Prometheus 2.x meta has numSamples only: the split is not invented.
  BlockMeta old = *m;
  old.stats.num_float_samples = old.stats.num_histogram_samples = 0;
  const std::string written = BlockMetaToJson(old);
  EXPECT_EQ(written.find("numFloatSamples"), std::string::npos) << written;
  EXPECT_EQ(written.find("numHistogramSamples"), std::string::npos) << written;
  auto back = BlockMetaFromJson(written);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->stats.num_samples, 1300u);
  EXPECT_EQ(back->stats.num_float_samples, 0u);
}

TEST(BlockMetaTest, RejectsBadMeta) {
  EXPECT_FALSE(BlockMetaFromJson("{").ok());
  EXPECT_FALSE(BlockMetaFromJson(R"({"ulid":"x","minTime":0,"maxTime":1,"compaction":{"level":1},"version":1})").ok());
  EXPECT_FALSE(
      BlockMetaFromJson(
          R"({"ulid":"01ARZ3NDEKTSV4RRFFQ69G5FAV","minTime":5,"maxTime":1,"compaction":{"level":1},"version":1})")
          .ok());
  EXPECT_FALSE(
      BlockMetaFromJson(
          R"({"ulid":"01ARZ3NDEKTSV4RRFFQ69G5FAV","minTime":0,"maxTime":1,"compaction":{"level":1},"version":9})")
          .ok());
}

TEST(BlockMetaTest, CompactBlockMetas) {
  BlockMeta a, b;
  a.ulid = "A";
  a.min_time = 0;
  a.max_time = 10;
  a.compaction.level = 1;
  a.compaction.sources = {"S2"};
  b.ulid = "B";
  b.min_time = 10;
  b.max_time = 30;
  b.compaction.level = 2;
  b.compaction.sources = {"S1", "S2"};
  BlockMeta m = CompactBlockMetas({a, b});
  EXPECT_EQ(m.min_time, 0);
  EXPECT_EQ(m.max_time, 30);
  EXPECT_EQ(m.compaction.level, 3);
  EXPECT_EQ(m.compaction.sources, (std::vector<std::string>{"S1", "S2"}));
  ASSERT_EQ(m.compaction.parents.size(), 2u);
  EXPECT_EQ(m.compaction.parents[0].ulid, "A");
}

}  // namespace
}  // namespace promethium::tsdb
