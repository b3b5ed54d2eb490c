// Engine: evaluates PromQL instant and range queries against a Queryable.
//
// The engine reads storage only through the tsdb_api Querier interface. It
// enforces the query limits (timeout, max samples held at once, concurrency)
// and reports errors with Prometheus's error types and wording.
//
// Ownership: the engine does not own the Queryable. Results own their data.
// Thread-safety: an Engine is safe to use from many threads at once; at most
// `max_concurrency` queries evaluate together, further ones queue.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "promql/engine/value.h"
#include "promql/parser/parser.h"
#include "tsdb/api/storage.h"

namespace promethium {
class MetricsRegistry;
}

namespace promethium::promql {

struct EngineOptions {
  int64_t lookback_delta_ms = 5 * 60 * 1000;         // --query.lookback-delta
  std::chrono::milliseconds timeout{2 * 60 * 1000};  // --query.timeout
  int64_t max_samples = 50'000'000;                  // --query.max-samples
  int max_concurrency = 20;                          // --query.max-concurrency
  int64_t default_subquery_step_ms = 60 * 1000;      // global.evaluation_interval, as in Prometheus
  ParseOptions parse;                                // feature flags
  MetricsRegistry* metrics = nullptr;                // optional self-instrumentation
  // --query.max-memory: bytes one query may hold (points, series, label
  // sets, intermediate results; query_memory.h); <= 0: unlimited. The
  // server's flag has a protective default (docs/PROMQL.md).
  int64_t max_memory_bytes = 0;
  // Prometheus's promql-delayed-name-removal feature: __name__ is dropped at
  // the end of evaluation instead of by each operation (the promqltest
  // scripts are written for it). Off by default, as in Prometheus.
  bool enable_delayed_name_removal = false;
};

// Prometheus's API error types (errorType in JSON).
enum class QueryErrorType { kNone, kBadData, kExecution, kTimeout, kCanceled, kInternal };
std::string_view QueryErrorTypeName(QueryErrorType t);  // "bad_data", "execution", ...

struct QueryStats {
  double total_time_seconds = 0;
  int64_t total_queryable_samples = 0;
  int64_t peak_samples = 0;
  int64_t peak_memory_bytes = 0;  // QueryMemory's peak (--query.max-memory)
};

struct QueryResult {
  Value value;
  std::vector<std::string> warnings;  // "PromQL warning: ..." annotations
  std::vector<std::string> infos;     // "PromQL info: ..." annotations
  QueryStats stats;
  QueryErrorType error_type = QueryErrorType::kNone;
  std::string error;  // Prometheus's message when error_type != kNone
  bool ok() const { return error_type == QueryErrorType::kNone; }
};

struct QueryOptions {
  int64_t lookback_delta_ms = 0;                // 0: the engine default
  std::chrono::milliseconds timeout{0};         // 0: the engine default; the smaller wins
  const std::atomic<bool>* canceled = nullptr;  // set by the caller, e.g. on client disconnect
};

class Engine {
 public:
  explicit Engine(EngineOptions opts);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Evaluates `query` at time ts (ms).
  QueryResult InstantQuery(Queryable& storage, std::string_view query, int64_t ts_ms, const QueryOptions& opts = {});
  // Evaluates `query` at start, start+step, ... <= end (ms). The result is a
  // Matrix (or a parse/eval error; a string result is a bad_data error).
  QueryResult RangeQuery(Queryable& storage, std::string_view query, int64_t start_ms, int64_t end_ms, int64_t step_ms,
                         const QueryOptions& opts = {});

  const EngineOptions& options() const { return opts_; }

 private:
  struct Impl;
  class AdmissionTicket;
  // Waits for an evaluation slot (max_concurrency) until deadline/cancel.
  Result<std::unique_ptr<AdmissionTicket>> Admit(std::chrono::steady_clock::time_point deadline,
                                                 const std::atomic<bool>* canceled);

  EngineOptions opts_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace promethium::promql
