#include "tsdb/exemplar/circular_exemplar_storage.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "tsdb/base/env.h"
#include "tsdb/db.h"
#include "tsdb/exemplar/exemplar_appender.h"

namespace promethium::tsdb {
namespace {

Exemplar Ex(std::string trace, double v, int64_t ts) { return Exemplar{Labels{{"trace_id", trace}}, v, ts}; }

Matchers Eq(std::string name, std::string value) {
  return {Matcher::Make(MatchType::kEqual, std::move(name), std::move(value)).value()};
}

std::vector<int64_t> Timestamps(const ExemplarSeries& s) {
  std::vector<int64_t> out;
  for (const Exemplar& e : s.exemplars) out.push_back(e.ts);
  return out;
}

const Labels kA{{"__name__", "a"}};
const Labels kB{{"__name__", "b"}};

TEST(CircularExemplarStorage, StoresPerSeriesInOrderAndSelectsByTimeAndMatchers) {
  CircularExemplarStorage s(10, nullptr);
  ASSERT_TRUE(s.Add(kA, Ex("1", 1, 1000)).ok());
  ASSERT_TRUE(s.Add(kB, Ex("2", 2, 1500)).ok());
  ASSERT_TRUE(s.Add(kA, Ex("3", 3, 2000)).ok());
  ASSERT_TRUE(s.Add(kA, Ex("4", 4, 3000)).ok());

  auto all = s.SelectExemplars(kMinTime, kMaxTime, {Eq("__name__", "a"), Eq("__name__", "b")});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].series_labels, kA);
  EXPECT_EQ(Timestamps((*all)[0]), (std::vector<int64_t>{1000, 2000, 3000}));
  EXPECT_EQ((*all)[0].exemplars[1].labels, (Labels{{"trace_id", "3"}}));
  EXPECT_EQ((*all)[0].exemplars[1].value, 3);
  EXPECT_EQ((*all)[1].series_labels, kB);

  auto ranged = s.SelectExemplars(1500, 2000, {Eq("__name__", "a")});
  ASSERT_TRUE(ranged.ok());
  ASSERT_EQ(ranged->size(), 1u);
  EXPECT_EQ(Timestamps((*ranged)[0]), (std::vector<int64_t>{2000}));

  auto none = s.SelectExemplars(kMinTime, kMaxTime, {Eq("__name__", "c")});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  auto outside = s.SelectExemplars(5000, 6000, {Eq("__name__", "a")});
  EXPECT_TRUE(outside->empty());
}

TEST(CircularExemplarStorage, EvictsOldestWhenFull) {
  MetricsRegistry metrics;
  CircularExemplarStorage s(3, &metrics);
  ASSERT_TRUE(s.Add(kA, Ex("1", 1, 1000)).ok());
  ASSERT_TRUE(s.Add(kB, Ex("2", 2, 1100)).ok());
  ASSERT_TRUE(s.Add(kA, Ex("3", 3, 2000)).ok());
  ASSERT_TRUE(s.Add(kA, Ex("4", 4, 3000)).ok());  // evicts a@1000
  EXPECT_EQ(s.size(), 3u);
  auto r = s.SelectExemplars(kMinTime, kMaxTime, {Eq("__name__", "a")});
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ(Timestamps((*r)[0]), (std::vector<int64_t>{2000, 3000}));

  ASSERT_TRUE(s.Add(kA, Ex("5", 5, 4000)).ok());  // evicts b's only exemplar
  r = s.SelectExemplars(kMinTime, kMaxTime, {Eq("__name__", "b")});
  EXPECT_TRUE(r->empty());
  EXPECT_EQ(metrics.GetGauge("prometheus_tsdb_exemplar_series_with_exemplars_in_storage", "")->Value(), 1);
  // A series evicting its own only exemplar keeps a consistent index.
  ASSERT_TRUE(s.Add(kB, Ex("6", 6, 5000)).ok());  // evicts a@2000
  ASSERT_TRUE(s.Add(kB, Ex("7", 7, 6000)).ok());  // evicts a@3000
  ASSERT_TRUE(s.Add(kB, Ex("8", 8, 7000)).ok());  // evicts a@4000: a is gone
  r = s.SelectExemplars(kMinTime, kMaxTime, {Eq("__name__", "a"), Eq("__name__", "b")});
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ(Timestamps((*r)[0]), (std::vector<int64_t>{5000, 6000, 7000}));
  CircularExemplarStorage one(1, nullptr);
  ASSERT_TRUE(one.Add(kA, Ex("1", 1, 1)).ok());
  ASSERT_TRUE(one.Add(kA, Ex("2", 2, 2)).ok());
  r = one.SelectExemplars(kMinTime, kMaxTime, {Eq("__name__", "a")});
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ(Timestamps((*r)[0]), (std::vector<int64_t>{2}));

  EXPECT_EQ(metrics.GetCounter("prometheus_tsdb_exemplar_exemplars_appended_total", "")->Value(), 8);
  EXPECT_EQ(metrics.GetGauge("prometheus_tsdb_exemplar_exemplars_in_storage", "")->Value(), 3);
  EXPECT_EQ(metrics.GetGauge("prometheus_tsdb_exemplar_max_exemplars", "")->Value(), 3);
  // The oldest stored exemplar is b@5000.
  EXPECT_EQ(metrics.GetGauge("prometheus_tsdb_exemplar_last_exemplars_timestamp_seconds", "")->Value(), 5);
}

TEST(CircularExemplarStorage, RejectsDuplicatesOutOfOrderAndLongLabels) {
  MetricsRegistry metrics;
  CircularExemplarStorage s(10, &metrics);
  ASSERT_TRUE(s.Add(kA, Ex("1", 1, 1000)).ok());
  EXPECT_EQ(s.Add(kA, Ex("1", 1, 1000)).code(), Status::Code::kDuplicate);
  Status ooo = s.Add(kA, Ex("0", 1, 999));
  EXPECT_EQ(ooo.code(), Status::Code::kOutOfOrder);
  EXPECT_EQ(ooo.message(), "out of order exemplar");
  // Same timestamp: a smaller value is out of order, a larger one is kept.
  EXPECT_EQ(s.Add(kA, Ex("1", 0.5, 1000)).code(), Status::Code::kOutOfOrder);
  EXPECT_TRUE(s.Add(kA, Ex("1", 2, 1000)).ok());
  // Validate does not count; Add does.
  EXPECT_EQ(s.Validate(kA, Ex("0", 1, 10)).code(), Status::Code::kOutOfOrder);
  EXPECT_EQ(metrics.GetCounter("prometheus_tsdb_exemplar_out_of_order_exemplars_total", "")->Value(), 2);
  // Other series are independent.
  EXPECT_TRUE(s.Add(kB, Ex("0", 1, 10)).ok());

  // 128 runes (names + values) is the limit; multi-byte runes count once.
  std::string value(120, 'x');
  EXPECT_TRUE(s.Add(kB, Exemplar{Labels{{"trace_id", value}}, 1, 20}).ok());  // 8 + 120
  Status too_long = s.Add(kB, Exemplar{Labels{{"trace_id", value + "y"}}, 1, 30});
  EXPECT_EQ(too_long.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(too_long.message(), "label length for exemplar exceeds maximum of 128 UTF-8 characters");
  std::string runes;
  for (int i = 0; i < 120; ++i) runes += "\xc3\xa9";  // é, two bytes
  EXPECT_TRUE(s.Add(kB, Exemplar{Labels{{"trace_id", runes}}, 1, 40}).ok());
  EXPECT_EQ(s.size(), 5u);
}

TEST(CircularExemplarStorage, ZeroCapacityIsDisabled) {
  CircularExemplarStorage s(0, nullptr);
  Status st = s.Add(kA, Ex("1", 1, 1));
  EXPECT_EQ(st.code(), Status::Code::kUnsupported);
  EXPECT_TRUE(s.SelectExemplars(kMinTime, kMaxTime, {Eq("__name__", "a")})->empty());
}

TEST(ExemplarAppender, ExemplarsBecomeVisibleAtCommitOfTheDB) {
  const std::string dir =
      (std::filesystem::temp_directory_path() / ("promethium_exemplar_test_" + std::to_string(::getpid()))).string();
  DBOptions opts;
  opts.max_exemplars = 5;
  opts.wal_enabled = false;
  opts.background_compaction = false;
  auto db = DB::Open(dir, opts, nullptr);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  auto app = (*db)->NewAppender();
  auto ref = app->Append(0, kA, 1000, 1);
  ASSERT_TRUE(ref.ok());
  ASSERT_TRUE(app->AppendExemplar(*ref, kA, Ex("t", 1, 1000)).ok());
  auto before = (*db)->exemplars()->SelectExemplars(kMinTime, kMaxTime, {Eq("__name__", "a")});
  EXPECT_TRUE(before->empty());
  ASSERT_TRUE(app->Commit().ok());
  auto after = (*db)->exemplars()->SelectExemplars(kMinTime, kMaxTime, {Eq("__name__", "a")});
  ASSERT_EQ(after->size(), 1u);
  EXPECT_EQ((*after)[0].exemplars[0], Ex("t", 1, 1000));

  // Validation happens at append time; rollback drops pending exemplars.
  auto app2 = (*db)->NewAppender();
  EXPECT_EQ(app2->AppendExemplar(*ref, kA, Ex("t", 1, 10)).status().code(), Status::Code::kOutOfOrder);
  ASSERT_TRUE(app2->AppendExemplar(*ref, kA, Ex("u", 2, 2000)).ok());
  ASSERT_TRUE(app2->Rollback().ok());
  after = (*db)->exemplars()->SelectExemplars(kMinTime, kMaxTime, {Eq("__name__", "a")});
  EXPECT_EQ((*after)[0].exemplars.size(), 1u);
  ASSERT_TRUE((*db)->Close().ok());
  Env::Default()->RemoveDirRecursively(dir);
}

}  // namespace
}  // namespace promethium::tsdb
