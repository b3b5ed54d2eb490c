#include "remote/read/remote_querier.h"

#include <gtest/gtest.h>

namespace promethium::remote {
namespace {

// Records the queries it gets and answers with fixed series (or an error).
class FakeReader final : public RemoteReader {
 public:
  Result<SeriesList> Read(const ReadQuery& query) override {
    queries.push_back(query);
    if (!fail.ok()) return fail;
    return answer;
  }
  std::vector<ReadQuery> queries;
  SeriesList answer;
  Status fail;
};

Matcher Eq(const std::string& n, const std::string& v) { return Matcher::Make(MatchType::kEqual, n, v).value(); }

std::vector<Labels> Drain(SeriesSet* set) {
  std::vector<Labels> out;
  while (set->Next()) out.push_back(set->At().labels());
  return out;
}

std::string MatchersText(const ReadQuery& q) {
  std::string out;
  for (const Matcher& m : q.matchers) out += m.name() + "=" + m.value() + ";";
  return out;
}

LocalStartTimeFn StartsAt(int64_t t) {
  return [t]() -> Result<int64_t> { return t; };
}

TEST(RemoteQuerier, RequiredMatchersGateTheRemote) {
  auto reader = std::make_shared<FakeReader>();
  reader->answer.push_back({Labels{{"__name__", "m"}, {"env", "prod"}}, {{1, 1}}, {}});
  RemoteQueryOptions opts;
  opts.required_matchers = Labels{{"env", "prod"}};
  opts.read_recent = true;
  RemoteQueryable q(reader, opts, StartsAt(0));
  auto querier = q.NewQuerier(0, 100).value();
  EXPECT_TRUE(Drain(querier->Select(true, nullptr, {Eq("__name__", "m")}).get()).empty());
  EXPECT_TRUE(Drain(querier
                        ->Select(true, nullptr,
                                 {Eq("__name__", "m"), Matcher::Make(MatchType::kRegexMatch, "env", "prod").value()})
                        .get())
                  .empty());
  EXPECT_TRUE(reader->queries.empty());
  EXPECT_EQ(Drain(querier->Select(true, nullptr, {Eq("__name__", "m"), Eq("env", "prod")}).get()).size(), 1u);
  EXPECT_EQ(reader->queries.size(), 1u);
}

TEST(RemoteQuerier, ExternalLabelsBecomeMatchersAndAreStripped) {
  auto reader = std::make_shared<FakeReader>();
  // Stripping "region" reorders these two series.
  reader->answer.push_back({Labels{{"__name__", "m"}, {"a", "2"}, {"region", "eu"}}, {{1, 1}}, {}});
  reader->answer.push_back({Labels{{"__name__", "m"}, {"b", "1"}, {"region", "eu"}}, {{1, 2}}, {}});
  RemoteQueryOptions opts;
  opts.external_labels = Labels{{"region", "eu"}, {"zone", "z1"}};
  opts.read_recent = true;
  RemoteQueryable q(reader, opts, StartsAt(0));
  auto querier = q.NewQuerier(0, 100).value();
  // The selector constrains zone itself: only region is added (and stripped).
  std::vector<Labels> got = Drain(querier->Select(true, nullptr, {Eq("__name__", "m"), Eq("zone", "z9")}).get());
  ASSERT_EQ(reader->queries.size(), 1u);
  EXPECT_EQ(MatchersText(reader->queries[0]), "__name__=m;zone=z9;region=eu;");
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], (Labels{{"__name__", "m"}, {"a", "2"}}));
  EXPECT_EQ(got[1], (Labels{{"__name__", "m"}, {"b", "1"}}));
}

TEST(RemoteQuerier, ReadRecentFalseLeavesRecentDataToLocalStorage) {
  auto reader = std::make_shared<FakeReader>();
  RemoteQueryOptions opts;  // read_recent false
  RemoteQueryable q(reader, opts, StartsAt(1000));
  // Entirely after the local start: the remote is not asked.
  Drain(q.NewQuerier(1001, 5000).value()->Select(true, nullptr, {Eq("__name__", "m")}).get());
  EXPECT_TRUE(reader->queries.empty());
  // Straddling it: asked only up to the local start.
  Drain(q.NewQuerier(500, 5000).value()->Select(true, nullptr, {Eq("__name__", "m")}).get());
  ASSERT_EQ(reader->queries.size(), 1u);
  EXPECT_EQ(reader->queries[0].start_ms, 500);
  EXPECT_EQ(reader->queries[0].end_ms, 1000);

  opts.read_recent = true;
  RemoteQueryable recent(reader, opts, StartsAt(1000));
  Drain(recent.NewQuerier(1001, 5000).value()->Select(true, nullptr, {Eq("__name__", "m")}).get());
  ASSERT_EQ(reader->queries.size(), 2u);
  EXPECT_EQ(reader->queries[1].end_ms, 5000);

  RemoteQueryable unknown(reader, RemoteQueryOptions{},
                          []() -> Result<int64_t> { return Status::FailedPrecondition("TSDB not ready"); });
  EXPECT_FALSE(unknown.NewQuerier(0, 1).ok());
}

TEST(RemoteQuerier, ErrorsFailTheSetOrBecomeWarningsWhenSecondary) {
  auto reader = std::make_shared<FakeReader>();
  reader->fail = Status::IOError("remote server http://x/read returned http status 500: boom");
  RemoteQueryOptions opts;
  opts.read_recent = true;
  RemoteQueryable q(reader, opts, StartsAt(0));
  auto set = q.NewQuerier(0, 100).value()->Select(true, nullptr, {Eq("__name__", "m")});
  EXPECT_FALSE(set->Next());
  EXPECT_EQ(set->Err().message(), "remote_read: remote server http://x/read returned http status 500: boom");

  auto secondary = NewSecondaryQuerier(q.NewQuerier(0, 100).value());
  auto soft = secondary->Select(true, nullptr, {Eq("__name__", "m")});
  EXPECT_FALSE(soft->Next());
  EXPECT_TRUE(soft->Err().ok());
  EXPECT_EQ(soft->Warnings(),
            std::vector<std::string>{"remote_read: remote server http://x/read returned http status 500: boom"});
  Result<std::vector<std::string>> names = secondary->LabelNames({});
  ASSERT_TRUE(names.ok());
  EXPECT_TRUE(names->empty());
}

TEST(RemoteQuerier, LabelQueriesComeFromASelect) {
  auto reader = std::make_shared<FakeReader>();
  reader->answer.push_back({Labels{{"__name__", "a"}, {"job", "x"}}, {{1, 1}}, {}});
  reader->answer.push_back({Labels{{"__name__", "b"}, {"instance", "i"}, {"job", "y"}}, {{1, 1}}, {}});
  RemoteQueryOptions opts;
  opts.read_recent = true;
  RemoteQueryable q(reader, opts, StartsAt(0));
  auto querier = q.NewQuerier(0, 100).value();
  EXPECT_EQ(querier->LabelNames({}).value(), (std::vector<std::string>{"__name__", "instance", "job"}));
  EXPECT_EQ(MatchersText(reader->queries.back()), "__name__=.+;");
  EXPECT_EQ(reader->queries.back().hints.func, "series");
  EXPECT_EQ(reader->queries.back().hints.start, 0);
  EXPECT_EQ(reader->queries.back().hints.end, 100);
  EXPECT_EQ(querier->LabelValues("job", {Eq("job", "x")}).value(), (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(MatchersText(reader->queries.back()), "job=x;");
}

TEST(RemoteQuerier, SeriesIterateFloatsAndHistogramsInTimeOrder) {
  auto reader = std::make_shared<FakeReader>();
  RemoteSeries series;
  series.labels = Labels{{"__name__", "m"}};
  series.samples = {{1000, 1}, {4000, 4}};
  RemoteHistogram ih;
  ih.t = 2000;
  ih.h.count = 3;
  ih.h.positive_spans = {{0, 1}};
  ih.h.positive_buckets = {3};
  RemoteHistogram fh;
  fh.t = 3000;
  fh.is_float = true;
  fh.fh.count = 2.5;
  series.histograms = {ih, fh};
  reader->answer.push_back(series);
  RemoteQueryOptions opts;
  opts.read_recent = true;
  RemoteQueryable q(reader, opts, StartsAt(0));
  auto querier = q.NewQuerier(0, 10000).value();
  auto set = querier->Select(true, nullptr, {Eq("__name__", "m")});
  ASSERT_TRUE(set->Next());
  auto it = set->At().Iterator(nullptr);
  EXPECT_EQ(it->Next(), ValueType::kFloat);
  EXPECT_EQ(it->At().t, 1000);
  EXPECT_EQ(it->Next(), ValueType::kHistogram);
  Histogram h;
  EXPECT_EQ(it->AtHistogram(&h), 2000);
  EXPECT_EQ(h.count, 3u);
  EXPECT_EQ(h.positive_buckets, (std::vector<int64_t>{3}));
  EXPECT_EQ(it->Next(), ValueType::kFloatHistogram);
  FloatHistogram f;
  EXPECT_EQ(it->AtFloatHistogram(&f), 3000);
  EXPECT_EQ(f.count, 2.5);
  EXPECT_EQ(it->AtT(), 3000);
  EXPECT_EQ(it->Next(), ValueType::kFloat);
  EXPECT_EQ(it->At().v, 4);
  EXPECT_EQ(it->Next(), ValueType::kNone);
  EXPECT_EQ(it->Next(), ValueType::kNone);

  auto again = set->At().Iterator(nullptr);
  EXPECT_EQ(again->Seek(2500), ValueType::kFloatHistogram);
  EXPECT_EQ(again->Seek(1000), ValueType::kFloatHistogram);  // never moves back
  EXPECT_EQ(again->Seek(3500), ValueType::kFloat);
  EXPECT_EQ(again->Seek(4001), ValueType::kNone);
}

}  // namespace
}  // namespace promethium::remote
