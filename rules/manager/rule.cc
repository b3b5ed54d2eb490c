// Rule base and the engine query function (see rule.h).
#include "rules/manager/rule.h"

#include <utility>
#include <variant>

#include "promql/engine/engine.h"

namespace promethium::rules {

QueryFunc EngineQueryFunc(promql::Engine* engine, Queryable* storage) {
  return [engine, storage](std::string_view expr, int64_t ts_ms) -> Result<promql::Vector> {
    promql::QueryResult res = engine->InstantQuery(*storage, expr, ts_ms);
    if (!res.ok()) return Status::InvalidArgument(res.error);
    if (auto* vec = std::get_if<promql::Vector>(&res.value)) return std::move(*vec);
    if (auto* sc = std::get_if<promql::Scalar>(&res.value)) {
      return promql::Vector{promql::VectorElement{Labels(), sc->t, sc->v}};
    }
    return Status::InvalidArgument("rule result is not a vector or scalar");
  };
}

std::string_view RuleHealthName(RuleHealth h) {
  switch (h) {
    case RuleHealth::kGood: return "ok";
    case RuleHealth::kBad: return "err";
    case RuleHealth::kUnknown: break;
  }
  return "unknown";
}

RuleStatus Rule::status() const {
  MutexLock l(&status_mu_);
  return status_;
}

void Rule::SetResult(const Status& st) {
  MutexLock l(&status_mu_);
  status_.health = st.ok() ? RuleHealth::kGood : RuleHealth::kBad;
  status_.last_error = st.ok() ? std::string() : st.message();
}

void Rule::SetTiming(int64_t started_wall_ms, double seconds) {
  MutexLock l(&status_mu_);
  status_.last_evaluation_ms = started_wall_ms;
  status_.evaluation_seconds = seconds;
}

}  // namespace promethium::rules
