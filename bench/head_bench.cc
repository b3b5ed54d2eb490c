// Head append throughput: one "scrape" per iteration appends one sample to
// each of N series with cached refs and commits, as the scrape loop does.
// Also the first scrape (series creation) cost, and two threads appending to
// disjoint series sets of one head concurrently. BM_HeadMemoryPerSeries
// reports heap bytes per series (malloc's in-use bytes before/after) for
// 100k node_exporter-shaped series, right after creation and with 120
// samples each (one full chunk). BM_HeadTruncate times head truncation and
// series GC over those 100k series. BM_HeadMemoryChunkFiles compares heap
// bytes per series with 10 full chunks kept in the heap or in chunk files;
// BM_HeadReadChunkFiles times reading such chunks back through a querier.
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tsdb/head/head.h"

namespace promethium::tsdb {
namespace {

std::vector<Labels> MakeSeries(int n, int shard) {
  std::vector<Labels> out;
  out.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    out.push_back(Labels{{"__name__", "http_requests_total"},
                         {"instance", "host-" + std::to_string(i % 100) + ":9100"},
                         {"job", "node"},
                         {"path", "/api/v1/item/" + std::to_string(i / 100)},
                         {"shard", std::to_string(shard)}});
  }
  return out;
}

void BM_HeadAppendScrape(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  Head head(HeadOptions{}, nullptr);
  const std::vector<Labels> series = MakeSeries(n, 0);
  std::vector<SeriesRef> refs(series.size(), 0);
  int64_t t = 0;
  for (auto _ : state) {
    t += 15000;
    auto app = head.NewAppender();
    for (size_t i = 0; i < series.size(); ++i) {
      auto r = app->Append(refs[i], series[i], t, static_cast<double>(t + static_cast<int64_t>(i)));
      if (r.ok()) refs[i] = *r;
    }
    benchmark::DoNotOptimize(app->Commit());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * n);
  state.counters["chunks"] = static_cast<double>(head.NumChunks());
}

// The sizing target: 1M active series receiving 100k samples/s
// (a 10 s scrape interval) must need less than one core. The series are
// created and given their refs before timing; each iteration is one whole
// round over all series, so ns/sample x 100k/s is the core share the head
// append path needs at that rate ("cores_at_100k_per_s").
void BM_HeadAppendSteady(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  Head head(HeadOptions{}, nullptr);
  const std::vector<Labels> series = MakeSeries(n, 0);
  std::vector<SeriesRef> refs(series.size(), 0);
  int64_t t = 0;
  auto round = [&] {
    t += 10000;
    auto app = head.NewAppender();
    for (size_t i = 0; i < series.size(); ++i) {
      auto r = app->Append(refs[i], series[i], t, static_cast<double>(t + static_cast<int64_t>(i)));
      if (r.ok()) refs[i] = *r;
    }
    benchmark::DoNotOptimize(app->Commit());
  };
  round();  // creates the series
  for (auto _ : state) round();
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * n);
  // Inverted rates: CPU seconds per sample, and that times 100k samples/s.
  state.counters["s_per_sample"] = benchmark::Counter(static_cast<double>(state.iterations()) * n,
                                                      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["cores_at_100k_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()) * n / 100000.0,
                                                             benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_HeadCreateSeries(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const std::vector<Labels> series = MakeSeries(n, 0);
  for (auto _ : state) {
    state.PauseTiming();
    auto head = std::make_unique<Head>(HeadOptions{}, nullptr);
    state.ResumeTiming();
    auto app = head->NewAppender();
    for (const Labels& l : series) benchmark::DoNotOptimize(app->Append(0, l, 1000, 1));
    benchmark::DoNotOptimize(app->Commit());
    state.PauseTiming();
    head.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * n);
}

// 100 instances x 1000 series, as 100 node_exporters: ~300 metric names,
// labels __name__, instance, job and 1-3 of cpu/mode/device/mountpoint with
// small value sets (4-6 labels, names and values as long as node_exporter's).
std::vector<Labels> MakeNodeExporterSeries() {
  static const char* const kModes[] = {"idle", "user", "system", "iowait", "irq", "softirq", "steal", "nice"};
  static const char* const kDevices[] = {"sda", "sdb", "nvme0n1", "eth0", "lo", "docker0"};
  static const char* const kMounts[] = {"/", "/boot", "/home", "/var/lib/docker"};
  std::vector<Labels> out;
  out.reserve(100000);
  for (int inst = 0; inst < 100; ++inst) {
    const std::string instance = "10.0." + std::to_string(inst / 10) + "." + std::to_string(inst % 10) + ":9100";
    for (int s = 0; s < 1000; ++s) {
      const int metric = s % 300;
      LabelsBuilder b;
      b.Set("__name__", "node_subsystem_" + std::to_string(metric) + "_seconds_total");
      b.Set("instance", instance);
      b.Set("job", "node");
      b.Set("cpu", std::to_string(s / 300));  // makes (instance, name, cpu) unique
      if (metric % 3 >= 1)
        b.Set(metric % 2 ? "mode" : "device", metric % 2 ? kModes[metric % 8] : kDevices[metric % 6]);
      if (metric % 3 == 2) b.Set("mountpoint", kMounts[metric % 4]);
      out.push_back(b.Build());
    }
  }
  return out;
}

size_t HeapInUse() { return mallinfo2().uordblks; }

void BM_HeadMemoryPerSeries(benchmark::State& state) {
  const std::vector<Labels> series = MakeNodeExporterSeries();
  const double n = static_cast<double>(series.size());
  for (auto _ : state) {
    auto head = std::make_unique<Head>(HeadOptions{}, nullptr);
    std::vector<SeriesRef> refs(series.size(), 0);
    const size_t before = HeapInUse();
    // One scrape per instance (1000 series), like the scrape loop.
    auto scrape = [&](int64_t t) {
      for (size_t start = 0; start < series.size(); start += 1000) {
        auto app = head->NewAppender();
        for (size_t i = start; i < start + 1000; ++i) {
          auto r = app->Append(refs[i], series[i], t, static_cast<double>(i));
          if (r.ok()) refs[i] = *r;
        }
        benchmark::DoNotOptimize(app->Commit());
      }
    };
    scrape(0);
    const size_t created = HeapInUse();
    for (int k = 1; k < 120; ++k) scrape(int64_t{k} * 15000);
    const size_t full = HeapInUse();
    state.counters["bytes_per_series"] = static_cast<double>(created - before) / n;
    state.counters["bytes_per_series_120"] = static_cast<double>(full - before) / n;
    state.counters["chunks"] = static_cast<double>(head->NumChunks());
    state.counters["sizeof_MemSeries"] = static_cast<double>(sizeof(MemSeries));
  }
}

// A bench scratch directory under $TMPDIR, named for this process.
std::string BenchDir(const std::string& name) {
  return (std::filesystem::temp_directory_path() / (name + "_" + std::to_string(::getpid()))).string();
}

// Head options with a 24 h chunk range (no range boundary cuts a chunk
// short), with full chunks in *files (opened in `dir`) when with_files.
// False (the benchmark skipped with the error) when the files cannot open.
bool HeadWithChunkFiles(benchmark::State& state, bool with_files, const std::string& dir,
                        std::unique_ptr<HeadChunkFiles>* files, HeadOptions* opts) {
  opts->cut.chunk_range_ms = 24 * 3600 * 1000;
  if (!with_files) return true;
  auto opened = HeadChunkFiles::Open(Env::Default(), dir, HeadChunkFilesOptions{}, nullptr);
  if (!opened.ok()) {
    state.SkipWithError(opened.status().ToString().c_str());
    return false;
  }
  *files = std::move(*opened);
  opts->cut.files = files->get();
  return true;
}

// Appends `scrapes` samples 15 s apart to every series, value(k, i) for
// scrape k of series i, committing every `batch` series (one scrape of a
// target of that many series).
template <typename ValueFn>
void AppendScrapes(Head* head, const std::vector<Labels>& series, int scrapes, size_t batch, ValueFn value) {
  std::vector<SeriesRef> refs(series.size(), 0);
  for (int k = 0; k < scrapes; ++k) {
    for (size_t start = 0; start < series.size(); start += batch) {
      auto app = head->NewAppender();
      for (size_t i = start; i < std::min(start + batch, series.size()); ++i) {
        auto r = app->Append(refs[i], series[i], int64_t{k} * 15000, value(k, i));
        if (r.ok()) refs[i] = *r;
      }
      benchmark::DoNotOptimize(app->Commit());
    }
  }
}

// Heap bytes per series with 10 full chunks of 120 samples each (1200
// scrapes 15 s apart; a 24 h chunk range so no range boundary cuts a chunk
// short), with full chunks in the heap (arg 0) or in chunk files (arg 1,
// under $TMPDIR). The chunk files' own buffers are counted as heap.
void BM_HeadMemoryChunkFiles(benchmark::State& state) {
  const bool with_files = state.range(0) != 0;
  const std::vector<Labels> series = MakeNodeExporterSeries();
  const double n = static_cast<double>(series.size());
  const std::string dir = BenchDir("promethium_bench_chunks_head");
  for (auto _ : state) {
    const size_t before = HeapInUse();
    std::unique_ptr<HeadChunkFiles> files;
    HeadOptions opts;
    if (!HeadWithChunkFiles(state, with_files, dir, &files, &opts)) return;
    auto head = std::make_unique<Head>(opts, nullptr);
    // A counter growing by a per-series step, with a fraction now and then
    // (about 2.5 bytes per sample once XOR-encoded); one commit per 1000.
    AppendScrapes(head.get(), series, 1200, 1000, [](int k, size_t i) {
      return static_cast<double>(k) * static_cast<double>(1 + i % 97) + (k % 5 == 0 ? 0.25 : 0.0);
    });
    const size_t full = HeapInUse();
    state.counters["bytes_per_series"] = static_cast<double>(full - before) / n;
    state.counters["chunks_per_series"] = static_cast<double>(head->NumChunks()) / n;
    if (files != nullptr) state.counters["file_bytes_per_series"] = static_cast<double>(files->DiskBytes()) / n;
    head.reset();
    files.reset();
  }
  std::filesystem::remove_all(dir);
}

// Reading full chunks back: 10k series with 10 chunks of 120 samples each
// (1200 scrapes 15 s apart, 24 h chunk range), full chunks kept in the heap
// (arg 0) or in chunk files under $TMPDIR (arg 1, read back with one pread
// each from the page cache); each iteration selects every series through a
// head querier and iterates all their samples (items/s: samples read).
void BM_HeadReadChunkFiles(benchmark::State& state) {
  const bool with_files = state.range(0) != 0;
  const std::vector<Labels> series = MakeSeries(10000, 0);
  const std::string dir = BenchDir("promethium_bench_read_chunks");
  std::unique_ptr<HeadChunkFiles> files;
  HeadOptions opts;
  if (!HeadWithChunkFiles(state, with_files, dir, &files, &opts)) return;
  auto head = std::make_unique<Head>(opts, nullptr);
  AppendScrapes(head.get(), series, 1200, series.size(),
                [](int k, size_t i) { return static_cast<double>(k) * static_cast<double>(i % 7); });
  const Matchers matchers = {*Matcher::Make(MatchType::kEqual, "job", "node")};
  int64_t samples = 0;
  for (auto _ : state) {
    auto querier = head->NewQuerier(kMinTime, kMaxTime);
    auto set = querier->Select(false, nullptr, matchers);
    std::unique_ptr<SampleIterator> it;
    while (set->Next()) {
      it = set->At().Iterator(std::move(it));
      while (it->Next() != ValueType::kNone) ++samples;
    }
    if (!set->Err().ok()) state.SkipWithError(set->Err().ToString().c_str());
  }
  state.SetItemsProcessed(samples);
  if (files != nullptr) state.counters["file_bytes"] = static_cast<double>(files->DiskBytes());
  head.reset();
  files.reset();
  std::filesystem::remove_all(dir);
}

// Head::Truncate over 100k node_exporter-shaped series holding two chunk
// ranges of samples: drops the older chunk of every series, then (second
// phase) garbage-collects all series once nothing is left.
void BM_HeadTruncate(benchmark::State& state) {
  const std::vector<Labels> series = MakeNodeExporterSeries();
  HeadOptions opts;
  opts.cut.chunk_range_ms = 120 * 15000;  // 120 samples per chunk range
  for (auto _ : state) {
    state.PauseTiming();
    auto head = std::make_unique<Head>(opts, nullptr);
    std::vector<SeriesRef> refs(series.size(), 0);
    for (int64_t k = 0; k < 240; ++k) {
      auto app = head->NewAppender();
      for (size_t i = 0; i < series.size(); ++i) {
        auto r = app->Append(refs[i], series[i], k * 15000, 1);
        if (r.ok()) refs[i] = *r;
      }
      benchmark::DoNotOptimize(app->Commit());
    }
    state.ResumeTiming();
    const auto start = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(head->Truncate(opts.cut.chunk_range_ms));  // drop chunks
    const auto mid = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(head->Truncate(2 * opts.cut.chunk_range_ms));  // drop chunks and series
    const auto end = std::chrono::steady_clock::now();
    state.PauseTiming();
    state.counters["chunks_ms"] = std::chrono::duration<double, std::milli>(mid - start).count();
    state.counters["gc_ms"] = std::chrono::duration<double, std::milli>(end - mid).count();
    state.counters["series_left"] = static_cast<double>(head->NumSeries());
    head.reset();
    state.ResumeTiming();
  }
}

Head* g_shared_head = nullptr;

void BM_HeadAppendParallel(benchmark::State& state) {
  if (state.thread_index() == 0) g_shared_head = new Head(HeadOptions{}, nullptr);
  // Google Benchmark synchronizes threads before and after the timed loop.
  const int n = static_cast<int>(state.range(0));
  std::vector<Labels> series;
  std::vector<SeriesRef> refs;
  int64_t t = 0;
  for (auto _ : state) {
    if (series.empty()) {
      state.PauseTiming();
      series = MakeSeries(n, state.thread_index());
      refs.assign(series.size(), 0);
      state.ResumeTiming();
    }
    t += 15000;
    auto app = g_shared_head->NewAppender();
    for (size_t i = 0; i < series.size(); ++i) {
      auto r = app->Append(refs[i], series[i], t, 1.0);
      if (r.ok()) refs[i] = *r;
    }
    benchmark::DoNotOptimize(app->Commit());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * n);
  if (state.thread_index() == 0) {
    delete g_shared_head;
    g_shared_head = nullptr;
  }
}

BENCHMARK(BM_HeadAppendScrape)->Arg(1000)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_HeadAppendSteady)->Arg(1000000)->Iterations(3)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_HeadCreateSeries)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_HeadMemoryPerSeries)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_HeadMemoryChunkFiles)->Arg(0)->Arg(1)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_HeadReadChunkFiles)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_HeadTruncate)->Iterations(2)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_HeadAppendParallel)->Arg(10000)->Threads(2)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace promethium::tsdb
