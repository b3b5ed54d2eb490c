#include "tsdb/querier/merge_querier.h"

#include <gtest/gtest.h>

#include <map>

#include "tsdb/api/series_list.h"

namespace promethium::tsdb {
namespace {

Labels L(const std::string& name, const std::string& job) {
  return Labels::FromVector({{"__name__", name}, {"job", job}});
}

// A querier over fixed series that matches on __name__ only (enough here).
class FakeQuerier final : public Querier {
 public:
  FakeQuerier(std::vector<std::pair<Labels, std::vector<Sample>>> series, Status err = Status::OK())
      : series_(std::move(series)), err_(std::move(err)) {}
  std::unique_ptr<SeriesSet> Select(bool sorted, const SelectHints*, const Matchers& matchers) override {
    sorted_requests += sorted ? 1 : 0;
    std::vector<std::unique_ptr<ListSeries>> out;
    auto copy = series_;
    std::sort(copy.begin(), copy.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [ls, samples] : copy) {
      bool ok = true;
      for (const auto& m : matchers) ok = ok && m.Matches(ls.Get(m.name()));
      if (ok) out.push_back(std::make_unique<ListSeries>(ls, samples));
    }
    return std::make_unique<ListSeriesSet>(std::move(out), err_);
  }
  Result<std::vector<std::string>> LabelValues(std::string_view name, const Matchers&) override {
    std::vector<std::string> v;
    for (auto& [ls, s] : series_) v.push_back(std::string(ls.Get(name)));
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    return v;
  }
  Result<std::vector<std::string>> LabelNames(const Matchers&) override {
    return std::vector<std::string>{"__name__", "job"};
  }
  int sorted_requests = 0;

 private:
  std::vector<std::pair<Labels, std::vector<Sample>>> series_;
  Status err_;
};

std::map<std::string, std::vector<Sample>> Collect(SeriesSet* set) {
  std::map<std::string, std::vector<Sample>> out;
  while (set->Next()) {
    auto it = set->At().Iterator(nullptr);
    auto& samples = out[set->At().labels().ToString()];
    while (it->Next() != ValueType::kNone) samples.push_back(it->At());
    EXPECT_TRUE(it->Err().ok());
  }
  EXPECT_TRUE(set->Err().ok()) << set->Err().ToString();
  return out;
}

Matchers NameIs(const std::string& name) {
  Matchers ms;
  ms.push_back(*Matcher::Make(MatchType::kEqual, "__name__", name));
  return ms;
}

TEST(MergeQuerierTest, MergesOverlappingSeriesAndDeduplicatesTimestamps) {
  std::vector<std::unique_ptr<Querier>> qs;
  qs.push_back(std::make_unique<FakeQuerier>(std::vector<std::pair<Labels, std::vector<Sample>>>{
      {L("up", "a"), {{10, 1}, {20, 2}, {30, 3}}}, {L("up", "c"), {{10, 7}}}}));
  qs.push_back(std::make_unique<FakeQuerier>(std::vector<std::pair<Labels, std::vector<Sample>>>{
      {L("up", "a"), {{30, 99}, {40, 4}}}, {L("up", "b"), {{15, 5}}}}));
  MergeQuerier mq(std::move(qs), {});
  auto set = mq.Select(false, nullptr, NameIs("up"));
  auto got = Collect(set.get());
  ASSERT_EQ(got.size(), 3u);
  const auto& a = got[L("up", "a").ToString()];
  ASSERT_EQ(a.size(), 4u);
  EXPECT_EQ(a[2].t, 30);
  EXPECT_EQ(a[2].v, 3);  // the first querier wins on equal timestamps
  EXPECT_EQ(a[3].t, 40);
  EXPECT_EQ(got[L("up", "b").ToString()].size(), 1u);
}

TEST(MergeQuerierTest, OutputIsSortedByLabels) {
  std::vector<std::unique_ptr<Querier>> qs;
  qs.push_back(std::make_unique<FakeQuerier>(
      std::vector<std::pair<Labels, std::vector<Sample>>>{{L("up", "z"), {{1, 1}}}, {L("up", "b"), {{1, 1}}}}));
  qs.push_back(std::make_unique<FakeQuerier>(
      std::vector<std::pair<Labels, std::vector<Sample>>>{{L("up", "a"), {{1, 1}}}, {L("up", "y"), {{1, 1}}}}));
  MergeQuerier mq(std::move(qs), {});
  auto set = mq.Select(false, nullptr, NameIs("up"));
  std::vector<std::string> jobs;
  while (set->Next()) jobs.emplace_back(set->At().labels().Get("job"));
  EXPECT_EQ(jobs, (std::vector<std::string>{"a", "b", "y", "z"}));
}

TEST(MergeQuerierTest, SeekAcrossParts) {
  std::vector<std::unique_ptr<Querier>> qs;
  qs.push_back(std::make_unique<FakeQuerier>(
      std::vector<std::pair<Labels, std::vector<Sample>>>{{L("up", "a"), {{10, 1}, {20, 2}}}}));
  qs.push_back(std::make_unique<FakeQuerier>(
      std::vector<std::pair<Labels, std::vector<Sample>>>{{L("up", "a"), {{25, 3}, {35, 4}}}}));
  MergeQuerier mq(std::move(qs), {});
  auto set = mq.Select(true, nullptr, NameIs("up"));
  ASSERT_TRUE(set->Next());
  auto it = set->At().Iterator(nullptr);
  ASSERT_EQ(it->Seek(15), ValueType::kFloat);
  EXPECT_EQ(it->At().t, 20);
  ASSERT_EQ(it->Seek(21), ValueType::kFloat);
  EXPECT_EQ(it->At().t, 25);
  ASSERT_EQ(it->Seek(25), ValueType::kFloat);  // stays on a sample that qualifies
  EXPECT_EQ(it->At().t, 25);
  ASSERT_EQ(it->Next(), ValueType::kFloat);
  EXPECT_EQ(it->At().t, 35);
  EXPECT_EQ(it->Next(), ValueType::kNone);
  EXPECT_EQ(it->Seek(100), ValueType::kNone);
}

TEST(MergeQuerierTest, ErrorOfOnePartFailsTheSelect) {
  std::vector<std::unique_ptr<Querier>> qs;
  qs.push_back(
      std::make_unique<FakeQuerier>(std::vector<std::pair<Labels, std::vector<Sample>>>{{L("up", "a"), {{10, 1}}}}));
  qs.push_back(std::make_unique<FakeQuerier>(std::vector<std::pair<Labels, std::vector<Sample>>>{},
                                             Status::Corruption("corrupt: chunk")));
  MergeQuerier mq(std::move(qs), {});
  auto set = mq.Select(false, nullptr, NameIs("up"));
  while (set->Next()) {
  }
  EXPECT_EQ(set->Err().code(), Status::Code::kCorruption);
}

TEST(MergeQuerierTest, LabelValuesAreTheSortedUnion) {
  std::vector<std::unique_ptr<Querier>> qs;
  qs.push_back(std::make_unique<FakeQuerier>(
      std::vector<std::pair<Labels, std::vector<Sample>>>{{L("up", "b"), {}}, {L("up", "d"), {}}}));
  qs.push_back(std::make_unique<FakeQuerier>(
      std::vector<std::pair<Labels, std::vector<Sample>>>{{L("up", "a"), {}}, {L("up", "b"), {}}}));
  MergeQuerier mq(std::move(qs), {});
  auto values = mq.LabelValues("job", {});
  ASSERT_TRUE(values.ok());
  EXPECT_EQ(*values, (std::vector<std::string>{"a", "b", "d"}));
}

}  // namespace
}  // namespace promethium::tsdb
