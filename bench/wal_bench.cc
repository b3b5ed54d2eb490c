// WAL throughput for 100k series x 100 samples (10M samples):
//  - BM_WalEncodeAndLog: encode one samples record per "scrape" of all
//    series and write it with Wal::Log (no head): the WAL's own cost.
//  - BM_DBCommitWithWal: the real path, DB appends + Commit with the WAL on
//    (default policy: no fsync per commit).
//  - BM_WalReplay: DB::Open of the WAL the previous benchmark wrote.
//  - BM_HeadReplay/<workers>: WalReplayer applying in-memory records (one
//    series record, then one samples record per scrape of the same 10M
//    samples) to a fresh head with 1 (the reading thread), 2 or 4 workers:
//    replay without the WAL reading (CRC, decompression, I/O).
//  - BM_WalCompressSamples/<codec>: encode + compress realistic samples
//    records (one per target scrape: 1000 series of node-exporter-like
//    values) with none, snappy, zstd level 1, 2, 3; counter
//    wal_bytes_per_sample is framed bytes per sample.
//  - BM_WalDecompressSamples/<codec>: the replay side of the same records.
//  - BM_WalCompressSeries/<codec>: the same for series records.
//  - BM_WalLogRealistic/<codec>: Wal::Log of those samples records per
//    codec (none, snappy, zstd): the WAL's cost and bytes on disk.
//  - BM_WalCheckpoint: checkpointing those records (keep half the series,
//    the newer half of the samples).
// The first three run once (Iterations(1)); items/s is samples/s. Data goes
// to a directory under the system temp dir, removed at the end.
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <snappy.h>
#include <unistd.h>
#include <zstd.h>

#include <cmath>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "tsdb/base/env.h"
#include "tsdb/db.h"
#include "tsdb/head/wal_replayer.h"
#include "tsdb/wal/checkpoint.h"
#include "tsdb/wal/compression.h"
#include "tsdb/wal/record.h"
#include "tsdb/wal/segment.h"
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
    Env::Default()->RemoveDirRecursively(dir).IgnoreError();  // a scratch directory: best effort
    wal::WalOptions opts;
    opts.compression = wal::Compression::kNone;  // as before compression existed; see BM_WalLogRealistic
    auto w = wal::Wal::Open(Env::Default(), dir, opts, nullptr, 0);
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
  Env::Default()->RemoveDirRecursively(dir).IgnoreError();  // a scratch directory: best effort
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
    Env::Default()->RemoveDirRecursively(dir).IgnoreError();  // a scratch directory: best effort
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
  Env::Default()->RemoveDirRecursively(dir).IgnoreError();  // a scratch directory: best effort
}
BENCHMARK(BM_WalReplay)->Iterations(1)->Unit(benchmark::kMillisecond);

void BM_HeadReplay(benchmark::State& state) {
  const std::vector<Labels> labels = MakeLabels();
  std::vector<std::string> records(1);
  std::vector<wal::RefSeries> series;
  for (int i = 0; i < kSeries; ++i) series.push_back({static_cast<SeriesRef>(i + 1), labels[i]});
  wal::EncodeSeries(series, &records[0]);
  std::vector<wal::RefSample> samples(kSeries);
  for (int step = 0; step < kSteps; ++step) {
    for (int i = 0; i < kSeries; ++i) samples[i] = {static_cast<SeriesRef>(i + 1), step * 15000LL, i * 0.5 + step};
    wal::EncodeSamples(samples, &records.emplace_back());
  }
  HeadOptions opts;
  opts.replay_workers = static_cast<size_t>(state.range(0));
  uint64_t appended = 0;
  for (auto _ : state) {
    auto head = std::make_unique<Head>(opts, nullptr);
    WalReplayStats stats;
    {
      WalReplayer replayer(head.get(), &stats);
      for (const std::string& rec : records) {
        if (!replayer.Apply(rec).ok()) state.SkipWithError("replay failed");
      }
      replayer.Finish();
    }
    head->FinishWalReplay();
    appended = stats.samples;
    state.PauseTiming();
    head.reset();  // untimed
    state.ResumeTiming();
  }
  state.counters["samples"] = static_cast<double>(appended);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kSeries * kSteps);
}
BENCHMARK(BM_HeadReplay)->Arg(1)->Arg(2)->Arg(4)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

// ---- compression: which codec for WAL records ----

constexpr int kTargets = 100;
constexpr int kSeriesPerTarget = 1000;
constexpr int kScrapes = 20;

// A value model close to what node_exporter-like targets expose: many
// constant series (info metrics, up, configuration gauges, *_bucket of
// idle histograms), integer counters with small increments, large byte
// counters, and noisy float gauges.
class ValueModel {
 public:
  explicit ValueModel(uint64_t seed) : rng_(seed) {
    for (int i = 0; i < kTargets * kSeriesPerTarget; ++i) {
      const int kind = static_cast<int>(rng_() % 100);
      kinds_.push_back(kind < 40 ? 0 : kind < 70 ? 1 : kind < 80 ? 2 : 3);
      values_.push_back(kinds_.back() == 0 ? static_cast<double>(rng_() % 3) : static_cast<double>(rng_() % 100000));
    }
  }
  double Next(int series) {
    double& v = values_[series];
    switch (kinds_[series]) {
      case 1: v += static_cast<double>(rng_() % 20); break;                  // request-like counter
      case 2: v += static_cast<double>(rng_() % 1000000); break;             // byte counter
      case 3: v = 40 + static_cast<double>(rng_() % 100000) / 997.0; break;  // float gauge
      default: break;                                                        // constant
    }
    return v;
  }

 private:
  std::mt19937_64 rng_;
  std::vector<int> kinds_;
  std::vector<double> values_;
};

// Every samples record of kScrapes scrapes of kTargets targets, in order.
const std::vector<std::string>& SampleRecords() {
  static const std::vector<std::string> records = [] {
    std::vector<std::string> out;
    ValueModel model(42);
    std::vector<wal::RefSample> batch(kSeriesPerTarget);
    for (int scrape = 0; scrape < kScrapes; ++scrape) {
      for (int target = 0; target < kTargets; ++target) {
        // Targets are scraped at different offsets within the interval.
        const int64_t t = 1700000000000LL + scrape * 15000LL + target * 137LL;
        for (int i = 0; i < kSeriesPerTarget; ++i) {
          const int series = target * kSeriesPerTarget + i;
          batch[i] = {static_cast<SeriesRef>(series + 1), t, model.Next(series)};
        }
        wal::EncodeSamples(batch, &out.emplace_back());
      }
    }
    return out;
  }();
  return records;
}

const std::vector<std::string>& SeriesRecords() {
  static const std::vector<std::string> records = [] {
    std::vector<std::string> out;
    const std::vector<std::string> names = {"node_cpu_seconds_total", "node_network_receive_bytes_total",
                                            "node_filesystem_avail_bytes", "http_request_duration_seconds_bucket"};
    for (int target = 0; target < kTargets; ++target) {
      std::vector<wal::RefSeries> batch;
      for (int i = 0; i < kSeriesPerTarget; ++i) {
        batch.push_back({static_cast<SeriesRef>(target * kSeriesPerTarget + i + 1),
                         Labels{{"__name__", names[i % names.size()]},
                                {"instance", fmt::format("10.0.{}.{}:9100", target / 256, target % 256)},
                                {"job", "node"},
                                {"mode", fmt::format("m{}", i % 8)},
                                {"device", fmt::format("eth{}", i / 8 % 16)}}});
      }
      wal::EncodeSeries(batch, &out.emplace_back());
    }
    return out;
  }();
  return records;
}

// Codec argument: 0 none, 1 snappy, 2..4 zstd level 1..3.
const char* CodecLabel(int64_t codec) {
  static const char* const kLabels[] = {"none", "snappy", "zstd1", "zstd2", "zstd3"};
  return kLabels[codec];
}

void CompressWith(int64_t codec, std::string_view rec, std::string* out) {
  if (codec <= 2) {
    const wal::Compression c = codec == 0   ? wal::Compression::kNone
                               : codec == 1 ? wal::Compression::kSnappy
                                            : wal::Compression::kZstd;
    wal::CompressRecord(c, rec, out);  // the production path (zstd at level 1)
    return;
  }
  out->resize(1 + ZSTD_compressBound(rec.size()));
  const size_t n = ZSTD_compress(out->data() + 1, out->size() - 1, rec.data(), rec.size(), static_cast<int>(codec - 1));
  (*out)[0] = static_cast<char>(wal::kCompressedFlag | 2);
  out->resize(1 + n);
}

void RunCompress(benchmark::State& state, const std::vector<std::string>& records, uint64_t items_per_record,
                 const char* per_item_counter) {
  const int64_t codec = state.range(0);
  std::string payload;
  uint64_t raw = 0, framed = 0;
  for (auto _ : state) {
    raw = framed = 0;
    for (const std::string& rec : records) {
      CompressWith(codec, rec, &payload);
      raw += rec.size();
      framed += wal::kFrameHeaderSize + payload.size();
      benchmark::DoNotOptimize(payload.data());
    }
  }
  const double items = static_cast<double>(records.size() * items_per_record);
  state.counters[per_item_counter] = static_cast<double>(framed) / items;
  state.counters["ratio"] = static_cast<double>(raw) / static_cast<double>(framed);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * records.size() * items_per_record));
  state.SetLabel(CodecLabel(codec));
}

void BM_WalCompressSamples(benchmark::State& state) {
  RunCompress(state, SampleRecords(), kSeriesPerTarget, "wal_bytes_per_sample");
}
BENCHMARK(BM_WalCompressSamples)->DenseRange(0, 4)->Unit(benchmark::kMillisecond);

void BM_WalCompressSeries(benchmark::State& state) {
  RunCompress(state, SeriesRecords(), kSeriesPerTarget, "wal_bytes_per_series");
}
BENCHMARK(BM_WalCompressSeries)->DenseRange(0, 4)->Unit(benchmark::kMillisecond);

void BM_WalDecompressSamples(benchmark::State& state) {
  const int64_t codec = state.range(0);
  std::vector<std::string> payloads;
  for (const std::string& rec : SampleRecords()) CompressWith(codec, rec, &payloads.emplace_back());
  std::string scratch;
  for (auto _ : state) {
    for (const std::string& p : payloads) {
      auto rec = wal::DecompressPayload(p, &scratch);
      if (!rec.ok()) state.SkipWithError(rec.status().ToString().c_str());
      benchmark::DoNotOptimize(rec->data());
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * payloads.size() * kSeriesPerTarget));
  state.SetLabel(CodecLabel(codec));
}
BENCHMARK(BM_WalDecompressSamples)->DenseRange(0, 4)->Unit(benchmark::kMillisecond);

// Wal::Log of the realistic records (one Log per target scrape, default
// sync policy) with none (0), snappy (1), zstd (2): the WAL's share of a
// commit, compression included. Counter wal_bytes_per_sample is on disk.
void BM_WalLogRealistic(benchmark::State& state) {
  const wal::Compression codecs[] = {wal::Compression::kNone, wal::Compression::kSnappy, wal::Compression::kZstd};
  const wal::Compression codec = codecs[state.range(0)];
  const std::string dir = BenchDir("log_realistic");
  const std::vector<std::string>& records = SampleRecords();
  uint64_t bytes = 0;
  for (auto _ : state) {
    state.PauseTiming();
    Env::Default()->RemoveDirRecursively(dir).IgnoreError();  // a scratch directory: best effort
    wal::WalOptions opts;
    opts.compression = codec;
    auto w = wal::Wal::Open(Env::Default(), dir, opts, nullptr, 0);
    if (!w.ok()) {
      state.SkipWithError(w.status().ToString().c_str());
      return;
    }
    state.ResumeTiming();
    for (const std::string& rec : records) {
      const std::string_view v = rec;
      if (!(*w)->Log({&v, 1}).ok()) state.SkipWithError("log failed");
    }
    benchmark::DoNotOptimize((*w)->Close());
    state.PauseTiming();
    bytes = 0;
    const std::vector<uint64_t> segments = *wal::ListSegments(Env::Default(), dir);
    for (uint64_t seg : segments) bytes += *Env::Default()->GetFileSize(wal::SegmentPath(dir, seg));
    state.ResumeTiming();
  }
  state.counters["wal_bytes_per_sample"] = static_cast<double>(bytes) / (records.size() * kSeriesPerTarget);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * records.size() * kSeriesPerTarget));
  state.SetLabel(std::string(wal::CompressionName(codec)));
  Env::Default()->RemoveDirRecursively(dir).IgnoreError();  // a scratch directory: best effort
}
BENCHMARK(BM_WalLogRealistic)->DenseRange(0, 2)->Unit(benchmark::kMillisecond);

// Checkpoint of a WAL holding the realistic records (2M samples, 100k
// series, Snappy, 8 MiB segments): keeps every other series and the newer
// half of the samples, as after a head truncation. items/s is input
// samples/s; counter checkpoint_bytes is the checkpoint's size on disk.
void BM_WalCheckpoint(benchmark::State& state) {
  const std::string dir = BenchDir("checkpoint");
  const std::vector<std::string>& samples = SampleRecords();
  const int64_t mint = 1700000000000LL + (kScrapes / 2) * 15000LL;
  uint64_t checkpoint_bytes = 0;
  for (auto _ : state) {
    state.PauseTiming();
    Env::Default()->RemoveDirRecursively(dir).IgnoreError();  // a scratch directory: best effort
    wal::WalOptions opts;
    opts.segment_size = 8 << 20;
    auto w = wal::Wal::Open(Env::Default(), dir, opts, nullptr, 0);
    if (!w.ok()) {
      state.SkipWithError(w.status().ToString().c_str());
      return;
    }
    for (const std::string& rec : SeriesRecords()) {
      const std::string_view v = rec;
      benchmark::DoNotOptimize((*w)->Log({&v, 1}));
    }
    for (const std::string& rec : samples) {
      const std::string_view v = rec;
      benchmark::DoNotOptimize((*w)->Log({&v, 1}));
    }
    benchmark::DoNotOptimize((*w)->Close());
    const auto range = *wal::SegmentRange(Env::Default(), dir);
    state.ResumeTiming();
    auto stats = wal::Checkpoint(
        Env::Default(), dir, range.first, range.second, [](SeriesRef ref) { return ref % 2 == 0; }, mint, nullptr);
    if (!stats.ok()) state.SkipWithError(stats.status().ToString().c_str());
    state.PauseTiming();
    checkpoint_bytes = 0;
    const std::string cp = dir + "/" + wal::CheckpointName(range.second);
    const std::vector<uint64_t> segments = *wal::ListSegments(Env::Default(), cp);
    for (uint64_t seg : segments) checkpoint_bytes += *Env::Default()->GetFileSize(wal::SegmentPath(cp, seg));
    state.ResumeTiming();
  }
  state.counters["checkpoint_bytes"] = static_cast<double>(checkpoint_bytes);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * samples.size() * kSeriesPerTarget));
  Env::Default()->RemoveDirRecursively(dir).IgnoreError();  // a scratch directory: best effort
}
BENCHMARK(BM_WalCheckpoint)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace promethium::tsdb
