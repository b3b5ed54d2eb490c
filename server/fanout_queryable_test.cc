#include "server/fanout_queryable.h"

#include <gtest/gtest.h>

#include "remote/read/remote_querier.h"
#include "tsdb/api/memory_storage.h"

namespace promethium::server {
namespace {

class FakeReader final : public remote::RemoteReader {
 public:
  Result<remote::SeriesList> Read(const remote::ReadQuery& /*query*/) override {
    ++reads;
    if (!fail.ok()) return fail;
    return answer;
  }
  int reads = 0;
  remote::SeriesList answer;
  Status fail;
};

std::shared_ptr<Queryable> Remote(std::shared_ptr<FakeReader> reader) {
  remote::RemoteQueryOptions opts;
  opts.read_recent = true;
  return std::make_shared<remote::RemoteQueryable>(std::move(reader), opts,
                                                   []() -> Result<int64_t> { return int64_t{0}; });
}

struct Got {
  std::vector<std::pair<Labels, std::vector<std::pair<int64_t, double>>>> series;
  std::vector<std::string> warnings;
  Status err;
};

Got SelectAll(Queryable* q, const std::string& metric) {
  Got out;
  auto querier = q->NewQuerier(0, 1'000'000).value();
  auto set = querier->Select(true, nullptr, {Matcher::Make(MatchType::kEqual, "__name__", metric).value()});
  while (set->Next()) {
    std::vector<std::pair<int64_t, double>> samples;
    auto it = set->At().Iterator(nullptr);
    while (it->Next() != ValueType::kNone) samples.emplace_back(it->At().t, it->At().v);
    out.series.emplace_back(set->At().labels(), std::move(samples));
  }
  out.err = set->Err();
  out.warnings = set->Warnings();
  return out;
}

TEST(FanoutQueryable, MergesLocalAndRemoteAndChainsSamplesOfTheSameSeries) {
  MemoryStorage local;
  local.Add(Labels{{"__name__", "m"}, {"job", "both"}}, 3000, 30);
  local.Add(Labels{{"__name__", "m"}, {"job", "both"}}, 4000, 40);
  local.Add(Labels{{"__name__", "m"}, {"job", "local"}}, 1000, 1);
  auto reader = std::make_shared<FakeReader>();
  reader->answer.push_back({Labels{{"__name__", "m"}, {"job", "both"}}, {{1000, 10}, {2000, 20}, {3000, 99}}, {}});
  reader->answer.push_back({Labels{{"__name__", "m"}, {"job", "remote"}}, {{5000, 5}}, {}});
  FanoutQueryable fanout(&local);
  fanout.SetRemotes({Remote(reader)});

  Got got = SelectAll(&fanout, "m");
  ASSERT_TRUE(got.err.ok()) << got.err.ToString();
  ASSERT_EQ(got.series.size(), 3u);
  EXPECT_EQ(got.series[0].first, (Labels{{"__name__", "m"}, {"job", "both"}}));
  // The union by timestamp; the local sample wins the tie at 3000.
  EXPECT_EQ(got.series[0].second,
            (std::vector<std::pair<int64_t, double>>{{1000, 10}, {2000, 20}, {3000, 30}, {4000, 40}}));
  EXPECT_EQ(got.series[1].first, (Labels{{"__name__", "m"}, {"job", "local"}}));
  EXPECT_EQ(got.series[2].first, (Labels{{"__name__", "m"}, {"job", "remote"}}));

  auto querier = fanout.NewQuerier(0, 1'000'000).value();
  EXPECT_EQ(querier->LabelValues("job", {}).value(), (std::vector<std::string>{"both", "local", "remote"}));
}

TEST(FanoutQueryable, ARemoteFailureIsAWarningAndLocalDataStays) {
  MemoryStorage local;
  local.Add(Labels{{"__name__", "m"}, {"job", "local"}}, 1000, 1);
  auto reader = std::make_shared<FakeReader>();
  reader->fail = Status::IOError("error sending request: Post \"http://r/read\": Connection refused");
  FanoutQueryable fanout(&local);
  fanout.SetRemotes({Remote(reader)});
  Got got = SelectAll(&fanout, "m");
  EXPECT_TRUE(got.err.ok());
  ASSERT_EQ(got.series.size(), 1u);
  EXPECT_EQ(got.warnings,
            std::vector<std::string>{"remote_read: error sending request: Post \"http://r/read\": Connection refused"});
}

TEST(FanoutQueryable, ReloadReplacesTheRemotes) {
  MemoryStorage local;
  auto first = std::make_shared<FakeReader>();
  auto second = std::make_shared<FakeReader>();
  FanoutQueryable fanout(&local);
  fanout.SetRemotes({Remote(first)});
  SelectAll(&fanout, "m");
  fanout.SetRemotes({Remote(second)});
  SelectAll(&fanout, "m");
  EXPECT_EQ(first->reads, 1);
  EXPECT_EQ(second->reads, 1);
  fanout.SetRemotes({});
  SelectAll(&fanout, "m");
  EXPECT_EQ(second->reads, 1);
}

}  // namespace
}  // namespace promethium::server
