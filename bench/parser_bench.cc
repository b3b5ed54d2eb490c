// parser_bench: throughput of the text-format and OpenMetrics parsers
// (scrape/textparse) on two bodies:
//  - *NodeExporter: a synthetic node_exporter-like body of 10k series with
//    HELP/TYPE lines (the OpenMetrics variant adds exemplars on every tenth
//    sample, timestamps on every fifth, and the closing # EOF);
//  - *RealNodeExporter: a real node_exporter 1.5.0 body captured into
//    bench/testdata/ (node_exporter.prom, ~165 KB, and its OpenMetrics form
//    node_exporter.om; see bench/testdata/README.md).
// Reports bytes/s (binary MiB/s, as Google Benchmark prints "M/s") and ns
// per line, for the bare parser and for the steady-state scrape append path
// (parser + scrape cache, null Appender).
// Run: build/bench/parser_bench --benchmark_min_time=0.3
#include <benchmark/benchmark.h>

#include <algorithm>
#include <string>

#include "scrape/scrape_append.h"
#include "scrape/textparse/openmetrics_parser.h"
#include "scrape/textparse/prom_parser.h"
#include "tsdb/base/env.h"

namespace {

using promethium::scrape::textparse::Entry;
using promethium::scrape::textparse::OpenMetricsParser;
using promethium::scrape::textparse::PromParser;

struct Body {
  std::string text;
  int64_t lines = 0;
  std::string error;  // why a fixture could not be loaded
};

// ~10k series in families of 100, shaped like node_exporter output.
Body MakeNodeExporterBody() {
  Body b;
  const char* modes[] = {"idle", "user", "system", "iowait", "irq"};
  for (int family = 0; family < 100; ++family) {
    std::string name = "node_synthetic_metric_" + std::to_string(family) + "_total";
    b.text += "# HELP " + name + " Synthetic counter number " + std::to_string(family) + ".\n";
    b.text += "# TYPE " + name + " counter\n";
    b.lines += 2;
    for (int i = 0; i < 100; ++i) {
      b.text += name + "{cpu=\"" + std::to_string(i / 5) + "\",device=\"eth" + std::to_string(i % 7) + "\",mode=\"" +
                modes[i % 5] + "\"} ";
      b.text += (i % 3 == 0) ? std::to_string(i * 1000 + family) : std::to_string(i * 1.25e5 + family * 0.001);
      b.text += "\n";
      ++b.lines;
    }
  }
  return b;
}

// The same families in OpenMetrics 1.0 text.
Body MakeOpenMetricsBody() {
  Body b;
  const char* modes[] = {"idle", "user", "system", "iowait", "irq"};
  for (int family = 0; family < 100; ++family) {
    std::string name = "node_synthetic_metric_" + std::to_string(family);
    b.text += "# HELP " + name + " Synthetic counter number " + std::to_string(family) + ".\n";
    b.text += "# TYPE " + name + " counter\n";
    b.lines += 2;
    for (int i = 0; i < 100; ++i) {
      b.text += name + "_total{cpu=\"" + std::to_string(i / 5) + "\",device=\"eth" + std::to_string(i % 7) +
                "\",mode=\"" + modes[i % 5] + "\"} ";
      b.text += (i % 3 == 0) ? std::to_string(i * 1000 + family) : std::to_string(i * 1.25e5 + family * 0.001);
      if (i % 5 == 0) b.text += " 1700000000.123";
      if (i % 10 == 0) b.text += " # {trace_id=\"4bf92f3577b34da6a3ce929d0e0e4736\"} 1.0 1700000000.001";
      b.text += "\n";
      ++b.lines;
    }
  }
  b.text += "# EOF\n";
  ++b.lines;
  return b;
}

// A fixture from bench/testdata/ (PROMETHIUM_BENCH_TESTDATA is set by
// bench/CMakeLists.txt). If it cannot be read, the body is empty, with
// the reason in `error`, and the benchmarks using it fail with that reason.
Body LoadFixture(const char* name) {
  std::string path = std::string(PROMETHIUM_BENCH_TESTDATA) + "/" + name;
  auto text = promethium::ReadFileToString(promethium::Env::Default(), path);
  Body b;
  if (!text.ok()) {
    b.error = text.status().ToString();
    return b;
  }
  b.text = std::move(*text);
  b.lines = std::count(b.text.begin(), b.text.end(), '\n');
  return b;
}

const Body& SyntheticProm() {
  static const Body body = MakeNodeExporterBody();
  return body;
}
const Body& SyntheticOpenMetrics() {
  static const Body body = MakeOpenMetricsBody();
  return body;
}
const Body& RealProm() {
  static const Body body = LoadFixture("node_exporter.prom");
  return body;
}
const Body& RealOpenMetrics() {
  static const Body body = LoadFixture("node_exporter.om");
  return body;
}

// Parses the whole body per iteration, touching every sample's value and
// label count as the scrape path does.
template <typename Parser>
void ParseBody(benchmark::State& state, const Body& body) {
  if (!body.error.empty()) {
    state.SkipWithError(body.error.c_str());
    return;
  }
  double sum = 0;
  for (auto _ : state) {
    Parser p(body.text);
    for (;;) {
      auto e = p.Next();
      if (!e.ok()) state.SkipWithError("parse error");
      if (!e.ok() || *e == Entry::kEof) break;
      if (*e == Entry::kSeries) sum += p.Value() + static_cast<double>(p.Labels().size());
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(body.text.size()));
  state.counters["ns_per_line"] = benchmark::Counter(static_cast<double>(state.iterations() * body.lines),
                                                     benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["body_bytes"] = static_cast<double>(body.text.size());
}

void BM_OpenMetricsParserNodeExporter(benchmark::State& state) {
  ParseBody<OpenMetricsParser>(state, SyntheticOpenMetrics());
}
BENCHMARK(BM_OpenMetricsParserNodeExporter)->Unit(benchmark::kMicrosecond);

void BM_OpenMetricsParserRealNodeExporter(benchmark::State& state) {
  ParseBody<OpenMetricsParser>(state, RealOpenMetrics());
}
BENCHMARK(BM_OpenMetricsParserRealNodeExporter)->Unit(benchmark::kMicrosecond);

void BM_PromParserNodeExporter(benchmark::State& state) { ParseBody<PromParser>(state, SyntheticProm()); }
BENCHMARK(BM_PromParserNodeExporter)->Unit(benchmark::kMicrosecond);

void BM_PromParserRealNodeExporter(benchmark::State& state) { ParseBody<PromParser>(state, RealProm()); }
BENCHMARK(BM_PromParserRealNodeExporter)->Unit(benchmark::kMicrosecond);

// An Appender that only hands out refs: measures the scrape path itself.
class NullAppender final : public promethium::Appender {
 public:
  promethium::Result<promethium::SeriesRef> Append(promethium::SeriesRef ref, const promethium::Labels&, int64_t,
                                                   double) override {
    return ref != 0 ? ref : ++next_;
  }
  promethium::Status Commit() override { return promethium::Status::OK(); }
  promethium::Status Rollback() override { return promethium::Status::OK(); }

 private:
  promethium::SeriesRef next_ = 0;
};

// Steady state of a scrape loop: every series is a scrape-cache hit, so the
// cost is parsing plus one hash lookup and one Append per sample.
void AppendBodyCached(benchmark::State& state, const Body& body) {
  using namespace promethium::scrape;
  if (!body.error.empty()) {
    state.SkipWithError(body.error.c_str());
    return;
  }
  ScrapeConfig cfg;
  cfg.job_name = "node";
  cfg.static_configs.push_back({{"localhost:9100"}, promethium::Labels{}, ""});
  Target target = BuildTargets(cfg).value()[0];
  ScrapeCache cache;
  NullAppender app;
  int64_t ts = 1;
  for (auto _ : state) {
    AppendStats stats = AppendScrapeBody(body.text, ts++, target, AppendOptions{}, &cache, &app);
    if (!stats.status.ok()) state.SkipWithError("append failed");
    AppendStaleMarkers(&cache, ts, &app);
    cache.Commit(stats.status.ok());
    benchmark::DoNotOptimize(stats.added);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(body.text.size()));
  state.counters["ns_per_line"] = benchmark::Counter(static_cast<double>(state.iterations() * body.lines),
                                                     benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
void BM_AppendScrapeBodyCached(benchmark::State& state) { AppendBodyCached(state, SyntheticProm()); }
BENCHMARK(BM_AppendScrapeBodyCached)->Unit(benchmark::kMicrosecond);

void BM_AppendScrapeRealNodeExporterCached(benchmark::State& state) { AppendBodyCached(state, RealProm()); }
BENCHMARK(BM_AppendScrapeRealNodeExporterCached)->Unit(benchmark::kMicrosecond);

}  // namespace
