// Engine tests for the paths that are easy to get subtly wrong: lookback
// and staleness, @ and offset (and the storage time range they imply),
// subquery step alignment, vector matching errors, limits and cancellation.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <string>

#include "promql/engine/engine.h"
#include "promql/engine/engine_test_storage.h"

namespace promethium::promql {
namespace {

constexpr int64_t kSec = 1000;
constexpr int64_t kMin = 60 * kSec;

class EnginePathsTest : public ::testing::Test {
 protected:
  QueryResult Instant(std::string_view q, int64_t t, const QueryOptions& o = {}) {
    return engine_.InstantQuery(storage_, q, t, o);
  }
  QueryResult Range(std::string_view q, int64_t start, int64_t end, int64_t step) {
    return engine_.RangeQuery(storage_, q, start, end, step);
  }
  // The value of the only element of an instant vector; NaN if none.
  static double Only(const QueryResult& r) {
    EXPECT_TRUE(r.ok()) << r.error;
    const auto* v = std::get_if<Vector>(&r.value);
    if (v == nullptr || v->size() != 1) {
      ADD_FAILURE() << "want one element, got " << (v ? v->size() : 0);
      return NAN;
    }
    return (*v)[0].v;
  }
  static size_t Size(const QueryResult& r) {
    EXPECT_TRUE(r.ok()) << r.error;
    const auto* v = std::get_if<Vector>(&r.value);
    return v ? v->size() : 0;
  }
  // Timestamps of the only series of a matrix result.
  static std::vector<int64_t> Times(const QueryResult& r) {
    EXPECT_TRUE(r.ok()) << r.error;
    std::vector<int64_t> out;
    const auto* m = std::get_if<Matrix>(&r.value);
    if (m == nullptr || m->size() != 1) {
      ADD_FAILURE() << "want one series";
      return out;
    }
    for (const auto& p : (*m)[0].points) out.push_back(p.t);
    return out;
  }

  Labels x_{{"__name__", "x"}};
  TestStorage storage_;
  Engine engine_{EngineOptions{}};
};

TEST_F(EnginePathsTest, QueryLookbackOverridesTheEngineDefault) {
  storage_.Add(x_, 0, 1);
  QueryOptions short_lookback;
  short_lookback.lookback_delta_ms = 30 * kSec;
  EXPECT_EQ(Size(Instant("x", 29 * kSec, short_lookback)), 1u);
  EXPECT_EQ(Size(Instant("x", 30 * kSec, short_lookback)), 0u);  // left-open window
  EXPECT_EQ(Size(Instant("x", 4 * kMin)), 1u);                   // the 5m default still applies elsewhere
}

TEST_F(EnginePathsTest, StaleMarkerCutsARangeQueryAndTheNextSampleResumes) {
  storage_.Add(x_, 0, 1);
  storage_.Add(x_, 2 * kMin, StaleNaN());
  storage_.Add(x_, 4 * kMin, 5);
  // 0 and 1m see the first sample; 2m and 3m see the stale marker; from
  // 4m on the new sample.
  EXPECT_EQ(Times(Range("x", 0, 6 * kMin, kMin)), (std::vector<int64_t>{0, kMin, 4 * kMin, 5 * kMin, 6 * kMin}));
  // The sample at exactly t is included (the window is (t-lookback, t]).
  EXPECT_EQ(Only(Instant("x", 4 * kMin)), 5);
  // Functions over range vectors ignore the marker itself.
  EXPECT_EQ(Only(Instant("count_over_time(x[10m])", 5 * kMin)), 2);
  EXPECT_EQ(Size(Instant("last_over_time(x[3m])", 3 * kMin)), 0u);  // window (0, 3m] holds only the marker
}

TEST_F(EnginePathsTest, AtAndOffsetOnRangeVectors) {
  storage_.AddSeq(x_, kMin, 0, 1, 11);  // value = minute, 0..10
  // (4m, 5m] @ 300 shifted by 1m: (3m, 4m].
  EXPECT_EQ(Only(Instant("sum_over_time(x[2m] @ 300 offset 1m)", 0)), 3 + 4);
  EXPECT_EQ(Only(Instant("sum_over_time(x[2m] offset -1m)", 5 * kMin)), 5 + 6);
  // @ start() / end() in a range query pin every step to one time.
  auto r = Range("x @ start()", 2 * kMin, 4 * kMin, kMin);
  ASSERT_TRUE(r.ok()) << r.error;
  for (const auto& p : std::get<Matrix>(r.value).at(0).points) EXPECT_EQ(p.v, 2);
}

TEST_F(EnginePathsTest, StorageIsAskedForTheTimesModifiersReach) {
  storage_.AddSeq(x_, kMin, 0, 1, 11);
  // A selector pinned after the query time: [600s - lookback, 600s].
  ASSERT_TRUE(Instant("x @ 600", 0).ok());
  EXPECT_EQ(storage_.last_mint, 600 * kSec - 5 * kMin);
  EXPECT_EQ(storage_.last_maxt, 600 * kSec);
  // A matrix selector with an offset: [t - 1m - 2m, t - 1m].
  ASSERT_TRUE(Instant("rate(x[2m] offset 1m)", 10 * kMin).ok());
  EXPECT_EQ(storage_.last_mint, 7 * kMin);
  EXPECT_EQ(storage_.last_maxt, 9 * kMin);
  // A selector inside an offset subquery: the subquery's range and offset
  // come first, then the selector's lookback.
  ASSERT_TRUE(Instant("max_over_time(x[3m:1m] offset 2m)", 10 * kMin).ok());
  EXPECT_EQ(storage_.last_mint, 10 * kMin - 2 * kMin - 3 * kMin - 5 * kMin);
  EXPECT_EQ(storage_.last_maxt, 8 * kMin);
  // Below a subquery pinned with @, the query time no longer matters.
  ASSERT_TRUE(Instant("max_over_time(x[1m:1m] @ 120)", 10 * kMin).ok());
  EXPECT_EQ(storage_.last_mint, 2 * kMin - kMin - 5 * kMin);
  EXPECT_EQ(storage_.last_maxt, 2 * kMin);
  // Several selectors: the union of their ranges.
  ASSERT_TRUE(Instant("x offset 8m + on() x @ 540", 5 * kMin).ok());
  EXPECT_EQ(storage_.last_mint, -3 * kMin - 5 * kMin);
  EXPECT_EQ(storage_.last_maxt, 9 * kMin);
}

TEST_F(EnginePathsTest, SubqueryStepsAlignToAbsoluteMultiples) {
  storage_.AddSeq(x_, kMin, 0, 1, 21);
  // (6m, 10m]: a step falling on the window's open start is left out.
  EXPECT_EQ(Only(Instant("count_over_time(x[4m:2m])", 10 * kMin)), 2);
  // (5m30s, 10m30s]: steps at 6m, 8m, 10m regardless of the query time.
  EXPECT_EQ(Only(Instant("count_over_time(x[5m:2m])", 10 * kMin + 30 * kSec)), 3);
  EXPECT_EQ(Only(Instant("min_over_time(x[5m:2m])", 10 * kMin + 30 * kSec)), 6);
  // An offset shifts the window, and alignment follows the shifted window:
  // (3m, 8m] -> 4m, 6m, 8m.
  EXPECT_EQ(Only(Instant("min_over_time(x[5m:2m] offset 2m)", 10 * kMin)), 4);
  // Without a step the engine's default (1m) is used.
  EXPECT_EQ(Only(Instant("count_over_time(x[5m:])", 10 * kMin)), 5);
}

TEST_F(EnginePathsTest, VectorMatchingErrors) {
  storage_.Add({{"__name__", "a"}, {"i", "1"}, {"j", "p"}}, 0, 1);
  storage_.Add({{"__name__", "a"}, {"i", "1"}, {"j", "q"}}, 0, 2);
  storage_.Add({{"__name__", "b"}, {"i", "1"}}, 0, 10);
  // The "one" side of group_right is the left one here and has duplicates.
  auto left = Instant("a * on(i) group_right b", 0);
  EXPECT_EQ(left.error_type, QueryErrorType::kExecution);
  EXPECT_NE(left.error.find("on the left hand-side of the operation"), std::string::npos) << left.error;
  // Set operators match many-to-many without complaint.
  EXPECT_EQ(Size(Instant("a and on(i) b", 0)), 2u);
  EXPECT_EQ(Size(Instant("a unless on(i) b", 0)), 0u);
  // group_left is fine while every result label set is unique.
  EXPECT_EQ(Size(Instant("a * on(i) group_left b", 0)), 2u);
  // A comparison without bool filters: no a exceeds b.
  EXPECT_EQ(Size(Instant("a > on(i) group_left b", 0)), 0u);
}

TEST_F(EnginePathsTest, MaxSamplesCountsRangeVectorsAndSubqueries) {
  EngineOptions o;
  o.max_samples = 5;
  Engine small(o);
  storage_.AddSeq(x_, kMin, 0, 1, 11);
  EXPECT_TRUE(small.InstantQuery(storage_, "sum_over_time(x[5m])", 10 * kMin).ok());  // 5 samples: at the limit
  auto r = small.InstantQuery(storage_, "sum_over_time(x[6m])", 10 * kMin);
  EXPECT_EQ(r.error_type, QueryErrorType::kExecution);
  EXPECT_EQ(r.error, "query processing would load too many samples into memory in query execution");
  auto sq = small.InstantQuery(storage_, "sum_over_time(x[10m:1m])", 10 * kMin);
  EXPECT_EQ(sq.error_type, QueryErrorType::kExecution);
}

TEST_F(EnginePathsTest, CancellationDuringEvaluation) {
  storage_.AddSeq(x_, kMin, 0, 1, 11);
  std::atomic<bool> canceled{false};
  // The flag flips once the query has started reading storage.
  storage_.on_new_querier = [&] { canceled = true; };
  QueryOptions o;
  o.canceled = &canceled;
  auto r = engine_.RangeQuery(storage_, "x + x", 0, 10 * kMin, kSec, o);
  EXPECT_EQ(r.error_type, QueryErrorType::kCanceled);
  EXPECT_EQ(r.error.rfind("query was canceled in ", 0), 0u) << r.error;
  // The engine is usable afterwards.
  storage_.on_new_querier = nullptr;
  EXPECT_EQ(Only(Instant("x", 10 * kMin)), 10);
}

TEST_F(EnginePathsTest, QueryTimeoutBelowTheEngineDefaultWins) {
  storage_.AddSeq(x_, kSec, 0, 1, 1000);
  QueryOptions o;
  o.timeout = std::chrono::milliseconds(1);
  auto r = engine_.RangeQuery(storage_, "sum(x) + count(x)", 0, 10'000'000'000, kSec, o);
  EXPECT_EQ(r.error_type, QueryErrorType::kTimeout);
}

}  // namespace
}  // namespace promethium::promql
