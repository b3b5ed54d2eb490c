// Remote write sender: the cost of encoding one full batch
// (max_samples_per_send = 2000 samples of 2000 series with 8 labels each)
// as a snappy-compressed 1.0 WriteRequest or 2.0 Request, which each shard
// pays per request (items/s; the compressed bytes per sample as a counter).
#include <benchmark/benchmark.h>

#include <climits>
#include <string>
#include <vector>

#include "remote/write/codec.h"

namespace promethium::remote {
namespace {

std::vector<QueueItem> Batch(int n) {
  std::vector<QueueItem> items(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    const std::string id = std::to_string(i);
    auto series = std::make_shared<const SeriesEntry>(SeriesEntry{Labels{{"__name__", "node_cpu_seconds_total"},
                                                                         {"cluster", "eu-west-1"},
                                                                         {"cpu", std::to_string(i % 64)},
                                                                         {"instance", "10.0.0." + id + ":9100"},
                                                                         {"job", "node"},
                                                                         {"mode", i % 2 ? "user" : "system"},
                                                                         {"region", "eu"},
                                                                         {"replica", "a"}}});
    items[static_cast<size_t>(i)].series = std::move(series);
    items[static_cast<size_t>(i)].t = 1'700'000'000'000 + i;
    items[static_cast<size_t>(i)].v = i * 1.5;
  }
  return items;
}

void BM_EncodeBatch(benchmark::State& state) {
  const auto protocol = state.range(0) == 1 ? WriteProtocol::kV1 : WriteProtocol::kV2;
  const std::vector<QueueItem> items = Batch(2000);
  size_t bytes = 0;
  for (auto _ : state) {
    Result<EncodedBatch> enc = EncodeBatch(protocol, items, nullptr, INT64_MIN);
    bytes = enc->body.size();
    benchmark::DoNotOptimize(enc);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(items.size()));
  state.counters["bytes_per_sample"] = static_cast<double>(bytes) / static_cast<double>(items.size());
}
BENCHMARK(BM_EncodeBatch)->Arg(1)->Arg(2)->ArgName("protocol");

}  // namespace
}  // namespace promethium::remote
