// PromQL engine range-query benchmarks over the real TSDB head, modelled on
// Prometheus's promql/bench_test.go (BenchmarkRangeQuery).
//
// Data, built once per size in a tsdb::DB through its Appender: for N in
// {1, 10, 100, 1000} label values l="0".."N-1", the series a{l}, b{l} and a
// classic histogram h_bucket{l, le} with 10 buckets (9 bounds and +Inf), all
// scraped every 10s for one day (8640 samples per series; 12*N series).
//
// Each case is one range query ending at the end of the day with S steps, S
// in {1, 100, 1000, 10000}; the step is 10s, or day/S when S*10s would not
// fit in the day (8.64s for 10000 steps), so every step sees data. The
// counters: ns_per_step, the wall time of one query divided by S,
// cpu_ns_per_step, the querying thread's CPU time divided by S, and
// allocs_per_step / allocs_per_query, the calls of the global operator new
// (every form) made while the query ran, per step and per query.
//
// Allocation counting: this binary (only) replaces the global operator
// new/delete with malloc/free wrappers that bump one relaxed atomic counter
// per new. The counter is process-wide; the DB runs without its background
// compaction thread, so only the querying thread allocates during a query.
//
// Default run: every query at sizes 1..1000 and steps 1..1000, plus 10000
// steps at sizes up to 100; it takes about 1.5 minutes on 2 cores. The full
// matrix (10000 steps at 1000 label values as well; about 5 minutes and 3 GB
// of memory, group_left alone ~50s) runs with
//   PROMQL_BENCH_FULL=1 build/bench/promql_bench
// and a single query or size with --benchmark_filter, e.g.
//   build/bench/promql_bench --benchmark_filter='rate.*/1000/'
#include <benchmark/benchmark.h>

#include <stdlib.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "promql/engine/engine.h"
#include "tsdb/base/logging.h"
#include "tsdb/db.h"

// ---- Allocation counting: global operator new/delete replacements. ----
// Thread-safe (one relaxed atomic); every form of new counts one call.
namespace {
std::atomic<int64_t> g_new_calls{0};

void* CountedAlloc(std::size_t n) {
  g_new_calls.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n == 0 ? 1 : n);
}

void* CountedAlignedAlloc(std::size_t n, std::align_val_t al) {
  g_new_calls.fetch_add(1, std::memory_order_relaxed);
  void* p = nullptr;
  const std::size_t align = std::max(static_cast<std::size_t>(al), sizeof(void*));
  if (posix_memalign(&p, align, n == 0 ? 1 : n) != 0) return nullptr;
  return p;
}
}  // namespace

void* operator new(std::size_t n) {
  void* p = CountedAlloc(n);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
void* operator new[](std::size_t n) { return operator new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return CountedAlloc(n); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return CountedAlloc(n); }
void* operator new(std::size_t n, std::align_val_t al) {
  void* p = CountedAlignedAlloc(n, al);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
void* operator new[](std::size_t n, std::align_val_t al) { return operator new(n, al); }
void* operator new(std::size_t n, std::align_val_t al, const std::nothrow_t&) noexcept {
  return CountedAlignedAlloc(n, al);
}
void* operator new[](std::size_t n, std::align_val_t al, const std::nothrow_t&) noexcept {
  return CountedAlignedAlloc(n, al);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }

namespace {

using promethium::Labels;
using promethium::SeriesRef;
using promethium::promql::Engine;
using promethium::promql::EngineOptions;
using promethium::tsdb::DB;

constexpr int64_t kInterval = 10'000;          // 10s scrape interval
constexpr int64_t kDay = 24 * 3600 * 1000LL;   // one day of data
constexpr int64_t kCommitEvery = 3600 * 1000;  // one appender batch per hour of data
constexpr double kBucketBounds[] = {0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50};

struct BenchSeries {
  Labels labels;
  SeriesRef ref = 0;
  int bucket = -1;  // h_bucket index (le), -1 for a and b
  int l = 0;
};

std::vector<BenchSeries> MakeSeries(int n) {
  std::vector<BenchSeries> out;
  for (int l = 0; l < n; ++l) {
    std::string lv = std::to_string(l);
    out.push_back({Labels{{"__name__", "a"}, {"l", lv}}, 0, -1, l});
    out.push_back({Labels{{"__name__", "b"}, {"l", lv}}, 0, -1, l});
    for (int b = 0; b <= static_cast<int>(std::size(kBucketBounds)); ++b) {
      std::string le = b < static_cast<int>(std::size(kBucketBounds)) ? fmt::format("{}", kBucketBounds[b]) : "+Inf";
      out.push_back({Labels{{"__name__", "h_bucket"}, {"l", lv}, {"le", le}}, 0, b, l});
    }
  }
  return out;
}

// Counter-like values: a and b grow at per-series rates; bucket b holds a
// cumulative share of the observations, so the histogram is well formed.
double ValueAt(const BenchSeries& s, int64_t i) {
  if (s.bucket < 0) return static_cast<double>(i * (s.l + 1) + (s.labels.MetricName() == "b" ? i % 7 : 0));
  return static_cast<double>(i * (s.bucket + 1));
}

struct Dataset {
  std::string dir;
  std::unique_ptr<DB> db;
  ~Dataset() {
    db.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

Dataset* GetDataset(int n) {
  static std::map<int, std::unique_ptr<Dataset>> cache;
  auto& ds = cache[n];
  if (ds) return ds.get();
  promethium::SetLogLevel(promethium::LogLevel::kWarn);
  ds = std::make_unique<Dataset>();
  // A fresh directory: whatever the DB persists (its WAL) must not be
  // replayed from an earlier run.
  std::string tmpl =
      (std::filesystem::temp_directory_path() / ("promql_bench_" + std::to_string(n) + "_XXXXXX")).string();
  if (mkdtemp(tmpl.data()) == nullptr) return nullptr;
  ds->dir = tmpl;
  promethium::tsdb::DBOptions opts;
  // No background compaction: the day of data stays in the head for every
  // case (the thread would otherwise cut blocks a minute after Open, in the
  // middle of the cases, and its allocations would be counted as the
  // query's).
  opts.background_compaction = false;
  auto db = DB::Open(ds->dir, opts, nullptr);
  if (!db.ok()) return nullptr;
  ds->db = std::move(db).value();
  std::vector<BenchSeries> series = MakeSeries(n);
  for (int64_t from = 0; from <= kDay; from += kCommitEvery) {
    auto app = ds->db->NewAppender();
    for (auto& s : series) {
      for (int64_t t = from; t < from + kCommitEvery && t <= kDay; t += kInterval) {
        auto ref = app->Append(s.ref, s.labels, t, ValueAt(s, t / kInterval));
        if (ref.ok()) s.ref = *ref;
      }
    }
    if (!app->Commit().ok()) return nullptr;
  }
  return ds.get();
}

int64_t ThreadCpuNanos() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

void RunRange(benchmark::State& state, const std::string& query, int n, int64_t steps) {
  Dataset* ds = GetDataset(n);
  if (ds == nullptr) {
    state.SkipWithError("cannot build the dataset");
    return;
  }
  EngineOptions opts;
  opts.timeout = std::chrono::minutes(10);
  // Our max-samples accounting holds whole intermediate matrices (see
  // docs/PROMQL.md): histogram_quantile, count and group_left at 1000 x 10000
  // steps hold ~110M points, over the default 50M that Prometheus's per-step
  // accounting would not reach. Benchmarks measure speed, not that limit.
  opts.max_samples = 1'000'000'000;
  Engine engine(opts);
  const int64_t step = std::min<int64_t>(kInterval, kDay / steps);
  const int64_t end = kDay;
  const int64_t start = end - (steps - 1) * step;
  std::chrono::nanoseconds total{0};
  int64_t cpu_total = 0;
  int64_t allocs_total = 0;
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    int64_t c0 = ThreadCpuNanos();
    const int64_t a0 = g_new_calls.load(std::memory_order_relaxed);
    auto r = engine.RangeQuery(*ds->db, query, start, end, step);
    allocs_total += g_new_calls.load(std::memory_order_relaxed) - a0;
    cpu_total += ThreadCpuNanos() - c0;
    total += std::chrono::steady_clock::now() - t0;
    if (!r.ok()) {
      state.SkipWithError(r.error.c_str());
      return;
    }
    benchmark::DoNotOptimize(r.value);
  }
  const double per = static_cast<double>(state.iterations()) * static_cast<double>(steps);
  state.counters["ns_per_step"] = static_cast<double>(total.count()) / per;
  // CPU time of the querying thread: steadier than wall time on a shared host.
  state.counters["cpu_ns_per_step"] = static_cast<double>(cpu_total) / per;
  // Every new made by RangeQuery, building its result included.
  state.counters["allocs_per_step"] = static_cast<double>(allocs_total) / per;
  state.counters["allocs_per_query"] = static_cast<double>(allocs_total) / static_cast<double>(state.iterations());
}

const char* const kQueries[][2] = {
    {"rate", "rate(a[1m])"},
    {"sum_by", "sum by (l) (a)"},
    {"a_minus_b", "a - b"},
    {"topk", "topk(5, a)"},
    {"histogram_quantile", "histogram_quantile(0.9, rate(h_bucket[5m]))"},
    {"label_replace", R"q(label_replace(a, "l2", "$1", "l", "(.*)"))q"},
    {"count_all", R"q(count({__name__!=""}))q"},
    {"and", "a and b"},
    {"or", "a or b"},
    {"unless", "a unless b"},
    {"group_left", "h_bucket * on (l) group_left () a"},
};

// Registers the matrix at start-up (before benchmark_main parses flags).
struct Registrar {
  Registrar() {
    const bool full = std::getenv("PROMQL_BENCH_FULL") != nullptr;
    for (const auto& q : kQueries) {
      for (int n : {1, 10, 100, 1000}) {
        for (int64_t steps : {1, 100, 1000, 10000}) {
          if (steps == 10000 && n == 1000 && !full) continue;
          std::string name = fmt::format("BM_RangeQuery/{}/{}/{}", q[0], n, steps);
          std::string query = q[1];
          benchmark::RegisterBenchmark(name.c_str(),
                                       [query, n, steps](benchmark::State& st) { RunRange(st, query, n, steps); })
              ->Unit(benchmark::kMillisecond)
              ->MinTime(0.05);
        }
      }
    }
  }
} registrar;

}  // namespace
