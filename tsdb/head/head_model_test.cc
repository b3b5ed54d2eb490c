// Randomized check of the head's chunk editing against a plain model: in-
// order and out-of-order appends, deletes and truncations on a few series,
// compared after every step with a std::map of what must be visible.
#include <gtest/gtest.h>

#include <bit>
#include <iterator>
#include <map>
#include <random>

#include "tsdb/head/head.h"
#include "tsdb/head/head_test_util.h"

namespace promethium::tsdb {
namespace {

using namespace testing_util;

constexpr int64_t kRange = 1000;

struct Model {
  std::map<int64_t, double> samples;
  // Whether the head must accept (t, v), as a duplicate-aware map would.
  bool Accepts(int64_t t, double v, int64_t min_valid) const {
    if (t < min_valid) return false;
    auto it = samples.find(t);
    return it == samples.end() || std::bit_cast<uint64_t>(it->second) == std::bit_cast<uint64_t>(v);
  }
};

void ExpectMatches(Head* head, const std::vector<Labels>& series, const std::vector<Model>& models, int step) {
  for (size_t i = 0; i < series.size(); ++i) {
    const SeriesMap got = Query(head, {Eq("i", std::string(series[i].Get("i")))});
    const std::vector<Sample> samples = got.empty() ? std::vector<Sample>{} : got.begin()->second;
    ASSERT_EQ(samples.size(), models[i].samples.size()) << "series " << i << " step " << step;
    size_t k = 0;
    for (const auto& [t, v] : models[i].samples) {
      ASSERT_EQ(samples[k].t, t) << "series " << i << " step " << step;
      ASSERT_EQ(samples[k].v, v);
      ++k;
    }
  }
  // Chunk metas are sorted, non-overlapping, and add up to NumChunks.
  auto ix = head->NewIndexReader();
  size_t chunks = 0;
  for (SeriesRef ref : ExpandPostings(ix->AllPostings().get())) {
    Labels l;
    std::vector<ChunkMeta> metas;
    ASSERT_TRUE(ix->Series(ref, &l, &metas).ok());
    for (size_t k = 1; k < metas.size(); ++k) ASSERT_LT(metas[k - 1].max_time, metas[k].min_time) << "step " << step;
    chunks += metas.size();
  }
  ASSERT_EQ(chunks, head->NumChunks()) << "step " << step;
}

TEST(HeadModel, RandomAppendsDeletesAndTruncationsMatchAMap) {
  HeadOptions opts;
  opts.cut.chunk_range_ms = kRange;
  opts.cut.samples_per_chunk = 8;  // many chunks, many cuts
  opts.stripe_count = 4;
  opts.ooo_window_ms = int64_t{1} << 40;  // everything within the window
  MetricsRegistry metrics;
  Head head(opts, &metrics);
  int rejected = 0, deleted = 0, truncations = 0;
  std::vector<Labels> series;
  for (int i = 0; i < 3; ++i) series.push_back(Labels{{"__name__", "m"}, {"i", std::to_string(i)}});
  std::vector<Model> models(series.size());
  std::mt19937_64 rng(12345);
  int64_t now = 10 * kRange, min_valid = std::numeric_limits<int64_t>::min();
  for (int step = 0; step < 3000; ++step) {
    const size_t i = rng() % series.size();
    const int op = static_cast<int>(rng() % 100);
    if (op < 70) {  // append: mostly new, sometimes old or a repeat
      now += static_cast<int64_t>(rng() % 40);
      const int64_t t = op < 50 ? now : now - static_cast<int64_t>(rng() % (3 * kRange));
      const double v = static_cast<double>(rng() % 4);
      const bool want = models[i].Accepts(t, v, min_valid);
      const Status st = AppendOne(&head, series[i], t, v);
      ASSERT_EQ(st.ok(), want) << "step " << step << " t=" << t << ": " << st.ToString();
      if (want) models[i].samples[t] = v;
      rejected += want ? 0 : 1;
    } else if (op < 90) {  // delete a random interval
      const int64_t from = now - static_cast<int64_t>(rng() % (4 * kRange));
      const int64_t to = from + static_cast<int64_t>(rng() % kRange);
      ASSERT_TRUE(head.Delete(from, to, {Eq("i", std::string(series[i].Get("i")))}, nullptr).ok());
      auto& m = models[i].samples;
      deleted += static_cast<int>(std::distance(m.lower_bound(from), m.upper_bound(to)));
      m.erase(m.lower_bound(from), m.upper_bound(to));
    } else if (op < 93) {  // truncate: queries never see below mint again
      const int64_t mint = now - 2 * kRange;
      if (mint <= min_valid) continue;
      ASSERT_TRUE(head.Truncate(mint).ok());
      min_valid = mint;
      ++truncations;
      for (Model& m : models) m.samples.erase(m.samples.begin(), m.samples.lower_bound(mint));
    }
    if (step % 10 == 0 || op >= 70) ExpectMatches(&head, series, models, step);
  }
  ExpectMatches(&head, series, models, -1);
  // The run covered every path.
  EXPECT_GT(
      metrics.GetCounter("prometheus_tsdb_head_out_of_order_samples_appended_total", "", {{"type", "float"}})->Value(),
      100);
  EXPECT_GT(rejected, 10);
  EXPECT_GT(deleted, 100);
  EXPECT_GT(truncations, 10);
  EXPECT_GT(metrics.GetCounter("prometheus_tsdb_head_chunks_removed_total", "")->Value(), 10);
}

}  // namespace
}  // namespace promethium::tsdb
