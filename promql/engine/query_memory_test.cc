// --query.max-memory: the per-query byte accountant (query_memory.h) and the
// engine paths that charge it, with small budgets.
#include "promql/engine/query_memory.h"

#include <gtest/gtest.h>

#include <string>

#include "promql/engine/engine.h"
#include "promql/engine/engine_test_storage.h"

namespace promethium::promql {
namespace {

constexpr int64_t kMin = 60'000;
constexpr std::string_view kMemoryError = "query processing would load too much data into memory";

TEST(QueryMemoryTest, ChargesReleasesAndChecks) {
  QueryMemory m(100);
  m.Charge(60);
  EXPECT_TRUE(m.Check().ok());
  EXPECT_TRUE(m.ChargeAndCheck(40).ok());  // exactly at the limit is allowed
  Status st = m.ChargeAndCheck(1);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), Status::Code::kResourceExhausted);
  EXPECT_EQ(st.message(),
            "query processing would load too much data into memory in query execution: 101 bytes held exceeds "
            "--query.max-memory=100 bytes");
  m.Release(101);
  EXPECT_EQ(m.current(), 0);
  EXPECT_EQ(m.peak(), 101);
  QueryMemory unlimited(0);
  EXPECT_TRUE(unlimited.ChargeAndCheck(int64_t{1} << 50).ok());
}

TEST(QueryMemoryTest, ScopedChargeFollowsItsBufferAndReleasesOnDestruction) {
  QueryMemory m(1000);
  {
    ScopedCharge c(&m);
    EXPECT_TRUE(c.Set(300).ok());
    EXPECT_TRUE(c.Set(200).ok());
    EXPECT_EQ(m.current(), 200);
    EXPECT_FALSE(c.Set(2000).ok());
  }
  EXPECT_EQ(m.current(), 0);
}

class QueryMaxMemoryTest : public ::testing::Test {
 protected:
  // n series x{i="0".."n-1"} with distinct values at every minute over an hour.
  void AddSeries(int n) {
    for (int i = 0; i < n; ++i) storage_.AddSeq({{"__name__", "x"}, {"i", std::to_string(i)}}, kMin, i * 1000, 1, 61);
  }
  QueryResult Range(Engine& e, std::string_view q) { return e.RangeQuery(storage_, q, 0, 60 * kMin, kMin); }
  // Fails with the memory error under a small budget, succeeds without one,
  // and really held more than the budget then.
  void ExpectOverBudget(std::string_view q, int64_t budget) {
    SCOPED_TRACE(std::string(q));
    EngineOptions o;
    o.max_memory_bytes = budget;
    Engine small(o);
    QueryResult r = Range(small, q);
    EXPECT_EQ(r.error_type, QueryErrorType::kExecution);
    EXPECT_EQ(r.error.rfind(kMemoryError, 0), 0u) << r.error;
    QueryResult ok = Range(unlimited_, q);
    ASSERT_TRUE(ok.ok()) << ok.error;
    EXPECT_GT(ok.stats.peak_memory_bytes, budget);
  }

  TestStorage storage_;
  Engine unlimited_{EngineOptions{}};
};

TEST_F(QueryMaxMemoryTest, CountValuesOverManySeriesFails) {
  AddSeries(200);
  // 200 distinct values per step, 61 steps: interned label sets and points.
  ExpectOverBudget("count_values(\"v\", x)", 256 << 10);
}

TEST_F(QueryMaxMemoryTest, LabelReplaceExplosionFails) {
  AddSeries(100);
  // Each series gets a label 1024 times the size of its `i`: one sample per
  // series, large label sets (max-samples cannot see these).
  std::string tmpl;
  for (int i = 0; i < 1024; ++i) tmpl += "$1";
  const std::string q = "label_replace(x, \"big\", \"" + tmpl + "\", \"i\", \"(.*)\")";
  EngineOptions o;
  o.max_memory_bytes = 64 << 10;
  Engine small(o);
  QueryResult plain = small.InstantQuery(storage_, "x", 0);
  ASSERT_TRUE(plain.ok()) << plain.error;
  QueryResult r = small.InstantQuery(storage_, q, 0);
  EXPECT_EQ(r.error.rfind(kMemoryError, 0), 0u) << r.error;
  QueryResult ok = unlimited_.InstantQuery(storage_, q, 0);
  ASSERT_TRUE(ok.ok()) << ok.error;
  EXPECT_GT(ok.stats.peak_memory_bytes, 100 * 1024);
}

TEST_F(QueryMaxMemoryTest, LongRangeSubqueryFails) {
  AddSeries(10);
  // A 1s-step subquery over an hour materialises 3600 points per series.
  ExpectOverBudget("max_over_time(x[1h:1s])", 256 << 10);
}

TEST_F(QueryMaxMemoryTest, GroupLeftJoinCopyingABigLabelFails) {
  AddSeries(100);
  std::string tmpl;
  for (int i = 0; i < 256; ++i) tmpl += "$1";
  // One series with a big label, copied onto all 100 series of x.
  ExpectOverBudget("x * on() group_left(big) label_replace(x{i=\"0\"}, \"big\", \"" + tmpl + "\", \"i\", \"(.*)\")",
                   128 << 10);
}

TEST_F(QueryMaxMemoryTest, RawSamplesOfOneSeriesAreCharged) {
  // 200k samples of one series in the window: 3.2MB loaded at once.
  storage_.AddSeq({{"__name__", "y"}}, 10, 0, 1, 200'000);
  EngineOptions o;
  o.max_memory_bytes = 1 << 20;
  Engine small(o);
  QueryResult r = small.InstantQuery(storage_, "count_over_time(y[1h])", 2'000'000);
  EXPECT_EQ(r.error.rfind(kMemoryError, 0), 0u) << r.error;
  QueryResult ok = unlimited_.InstantQuery(storage_, "count_over_time(y[1h])", 2'000'000);
  ASSERT_TRUE(ok.ok()) << ok.error;
  EXPECT_GT(ok.stats.peak_memory_bytes, int64_t{200'000} * 16);
}

TEST_F(QueryMaxMemoryTest, NormalQueriesUnderTheBudgetAnswer) {
  AddSeries(50);
  EngineOptions o;
  o.max_memory_bytes = 4 << 20;
  Engine e(o);
  QueryResult r = Range(e, "sum by (i) (rate(x[5m])) * 2");
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(std::get<Matrix>(r.value).size(), 50u);
  EXPECT_GT(r.stats.peak_memory_bytes, 0);
  EXPECT_LE(r.stats.peak_memory_bytes, 4 << 20);
}

TEST_F(QueryMaxMemoryTest, IntermediateResultsAreReleased) {
  AddSeries(50);
  // Each binary operation frees its operands: a chain of eight holds about
  // what one holds, not eight times as much.
  QueryResult one = Range(unlimited_, "x + x");
  QueryResult chain = Range(unlimited_, "x + x + x + x + x + x + x + x");
  ASSERT_TRUE(one.ok() && chain.ok());
  EXPECT_LT(chain.stats.peak_memory_bytes, 2 * one.stats.peak_memory_bytes);
}

}  // namespace
}  // namespace promethium::promql
