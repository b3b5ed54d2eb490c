// Rule unit tests as `promtool test rules` runs them (Prometheus 2.42):
//
// For a test file: decode it (test_file.h), resolve rule_files against the
// file's directory and glob them (a pattern matching nothing is a warning),
// default evaluation_interval to 1m, number group_eval_order; then, for
// every test group:
//  1. parse input_series in the series notation, spaced `interval` apart;
//  2. load the rule files through rules::Manager, as the server does
//     (rulefmt validation, template checking, group labels, external labels
//     and URL); groups without an interval get the test's `interval`;
//  3. order the groups by group_eval_order (groups not listed go first) and
//     mark alerting rules restored, so ALERTS is written from the start;
//  4. for ts = 0, eval, 2*eval, ... up to the largest eval_time: append the
//     input samples up to ts, evaluate every group once at ts, stop the
//     test group at the first rule error ("rule: X, time: 1m0s, err: ...");
//     then check every alert_rule_test whose eval_time is in
//     [ts, ts + evaluation_interval): the *firing* alerts of that alertname
//     (pending ones do not count in 2.42) must have exactly the expected
//     labels (plus alertname) and annotations;
//  5. run every promql_expr_test as an instant query at its eval_time (a
//     scalar becomes one sample without labels) and compare the samples,
//     sorted by labels, with exact float equality (NaN never matches).
// The engine is set up as promtool's: 5m lookback, at most 10000 samples
// per query, 100s timeout, subqueries without a step use
// evaluation_interval.
//
// Ownership: plain values in, messages out. Thread-safety: a run uses only
// its own state (the process log level aside); runs may go in parallel.
#pragma once

#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "rules/unittest/test_file.h"

namespace promethium::rules::unittest {

// What every test group of a file shares.
struct FileContext {
  std::vector<std::string> rule_files;  // resolved and globbed
  int64_t evaluation_interval_ms = 60 * 1000;
  std::map<std::string, int> group_order;  // group name -> position in group_eval_order
};

// Runs one test group; returns promtool's failure messages (empty: passed).
std::vector<std::string> RunTestGroup(const TestGroup& tg, const FileContext& ctx);

// Runs a whole test file; returns the failure messages (empty: passed).
// Warnings (a rule_files pattern matching nothing) are written to `warnings`.
std::vector<std::string> RunTestFile(const std::string& path, std::ostream& warnings);

}  // namespace promethium::rules::unittest
