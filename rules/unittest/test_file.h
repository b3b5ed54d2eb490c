// The rule unit-test file format of `promtool test rules` (Prometheus 2.42's
// cmd/promtool/unittest.go), decoded from YAML:
//
//   rule_files: [<glob>, ...]          # relative to the test file's directory
//   evaluation_interval: <duration>    # default 1m
//   group_eval_order: [<group name>, ...]
//   tests:
//     - name: <string>
//       interval: <duration>           # spacing of input samples (and the groups' default interval)
//       external_labels: {<name>: <value>}
//       external_url: <string>
//       input_series:
//         - series: <metric{labels}>
//           values: <expanding notation: '1+1x10 _ stale'>
//       alert_rule_test:
//         - eval_time: <duration>
//           alertname: <string>
//           exp_alerts:
//             - exp_labels: {<name>: <value>}
//               exp_annotations: {<name>: <value>}
//       promql_expr_test:
//         - expr: <PromQL>
//           eval_time: <duration>
//           exp_samples:
//             - labels: <metric{labels}>
//               value: <float>
//               histogram: <series notation '{{...}}'>  (promtool 3.x)
//
// Decoding is strict like yaml.v2's UnmarshalStrict: unknown fields and
// type mismatches are errors. `value` takes YAML floats (`1`, `2.5e3`,
// `.inf`, `.nan`); a quoted string or `NaN` is refused, as promtool does.
// Maps keep their entries as given, including empty values (promtool
// compares them as labels.FromMap does).
//
// Ownership: plain values. Thread-safety: reentrant functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tsdb/api/labels.h"
#include "tsdb/base/result.h"

namespace promethium::rules::unittest {

// Name-sorted (name, value) pairs that, unlike Labels, may hold empty values.
using LabelPairs = std::vector<Label>;

struct InputSeries {
  std::string series;
  std::string values;
};

struct ExpAlert {
  LabelPairs labels;
  LabelPairs annotations;
};

struct AlertTestCase {
  int64_t eval_time_ms = 0;
  std::string alertname;
  std::vector<ExpAlert> exp_alerts;
};

struct ExpSample {
  std::string labels;  // parsed when the test runs (a bad one fails that test only)
  double value = 0;
  // promtool's `histogram:` (one `{{...}}` of the series notation), parsed
  // when the test runs; empty for a float sample.
  std::string histogram;
};

struct PromqlTestCase {
  std::string expr;
  int64_t eval_time_ms = 0;
  std::vector<ExpSample> exp_samples;
};

struct TestGroup {
  std::string name;
  int64_t interval_ms = 0;
  std::vector<InputSeries> input_series;
  std::vector<AlertTestCase> alert_rule_tests;
  std::vector<PromqlTestCase> promql_expr_tests;
  Labels external_labels;
  std::string external_url;
};

struct UnitTestFile {
  std::vector<std::string> rule_files;  // as written
  int64_t evaluation_interval_ms = 0;   // 0: unset (the runner uses 1m)
  std::vector<std::string> group_eval_order;
  std::vector<TestGroup> tests;
};

// Decodes a test file's content. Errors are InvalidArgument with a
// "line:col: what" message.
Result<UnitTestFile> ParseUnitTestFile(std::string_view content);

}  // namespace promethium::rules::unittest
