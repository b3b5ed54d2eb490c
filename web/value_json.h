// JSON rendering of PromQL query results, exactly as Prometheus's API:
//   {"resultType":"vector","result":[{"metric":{...},"value":[t,"v"]}]}
//   {"resultType":"matrix","result":[{"metric":{...},"values":[[t,"v"],...]}]}
// and for native histograms "histogram":[t,{"count":"..","sum":"..",
// "buckets":[[rule,"lower","upper","count"],...]}] in a vector element,
// "histograms":[[t,{...}],...] in a matrix series (Prometheus's
// jsonutil.MarshalHistogram; rule 0: (lower,upper], 1: [lower,upper),
// 2: (lower,upper), 3: [lower,upper]; only populated buckets).
//   {"resultType":"scalar","result":[t,"v"]}
//   {"resultType":"string","result":[t,"text"]}
// Timestamps are float seconds with millisecond digits; values are strings.
//
// Thread-safety: pure functions.
#pragma once

#include "promql/engine/engine.h"
#include "promql/engine/value.h"
#include "web/json_writer.h"

namespace promethium::web {

// Writes the "result" value (the array) for v.
void WriteResultValue(JsonWriter* w, const promql::Value& v);
// Writes the whole "data" object: resultType, result and, when with_stats,
// Prometheus's "stats" object built from the engine's QueryStats.
void WriteQueryData(JsonWriter* w, const promql::Value& v, const promql::QueryStats* stats);

}  // namespace promethium::web
