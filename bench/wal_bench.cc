// WAL throughput for 100k series x 100 samples (10M samples):
//  - BM_WalEncodeAndLog: encode one samples record per "scrape" of all
//    series and write it with Wal::Log (no head): the WAL's own cost.
//  - BM_DBCommitWithWal: the real path, DB appends + Commit with the WAL on
//    (default policy: no fsync per commit).
//  - BM_WalReplay: DB::Open of the WAL the previous benchmark wrote.
// Each runs once (Iterations(1)); items/s is samples/s. Data goes to a
// directory under the system temp dir, removed at the end.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "tsdb/base/env.h"
#include "tsdb/db.h"
#include "tsdb/wal/record.h"
#include "tsdb/wal/wal.h"

namespace promethium::tsdb {
namespace {

constexpr int kSeries = 100000;
constexpr int kSteps = 100;

std::string BenchDir(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("promethium_wal_bench_" + name + "_" + std::to_string(::getpid())))
      .string();
}

void BM_WalEncodeAndLog(benchmark::State& state) {
  const std::string dir = BenchDir("log");
  for (auto _ : state) {
    Env::Default()->RemoveDirRecursively(dir);
    auto w = wal::Wal::Open(Env::Default(), dir, wal::WalOptions{}, nullptr, 0);
    if (!w.ok()) {
      state.SkipWithError(w.status().ToString().c_str());
      return;
    }
    std::vector<wal::RefSample> batch(kSeries);
    std::string rec;
    for (int step = 0; step < kSteps; ++step) {
      for (int i = 0; i < kSeries; ++i) batch[i] = {static_cast<SeriesRef>(i + 1), step * 15000LL, i * 0.5 + step};
      rec.clear();
      wal::EncodeSamples(batch, &rec);
      const std::string_view v = rec;
      if (!(*w)->Log({&v, 1}).ok()) state.SkipWithError("log failed");
    }
    benchmark::DoNotOptimize((*w)->Close());
    state.counters["wal_bytes_per_sample"] = static_cast<double>(rec.size()) / kSeries;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kSeries * kSteps);
  Env::Default()->RemoveDirRecursively(dir);
}
BENCHMARK(BM_WalEncodeAndLog)->Iterations(1)->Unit(benchmark::kMillisecond);

std::vector<Labels> MakeLabels() {
  std::vector<Labels> out;
  out.reserve(kSeries);
  for (int i = 0; i < kSeries; ++i) {
    out.push_back(Labels{{"__name__", "http_requests_total"},
                         {"instance", "host-" + std::to_string(i % 1000) + ":9100"},
                         {"job", "node"},
                         {"path", "/api/" + std::to_string(i / 1000)}});
  }
  return out;
}

void BM_DBCommitWithWal(benchmark::State& state) {
  const std::string dir = BenchDir("db");
  const std::vector<Labels> labels = MakeLabels();
  for (auto _ : state) {
    Env::Default()->RemoveDirRecursively(dir);
    auto db = DB::Open(dir, DBOptions{}, nullptr);
    if (!db.ok()) {
      state.SkipWithError(db.status().ToString().c_str());
      return;
    }
    std::vector<SeriesRef> refs(kSeries, 0);
    for (int step = 0; step < kSteps; ++step) {
      auto app = (*db)->NewAppender();
      for (int i = 0; i < kSeries; ++i) {
        auto r = app->Append(refs[i], labels[i], step * 15000LL, i * 0.5 + step);
        if (r.ok()) refs[i] = *r;
      }
      if (!app->Commit().ok()) state.SkipWithError("commit failed");
    }
    benchmark::DoNotOptimize((*db)->Close());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kSeries * kSteps);
}
BENCHMARK(BM_DBCommitWithWal)->Iterations(1)->Unit(benchmark::kMillisecond);

void BM_WalReplay(benchmark::State& state) {
  const std::string dir = BenchDir("db");  // written by BM_DBCommitWithWal
  if (!Env::Default()->FileExists(dir + "/wal")) {
    state.SkipWithError("run BM_DBCommitWithWal first (no --benchmark_filter excluding it)");
    return;
  }
  uint64_t series = 0;
  for (auto _ : state) {
    auto db = DB::Open(dir, DBOptions{}, nullptr);
    if (!db.ok()) {
      state.SkipWithError(db.status().ToString().c_str());
      return;
    }
    series = (*db)->Stats().num_series;
    state.PauseTiming();
    db->reset();
    state.ResumeTiming();
  }
  state.counters["series"] = static_cast<double>(series);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kSeries * kSteps);
  Env::Default()->RemoveDirRecursively(dir);
}
BENCHMARK(BM_WalReplay)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace promethium::tsdb
