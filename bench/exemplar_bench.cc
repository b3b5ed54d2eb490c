// Exemplar storage: ns per stored exemplar when every series of a scrape
// carries one (the ring full, so each add also evicts), and the cost of
// selecting one series' exemplars out of a full 100k ring by matchers.
// BM_DBCommitExemplars/<0|1|2>: DB appends + Commit of 1000 series per
// commit with the WAL on (snappy, no fsync), without (0) or with (1) an
// exemplar on every sample, and (2) with exemplars and the WAL off: the
// cost of exemplars on the commit path and the WAL's share of it; counter
// wal_bytes_per_commit is the WAL's size per commit.
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "tsdb/base/env.h"
#include "tsdb/db.h"
#include "tsdb/exemplar/circular_exemplar_storage.h"

namespace promethium::tsdb {
namespace {

std::vector<Labels> MakeSeries(int n) {
  std::vector<Labels> out;
  out.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    out.push_back(Labels{{"__name__", "http_request_duration_seconds_bucket"},
                         {"instance", "host-" + std::to_string(i % 100) + ":8080"},
                         {"job", "api"},
                         {"le", std::to_string(i / 100)}});
  }
  return out;
}

void BM_ExemplarAdd(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  CircularExemplarStorage storage(100000, nullptr);
  const std::vector<Labels> series = MakeSeries(n);
  const Labels trace{{"trace_id", "4bf92f3577b34da6a3ce929d0e0e4736"}};
  int64_t t = 0;
  for (auto _ : state) {
    t += 15000;
    for (const Labels& s : series) benchmark::DoNotOptimize(storage.Add(s, Exemplar{trace, 0.25, t}));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * n);
}
BENCHMARK(BM_ExemplarAdd)->Arg(1000)->Arg(10000);

void BM_ExemplarSelectOneSeries(benchmark::State& state) {
  CircularExemplarStorage storage(100000, nullptr);
  const std::vector<Labels> series = MakeSeries(10000);
  const Labels trace{{"trace_id", "4bf92f3577b34da6a3ce929d0e0e4736"}};
  for (int64_t t = 1; t <= 10; ++t) {
    for (const Labels& s : series) (void)storage.Add(s, Exemplar{trace, 0.25, t * 15000});
  }
  std::vector<Matchers> selectors = {{Matcher::Make(MatchType::kEqual, "instance", "host-7:8080").value(),
                                      Matcher::Make(MatchType::kEqual, "le", "42").value()}};
  for (auto _ : state) benchmark::DoNotOptimize(storage.SelectExemplars(0, 1000000, selectors));
}
BENCHMARK(BM_ExemplarSelectOneSeries);

// splitmix64's finaliser: a cheap, well-spread hash.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t DirBytes(const std::string& dir) {
  uint64_t n = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) n += e.file_size();
  }
  return n;
}

void BM_DBCommitExemplars(benchmark::State& state) {
  const bool with_exemplars = state.range(0) != 0;
  const bool wal = state.range(0) != 2;
  const std::string dir =
      (std::filesystem::temp_directory_path() / ("promethium_exemplar_bench_" + std::to_string(::getpid()))).string();
  Env::Default()->RemoveDirRecursively(dir).IgnoreError();  // a scratch directory: best effort
  DBOptions opts;
  opts.max_exemplars = 100000;
  opts.background_compaction = false;
  opts.wal_enabled = wal;
  auto db = DB::Open(dir, opts, nullptr);
  if (!db.ok()) {
    state.SkipWithError(db.status().ToString().c_str());
    return;
  }
  const std::vector<Labels> series = MakeSeries(1000);
  std::vector<SeriesRef> refs(series.size(), 0);
  int64_t t = 0;
  for (auto _ : state) {
    t += 15000;
    auto app = (*db)->NewAppender();
    for (size_t i = 0; i < series.size(); ++i) {
      auto r = app->Append(refs[i], series[i], t, static_cast<double>(t) * 0.001 + static_cast<double>(i));
      if (!r.ok()) continue;
      refs[i] = *r;
      if (!with_exemplars) continue;
      // A 32-hex-digit trace id, random-looking as tracers make them.
      const uint64_t seed = static_cast<uint64_t>(t) * 1000 + i;
      std::string trace = fmt::format("{:016x}{:016x}", Mix(seed), Mix(~seed));
      (void)app->AppendExemplar(*r, series[i], Exemplar{Labels{{"trace_id", std::move(trace)}}, 0.25, t});
    }
    if (!app->Commit().ok()) state.SkipWithError("commit failed");
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * 1000);
  (void)(*db)->Close();
  if (wal) {
    state.counters["wal_bytes_per_commit"] =
        static_cast<double>(DirBytes(dir + "/wal")) / static_cast<double>(state.iterations());
  }
  Env::Default()->RemoveDirRecursively(dir).IgnoreError();  // a scratch directory: best effort
}
BENCHMARK(BM_DBCommitExemplars)->Arg(0)->Arg(1)->Arg(2)->Iterations(2000);

}  // namespace
}  // namespace promethium::tsdb
