// Rule: what recording and alerting rules share, as Prometheus's rules.Rule.
//
// A rule evaluates its PromQL expression through a QueryFunc at one
// evaluation time and returns the samples to append (RecordingRule: the
// renamed result; AlertingRule: ALERTS / ALERTS_FOR_STATE). The Group that
// owns the rule appends them and records the outcome here (health, last
// error, when and how long), which the API reads.
//
// QueryFunc is the seam to the PromQL engine: EngineQueryFunc builds one
// over a promql::Engine and a Queryable, converting a scalar result into a
// one-element vector without labels, as Prometheus's EngineQueryFunc does.
// Tests may pass any function.
//
// Ownership: a Rule is owned by its Group. The QueryFunc given to Eval is
// borrowed for the call.
// Thread-safety: Eval is called by one thread at a time (the group's
// evaluation); the status accessors may be called from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "promql/engine/value.h"
#include "tsdb/api/labels.h"
#include "tsdb/api/storage.h"
#include "tsdb/base/result.h"
#include "tsdb/base/thread_annotations.h"

namespace promethium::promql {
class Engine;
}

namespace promethium::rules {

// Evaluates `expr` at ts_ms as an instant query; a vector or a scalar
// (converted) result, anything else is an error.
using QueryFunc = std::function<Result<promql::Vector>(std::string_view expr, int64_t ts_ms)>;

// A QueryFunc over the engine and storage (both borrowed; they must outlive
// every use of the function). Errors carry the engine's message.
QueryFunc EngineQueryFunc(promql::Engine* engine, Queryable* storage);

enum class RuleHealth { kUnknown, kGood, kBad };
// "unknown", "ok", "err": the API's rule health strings.
std::string_view RuleHealthName(RuleHealth h);

// What one evaluation needs besides the rule itself.
struct RuleEvalContext {
  int64_t ts_ms = 0;            // the group's evaluation time
  int64_t query_offset_ms = 0;  // subtracted from ts_ms for the query and the output samples
  const QueryFunc* query = nullptr;
  int64_t limit = 0;         // <= 0: unlimited
  int32_t ts_sub_ms_ns = 0;  // nanoseconds past ts_ms: Prometheus's evaluation instants are ns-precise
};

// The outcome of the latest evaluation, for the API.
struct RuleStatus {
  RuleHealth health = RuleHealth::kUnknown;
  std::string last_error;          // empty when none
  int64_t last_evaluation_ms = 0;  // wall clock when it started, 0 = never
  double evaluation_seconds = 0;   // how long it took
};

class Rule {
 public:
  virtual ~Rule() = default;
  Rule(const Rule&) = delete;
  Rule& operator=(const Rule&) = delete;

  // The record or alert name.
  virtual const std::string& name() const = 0;
  // The rule labels (group labels merged with the rule's, the rule's win);
  // raw template texts for alerting rules.
  virtual const Labels& labels() const = 0;
  virtual const std::string& expr() const = 0;
  // A canonical text of the rule's definition: equal definitions, equal
  // texts (Prometheus compares rules by their YAML form on reload).
  virtual std::string Definition() const = 0;
  virtual bool is_alerting() const = 0;

  // Evaluates at ctx.ts_ms. Health and last error are set by the group.
  virtual Result<promql::Vector> Eval(const RuleEvalContext& ctx) = 0;

  RuleStatus status() const EXCLUDES(status_mu_);
  void SetResult(const Status& st) EXCLUDES(status_mu_);
  void SetTiming(int64_t started_wall_ms, double seconds) EXCLUDES(status_mu_);

 protected:
  Rule() = default;

 private:
  mutable Mutex status_mu_;
  RuleStatus status_ GUARDED_BY(status_mu_);
};

}  // namespace promethium::rules
