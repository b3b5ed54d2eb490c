// Fuzz target: the PromQL engine (promql/engine) on arbitrary queries over a
// small fixed in-memory dataset (MemoryStorage, the store the engine and
// promqltest tests use). Each input is a query, run as an instant query and
// as a range query with tight limits (1 s, 200k samples), so that a query
// that runs away is bounded by the engine's own limits; a hang past
// libFuzzer's -timeout is a finding.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "promql/engine/engine.h"
#include "tests/fuzz/fuzz_dataset.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 2048) return 0;
  static promethium::MemoryStorage* storage = promethium::fuzz::MakeDataset().release();
  static promethium::promql::Engine* engine = [] {
    promethium::promql::EngineOptions opts;
    opts.timeout = std::chrono::milliseconds(1000);
    opts.max_samples = 200000;
    opts.max_concurrency = 1;
    opts.parse.enable_experimental_functions = true;
    opts.parse.enable_limit_aggregations = true;
    return new promethium::promql::Engine(opts);
  }();
  std::string_view query(reinterpret_cast<const char*>(data), size);
  auto instant = engine->InstantQuery(*storage, query, 300000);
  if (instant.error_type == promethium::promql::QueryErrorType::kBadData) return 0;  // did not parse
  (void)engine->RangeQuery(*storage, query, 0, 600000, 60000);
  return 0;
}
