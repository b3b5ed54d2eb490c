// The text of promtool's rule unit-test failures (Prometheus 2.42's
// cmd/promtool/unittest.go), so that messages read the same:
//
//     alertname: HighLoad, time: 10m,
//         exp:[
//             0:
//               Labels:{alertname="HighLoad", instance="a"}
//               Annotations:{summary="..."}
//             ],
//         got:[]
//     expr: "sum(x)", time: 5m,
//         exp: {job="a"} 1E+00
//         got: nil
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rules/unittest/test_file.h"

namespace promethium::rules::unittest {

// One alert as promtool compares it: its labels and annotations.
struct AlertLabels {
  LabelPairs labels;
  LabelPairs annotations;
  friend bool operator==(const AlertLabels&, const AlertLabels&) = default;
  friend auto operator<=>(const AlertLabels&, const AlertLabels&) = default;
};

// One sample as promtool compares it (values compare with ==, so NaN never
// equals NaN, as reflect.DeepEqual).
struct ParsedSample {
  LabelPairs labels;
  double value = 0;
  // FloatHistogram::TestExpression() of a histogram sample, else empty.
  std::string histogram;
};

// Go's time.Duration.String() of a millisecond duration: "10m0s", "1h0m0s",
// "1.5s", "500ms", "0s".
std::string GoDurationString(int64_t ms);
// Prometheus's labels.String(): {a="b", c="d"} (values Go-quoted).
std::string LabelPairsString(const LabelPairs& ls);
// promtool's indentLines: `indent` before every line but the first.
std::string IndentLines(std::string_view text, std::string_view indent);
// labelsAndAnnotations.String(): "[]" or "[\n0:\n  Labels:...\n  Annotations:...\n]".
std::string AlertsString(const std::vector<AlertLabels>& alerts);
// parsedSamplesString: "nil" or `{a="b"} 1E+00, ...` (Go's 'E' float format).
std::string SamplesString(const std::vector<ParsedSample>& samples);

}  // namespace promethium::rules::unittest
