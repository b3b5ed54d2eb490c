// The promqltest script format (Prometheus's promql/promqltest): parsing of
// `load`, `clear` and `eval` commands and `expect` lines. Series
// descriptions (`1+2x3`, `_x2`, `stale`) come from promql/seriesnotation.
//
// Native-histogram values ({{...}}) are decoded by the series notation.
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "promql/seriesnotation/series_notation.h"
#include "tsdb/api/labels.h"
#include "tsdb/base/result.h"

namespace promethium::promqltest {

// Series descriptions are parsed by promql/seriesnotation.
using promql::seriesnotation::ParseNumber;
using promql::seriesnotation::ParseSeriesDesc;
using promql::seriesnotation::SequenceValue;
using promql::seriesnotation::SeriesDesc;

struct LoadCmd {
  int line = 0;
  int64_t interval_ms = 0;
  bool with_nhcb = false;
  std::vector<SeriesDesc> series;
};

enum class ExpectType { kOrdered, kFail, kWarn, kNoWarn, kInfo, kNoInfo };

struct ExpectCmd {
  ExpectType type;
  std::optional<std::string> message;  // exact match
  std::optional<std::string> regex;    // unanchored match; neither set: any
};

struct EvalCmd {
  int line = 0;
  std::string expr;
  bool is_range = false;
  int64_t start_ms = 0;  // instant: the eval time
  int64_t end_ms = 0;
  int64_t step_ms = 0;
  bool fail = false;  // eval_fail or expect fail
  bool warn = false;  // eval_warn
  bool info = false;  // eval_info
  bool ordered = false;
  std::vector<ExpectCmd> expects;
  std::optional<std::string> expected_fail_message;
  std::optional<std::string> expected_fail_regexp;
  std::optional<std::string> expected_string;
  bool expect_range_vector = false;  // instant query returning a matrix
  int64_t rv_start_ms = 0, rv_end_ms = 0, rv_step_ms = 0;
  bool expect_scalar = false;
  double scalar_value = 0;
  std::vector<SeriesDesc> expected;  // in file order (position = index + 1)
};

struct Command {
  enum class Kind { kLoad, kClear, kEval } kind;
  LoadCmd load;
  EvalCmd eval;
};

// Parses a whole script. Errors name the line ("line 12: ...").
Result<std::vector<Command>> ParseScript(std::string_view text);

}  // namespace promethium::promqltest
