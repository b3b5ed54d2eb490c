#include "tsdb/index/postings_for_matchers.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>

#include "tsdb/index/mem_postings.h"

namespace promethium::tsdb {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// A minimal IndexReader over MemPostings plus a ref -> labels map.
class FakeIndex final : public IndexReader {
 public:
  void Add(SeriesRef ref, Labels l) {
    postings_.Add(ref, l);
    series_[ref] = std::move(l);
  }
  std::unique_ptr<Postings> AllPostings() override { return std::make_unique<ListPostings>(postings_.All()); }
  std::unique_ptr<Postings> PostingsFor(std::string_view name, const std::vector<std::string>& values) override {
    return std::make_unique<ListPostings>(postings_.Get(name, values));
  }
  std::vector<std::string> LabelValues(std::string_view name) override { return postings_.LabelValues(name); }
  std::vector<std::string> LabelNames() override { return postings_.LabelNames(); }
  Status Series(SeriesRef ref, Labels* labels, std::vector<ChunkMeta>*) override {
    auto it = series_.find(ref);
    if (it == series_.end()) return Status::NotFound("series");
    *labels = it->second;
    return Status::OK();
  }
  void TimeRange(int64_t* min_time, int64_t* max_time) override {
    *min_time = kMinTime;
    *max_time = kMaxTime;
  }

 private:
  MemPostings postings_;
  std::map<SeriesRef, Labels> series_;
};

class PostingsForMatchersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ix_.Add(1, Labels{{"__name__", "up"}, {"job", "api"}, {"instance", "a:1"}});
    ix_.Add(2, Labels{{"__name__", "up"}, {"job", "db"}, {"instance", "b:1"}});
    ix_.Add(3, Labels{{"__name__", "up"}, {"instance", "c:1"}});  // no job
    ix_.Add(4, Labels{{"__name__", "http_requests"}, {"job", "api"}, {"code", "200"}});
    ix_.Add(5, Labels{{"__name__", "http_requests"}, {"job", "api"}, {"code", "500"}});
  }

  std::vector<SeriesRef> Select(std::vector<std::tuple<MatchType, std::string, std::string>> specs) {
    Matchers ms;
    for (auto& [type, name, value] : specs) {
      auto m = Matcher::Make(type, name, value);
      EXPECT_TRUE(m.ok()) << m.status().ToString();
      ms.push_back(*m);
    }
    auto p = PostingsForMatchers(&ix_, ms);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    if (!p.ok()) return {};
    return ExpandPostings(p->get());
  }

  Status SelectStatus(std::vector<std::tuple<MatchType, std::string, std::string>> specs) {
    Matchers ms;
    for (auto& [type, name, value] : specs) ms.push_back(*Matcher::Make(type, name, value));
    auto p = PostingsForMatchers(&ix_, ms);
    return p.ok() ? Status::OK() : p.status();
  }

  FakeIndex ix_;
};

constexpr MatchType kEq = MatchType::kEqual;
constexpr MatchType kNeq = MatchType::kNotEqual;
constexpr MatchType kRe = MatchType::kRegexMatch;
constexpr MatchType kNre = MatchType::kRegexNoMatch;

TEST_F(PostingsForMatchersTest, Equal) {
  EXPECT_THAT(Select({{kEq, "__name__", "up"}}), ElementsAre(1, 2, 3));
  EXPECT_THAT(Select({{kEq, "__name__", "up"}, {kEq, "job", "api"}}), ElementsAre(1));
  EXPECT_THAT(Select({{kEq, "__name__", "nope"}}), IsEmpty());
}

TEST_F(PostingsForMatchersTest, EqualEmptySelectsSeriesWithoutLabel) {
  EXPECT_THAT(Select({{kEq, "__name__", "up"}, {kEq, "job", ""}}), ElementsAre(3));
  EXPECT_THAT(Select({{kEq, "__name__", "up"}, {kEq, "missing", ""}}), ElementsAre(1, 2, 3));
}

TEST_F(PostingsForMatchersTest, NotEqual) {
  // Series without job also satisfy job!="api".
  EXPECT_THAT(Select({{kEq, "__name__", "up"}, {kNeq, "job", "api"}}), ElementsAre(2, 3));
  EXPECT_THAT(Select({{kEq, "__name__", "up"}, {kNeq, "job", ""}}), ElementsAre(1, 2));
  EXPECT_THAT(Select({{kNeq, "job", ""}}), ElementsAre(1, 2, 4, 5));
}

TEST_F(PostingsForMatchersTest, RegexMatch) {
  EXPECT_THAT(Select({{kRe, "job", "a.*"}}), ElementsAre(1, 4, 5));
  EXPECT_THAT(Select({{kRe, "__name__", "u."}}), ElementsAre(1, 2, 3));
  // Anchored: "p" alone does not match "up".
  EXPECT_THAT(Select({{kRe, "__name__", "p"}}), IsEmpty());
  EXPECT_THAT(Select({{kRe, "code", "5.."}}), ElementsAre(5));
}

TEST_F(PostingsForMatchersTest, RegexSetMatchesLookup) {
  EXPECT_THAT(Select({{kRe, "job", "api|db"}}), ElementsAre(1, 2, 4, 5));
  EXPECT_THAT(Select({{kRe, "instance", "a:1|c:1|zz"}}), ElementsAre(1, 3));
}

TEST_F(PostingsForMatchersTest, RegexMatchingEmpty) {
  // job=~"db|" selects job="db" and series without job.
  EXPECT_THAT(Select({{kEq, "__name__", "up"}, {kRe, "job", "db|"}}), ElementsAre(2, 3));
  EXPECT_THAT(Select({{kEq, "__name__", "up"}, {kRe, "job", ".*"}}), ElementsAre(1, 2, 3));
  // With another matcher forcing job to be set, "|db" no longer adds 3.
  EXPECT_THAT(Select({{kRe, "job", ".+"}, {kRe, "job", "db|"}}), ElementsAre(2));
}

TEST_F(PostingsForMatchersTest, RegexNoMatch) {
  EXPECT_THAT(Select({{kEq, "__name__", "up"}, {kNre, "job", "a.*"}}), ElementsAre(2, 3));
  EXPECT_THAT(Select({{kEq, "__name__", "up"}, {kNre, "job", ".+"}}), ElementsAre(3));
  // !~".*" matches nothing, not even the empty string: selects no series.
  EXPECT_THAT(Select({{kEq, "__name__", "up"}, {kNre, "job", ".*"}}), IsEmpty());
  EXPECT_THAT(Select({{kNre, "job", ""}}), ElementsAre(1, 2, 4, 5));
}

TEST_F(PostingsForMatchersTest, Combinations) {
  EXPECT_THAT(Select({{kEq, "__name__", "http_requests"}, {kEq, "job", "api"}, {kNeq, "code", "200"}}), ElementsAre(5));
  EXPECT_THAT(Select({{kRe, "__name__", "up|http_requests"}, {kNre, "code", "5.."}, {kNeq, "instance", "b:1"}}),
              ElementsAre(1, 3, 4));
  EXPECT_THAT(Select({{kEq, "job", "api"}, {kEq, "job", "db"}}), IsEmpty());
}

TEST_F(PostingsForMatchersTest, RequiresOneNonEmptyMatcher) {
  Status s = SelectStatus({{kEq, "job", ""}});
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(s.message(), kErrNoNonEmptyMatcher);
  EXPECT_EQ(SelectStatus({{kRe, "job", ".*"}, {kNeq, "job", "x"}}).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(SelectStatus({}).code(), Status::Code::kInvalidArgument);
}

TEST_F(PostingsForMatchersTest, LabelValuesAndNames) {
  auto all = LabelValuesForMatchers(&ix_, "job", {});
  ASSERT_TRUE(all.ok());
  EXPECT_THAT(*all, ElementsAre("api", "db"));
  auto up_jobs = LabelValuesForMatchers(&ix_, "job", {*Matcher::Make(kEq, "__name__", "up")});
  ASSERT_TRUE(up_jobs.ok());
  EXPECT_THAT(*up_jobs, ElementsAre("api", "db"));
  auto codes = LabelValuesForMatchers(&ix_, "code", {*Matcher::Make(kEq, "__name__", "up")});
  ASSERT_TRUE(codes.ok());
  EXPECT_THAT(*codes, IsEmpty());
  auto names = LabelNamesForMatchers(&ix_, {});
  ASSERT_TRUE(names.ok());
  EXPECT_THAT(*names, ElementsAre("__name__", "code", "instance", "job"));
  auto http_names = LabelNamesForMatchers(&ix_, {*Matcher::Make(kEq, "__name__", "http_requests")});
  ASSERT_TRUE(http_names.ok());
  EXPECT_THAT(*http_names, ElementsAre("__name__", "code", "job"));
  EXPECT_FALSE(LabelNamesForMatchers(&ix_, {*Matcher::Make(kEq, "job", "")}).ok());
}

}  // namespace
}  // namespace promethium::tsdb

namespace promethium::tsdb {
namespace {

// Property: PostingsForMatchers selects exactly the series for which every
// matcher matches the series' value of its label ("" when absent), which is
// Prometheus's definition, for random series and random matcher sets.
TEST(PostingsForMatchersProperty, MatchesBruteForce) {
  std::mt19937 rng(99);
  const std::vector<std::string> names = {"a", "b", "c"};
  const std::vector<std::string> values = {"x", "y", "xy", "z1"};
  FakeIndex ix;
  std::map<SeriesRef, Labels> all;
  for (SeriesRef ref = 1; ref <= 60; ++ref) {
    LabelsBuilder b;
    for (const std::string& n : names) {
      if (rng() % 3 != 0) b.Set(n, values[rng() % values.size()]);
    }
    Labels l = b.Build();
    if (l.empty()) l = Labels{{"a", "x"}};
    ix.Add(ref, l);
    all[ref] = l;
  }
  const std::vector<std::string> patterns = {"x", "", "x.*", ".*", ".+", "x|y", "xy|", "z.", "y|z1"};
  const MatchType types[] = {MatchType::kEqual, MatchType::kNotEqual, MatchType::kRegexMatch, MatchType::kRegexNoMatch};
  int checked = 0;
  for (int round = 0; round < 400; ++round) {
    Matchers ms;
    const int k = 1 + static_cast<int>(rng() % 3);
    for (int i = 0; i < k; ++i) {
      ms.push_back(*Matcher::Make(types[rng() % 4], names[rng() % names.size()], patterns[rng() % patterns.size()]));
    }
    auto p = PostingsForMatchers(&ix, ms);
    const bool selective = std::any_of(ms.begin(), ms.end(), [](const Matcher& m) { return !m.MatchesEmpty(); });
    ASSERT_EQ(p.ok(), selective);
    if (!p.ok()) continue;
    std::vector<SeriesRef> want;
    for (const auto& entry : all) {  // not a structured binding: clang 14 cannot capture one in a lambda
      const auto& labels = entry.second;
      if (std::all_of(ms.begin(), ms.end(), [&](const Matcher& m) { return m.Matches(labels.Get(m.name())); })) {
        want.push_back(entry.first);
      }
    }
    std::string desc;
    for (const Matcher& m : ms) desc += m.ToString() + " ";
    ASSERT_EQ(ExpandPostings(p->get()), want) << desc;
    ++checked;
  }
  EXPECT_GT(checked, 100);
}

}  // namespace
}  // namespace promethium::tsdb
