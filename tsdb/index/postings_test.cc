#include "tsdb/index/postings.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>
#include <random>
#include <set>

#include "tsdb/index/mem_postings.h"

namespace promethium::tsdb {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::unique_ptr<Postings> L(std::vector<SeriesRef> v) { return std::make_unique<ListPostings>(std::move(v)); }

template <typename... P>
std::vector<std::unique_ptr<Postings>> Vec(P... ps) {
  std::vector<std::unique_ptr<Postings>> out;
  (out.push_back(std::move(ps)), ...);
  return out;
}

TEST(ListPostings, NextAndSeek) {
  ListPostings p({2, 4, 6, 8});
  ASSERT_TRUE(p.Seek(3));
  EXPECT_EQ(p.At(), 4u);
  ASSERT_TRUE(p.Seek(1));  // never backwards
  EXPECT_EQ(p.At(), 4u);
  ASSERT_TRUE(p.Next());
  EXPECT_EQ(p.At(), 6u);
  EXPECT_FALSE(p.Seek(9));
  EXPECT_FALSE(p.Next());
}

TEST(Postings, Intersect) {
  auto p = Intersect(Vec(L({1, 2, 3, 5, 8, 13}), L({2, 3, 5, 7, 11, 13}), L({0, 3, 5, 13, 20})));
  EXPECT_THAT(ExpandPostings(p.get()), ElementsAre(3, 5, 13));
  auto none = Intersect(Vec(L({1, 3}), L({2, 4})));
  EXPECT_THAT(ExpandPostings(none.get()), IsEmpty());
  auto with_empty = Intersect(Vec(L({1, 3}), L({})));
  EXPECT_THAT(ExpandPostings(with_empty.get()), IsEmpty());
  auto zero = Intersect({});
  EXPECT_THAT(ExpandPostings(zero.get()), IsEmpty());
}

TEST(Postings, IntersectSeek) {
  auto p = Intersect(Vec(L({1, 4, 6, 9, 12}), L({1, 2, 4, 6, 9, 12})));
  ASSERT_TRUE(p->Seek(5));
  EXPECT_EQ(p->At(), 6u);
  ASSERT_TRUE(p->Seek(2));
  EXPECT_EQ(p->At(), 6u);
  ASSERT_TRUE(p->Next());
  EXPECT_EQ(p->At(), 9u);
  EXPECT_FALSE(p->Seek(13));
  EXPECT_FALSE(p->Seek(1));
}

TEST(Postings, Merge) {
  auto p = Merge(Vec(L({1, 5, 9}), L({2, 5, 10}), L({}), L({0, 9, 11})));
  EXPECT_THAT(ExpandPostings(p.get()), ElementsAre(0, 1, 2, 5, 9, 10, 11));
}

TEST(Postings, MergeSeek) {
  auto p = Merge(Vec(L({1, 5, 9}), L({2, 6, 10})));
  ASSERT_TRUE(p->Seek(6));
  EXPECT_EQ(p->At(), 6u);
  ASSERT_TRUE(p->Next());
  EXPECT_EQ(p->At(), 9u);
  ASSERT_TRUE(p->Seek(3));
  EXPECT_EQ(p->At(), 9u);
  ASSERT_TRUE(p->Next());
  EXPECT_EQ(p->At(), 10u);
  EXPECT_FALSE(p->Next());
}

TEST(Postings, Without) {
  auto p = Without(L({1, 2, 3, 4, 5, 6}), L({2, 3, 6, 7}));
  EXPECT_THAT(ExpandPostings(p.get()), ElementsAre(1, 4, 5));
  auto all_gone = Without(L({1, 2}), L({1, 2}));
  EXPECT_THAT(ExpandPostings(all_gone.get()), IsEmpty());
  auto nothing_dropped = Without(L({1, 2}), L({}));
  EXPECT_THAT(ExpandPostings(nothing_dropped.get()), ElementsAre(1, 2));
}

TEST(Postings, WithoutSeek) {
  auto p = Without(L({1, 2, 3, 4, 5, 6}), L({4, 5}));
  ASSERT_TRUE(p->Seek(4));
  EXPECT_EQ(p->At(), 6u);
}

TEST(Postings, NestedCombinators) {
  auto p = Without(Intersect(Vec(Merge(Vec(L({1, 3}), L({2, 4, 6}))), L({1, 2, 3, 4, 5}))), L({3}));
  EXPECT_THAT(ExpandPostings(p.get()), ElementsAre(1, 2, 4));
}

TEST(MemPostings, AddGetNamesValues) {
  MemPostings mp;
  mp.Add(3, Labels{{"__name__", "up"}, {"job", "b"}});
  mp.Add(1, Labels{{"__name__", "up"}, {"job", "a"}});
  mp.Add(2, Labels{{"__name__", "down"}, {"job", "a"}, {"zone", "z"}});
  EXPECT_THAT(mp.All(), ElementsAre(1, 2, 3));
  EXPECT_THAT(mp.Get("__name__", {"up"}), ElementsAre(1, 3));
  EXPECT_THAT(mp.Get("job", {"a", "b"}), ElementsAre(1, 2, 3));
  EXPECT_THAT(mp.Get("job", {"nope"}), IsEmpty());
  EXPECT_THAT(mp.Get("nope", {"a"}), IsEmpty());
  EXPECT_THAT(mp.LabelNames(), ElementsAre("__name__", "job", "zone"));
  EXPECT_THAT(mp.LabelValues("job"), ElementsAre("a", "b"));
  EXPECT_THAT(mp.LabelValues("nope"), IsEmpty());
}

TEST(MemPostings, DeleteRemovesRefsAndEmptyKeys) {
  MemPostings mp;
  const std::string* kept[6];
  mp.AddInterned(1, Labels{{"__name__", "up"}, {"job", "a"}, {"zone", "z"}}, kept);
  mp.Add(2, Labels{{"__name__", "up"}, {"job", "b"}});
  mp.Add(3, Labels{{"__name__", "down"}, {"job", "b"}, {"only3", "x"}});
  const std::vector<MemPostings::LabelPair> affected = {
      {"__name__", "down"}, {"__name__", "up"}, {"job", "b"}, {"only3", "x"}};
  mp.Delete({2, 3}, affected);
  EXPECT_THAT(mp.All(), ElementsAre(1));
  EXPECT_THAT(mp.Get("__name__", {"up", "down"}), ElementsAre(1));
  EXPECT_THAT(mp.LabelValues("__name__"), ElementsAre("up"));
  EXPECT_THAT(mp.LabelValues("job"), ElementsAre("a"));
  EXPECT_THAT(mp.LabelNames(), ElementsAre("__name__", "job", "zone"));
  // The surviving series' interned strings are untouched.
  EXPECT_EQ(*kept[1], "up");
  EXPECT_EQ(*kept[3], "a");
  const std::vector<MemPostings::LabelPair> none = {{"job", "a"}};
  mp.Delete({}, none);  // nothing to delete
  EXPECT_THAT(mp.All(), ElementsAre(1));
}

TEST(MemPostings, Stats) {
  MemPostings mp;
  mp.Add(1, Labels{{"__name__", "up"}, {"job", "a"}});
  mp.Add(2, Labels{{"__name__", "up"}, {"job", "bb"}});
  mp.Add(3, Labels{{"__name__", "down"}, {"job", "bb"}});
  PostingsStats st = mp.Stats("__name__", 1);
  EXPECT_EQ(st.num_label_pairs, 4u);  // up, down, a, bb
  ASSERT_EQ(st.series_count_by_metric_name.size(), 1u);
  EXPECT_EQ(st.series_count_by_metric_name[0].name, "up");
  EXPECT_EQ(st.series_count_by_metric_name[0].count, 2u);
  ASSERT_EQ(st.series_count_by_label_value_pair.size(), 1u);
  EXPECT_EQ(st.series_count_by_label_value_pair[0].name, "__name__=up");  // ties broken by name
  PostingsStats all = mp.Stats("__name__", 10);
  ASSERT_EQ(all.memory_in_bytes_by_label_name.size(), 2u);
  EXPECT_EQ(all.memory_in_bytes_by_label_name[0].name, "__name__");  // 2*2 + 4*1 = 8
  EXPECT_EQ(all.memory_in_bytes_by_label_name[0].count, 8u);
  EXPECT_EQ(all.memory_in_bytes_by_label_name[1].count, 5u);  // 1*1 + 2*2
  ASSERT_EQ(all.label_value_count_by_label_name.size(), 2u);
  EXPECT_EQ(all.label_value_count_by_label_name[0].count, 2u);
}

}  // namespace
}  // namespace promethium::tsdb

namespace promethium::tsdb {
namespace {

std::vector<SeriesRef> RandomSorted(std::mt19937* rng, int max_len, SeriesRef universe) {
  std::set<SeriesRef> s;
  const int len = static_cast<int>((*rng)() % static_cast<unsigned>(max_len + 1));
  for (int i = 0; i < len; ++i) s.insert((*rng)() % universe);
  return {s.begin(), s.end()};
}

TEST(Postings, RandomizedAgainstStdSetAlgorithms) {
  std::mt19937 rng(123);
  for (int round = 0; round < 300; ++round) {
    const int k = 1 + static_cast<int>(rng() % 4);
    std::vector<std::vector<SeriesRef>> lists;
    for (int i = 0; i < k; ++i) lists.push_back(RandomSorted(&rng, 40, 60));
    std::vector<SeriesRef> drop = RandomSorted(&rng, 20, 60);

    std::vector<SeriesRef> want_and = lists[0], want_or = lists[0];
    for (int i = 1; i < k; ++i) {
      std::vector<SeriesRef> a, o;
      std::set_intersection(want_and.begin(), want_and.end(), lists[i].begin(), lists[i].end(), std::back_inserter(a));
      std::set_union(want_or.begin(), want_or.end(), lists[i].begin(), lists[i].end(), std::back_inserter(o));
      want_and = a;
      want_or = o;
    }
    std::vector<SeriesRef> want_without;
    std::set_difference(want_or.begin(), want_or.end(), drop.begin(), drop.end(), std::back_inserter(want_without));

    std::vector<std::unique_ptr<Postings>> its_and, its_or;
    for (const auto& l : lists) {
      its_and.push_back(L(l));
      its_or.push_back(L(l));
    }
    auto p_and = Intersect(std::move(its_and));
    ASSERT_EQ(ExpandPostings(p_and.get()), want_and) << "round " << round;
    auto p_without = Without(Merge(std::move(its_or)), L(drop));
    ASSERT_EQ(ExpandPostings(p_without.get()), want_without) << "round " << round;

    // Seek to a random target lands on the first element >= target.
    std::vector<std::unique_ptr<Postings>> its_seek;
    for (const auto& l : lists) its_seek.push_back(L(l));
    auto p_seek = Merge(std::move(its_seek));
    const SeriesRef target = rng() % 60;
    auto want_it = std::lower_bound(want_or.begin(), want_or.end(), target);
    ASSERT_EQ(p_seek->Seek(target), want_it != want_or.end());
    if (want_it != want_or.end()) {
      ASSERT_EQ(p_seek->At(), *want_it);
    }
  }
}

TEST(MemPostings, AddInternedSharesOneCopyPerString) {
  MemPostings p;
  const std::string* a[4];
  const std::string* b[4];
  p.AddInterned(1, Labels{{"__name__", "up"}, {"job", "node"}}, a);
  p.AddInterned(2, Labels{{"__name__", "up"}, {"job", "api"}}, b);
  EXPECT_EQ(*a[0], "__name__");
  EXPECT_EQ(*a[1], "up");
  EXPECT_EQ(*a[2], "job");
  EXPECT_EQ(*a[3], "node");
  EXPECT_EQ(*b[3], "api");
  // Same strings resolve to the same stored copy; the pointers stay valid
  // as more series are indexed.
  EXPECT_EQ(a[0], b[0]);
  EXPECT_EQ(a[1], b[1]);
  EXPECT_EQ(a[2], b[2]);
  EXPECT_NE(a[3], b[3]);
  for (int i = 0; i < 1000; ++i) {
    p.Add(100 + static_cast<SeriesRef>(i), Labels{{"__name__", "m"}, {"id", std::to_string(i)}, {"job", "node"}});
  }
  EXPECT_EQ(*a[1], "up");
  EXPECT_EQ(*a[3], "node");
  EXPECT_THAT(p.Get("job", {"node"}), ::testing::SizeIs(1001));
}

}  // namespace
}  // namespace promethium::tsdb
