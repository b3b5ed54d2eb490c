// Runner: executes promqltest scripts against the PromQL engine over a
// TestStorage (the real TSDB head by default, or the in-memory store) and
// checks results as Prometheus's promqltest does (values
// almost-equal with relative epsilon 1e-6, NaN equals NaN, exact label sets,
// annotations and expected failures).
//
// Evals that need native histograms are skipped and counted by reason.
// Each `load` is appended as one batch and committed; a rejected sample
// counts as a failure of the script (reported with the load's line).
// Ownership: borrows the Engine; owns its storage. Thread-safety: one runner
// per thread.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "promql/engine/engine.h"
#include "tests/promqltest/script.h"
#include "tests/promqltest/test_storage.h"

namespace promethium::promqltest {

struct FileResult {
  std::string file;
  int passed = 0;
  int failed = 0;
  int skipped = 0;
  std::map<std::string, int> skip_reasons;
  std::vector<std::string> failures;  // "file:line: query: what", one per failing eval
  std::string script_error;           // set when the file could not be parsed
};

class Runner {
 public:
  explicit Runner(promql::Engine* engine, StorageKind storage = StorageKind::kHead)
      : engine_(engine), storage_kind_(storage) {}

  FileResult RunScript(const std::string& name, std::string_view text);

  // Engine options the scripts are written for (delayed name removal,
  // experimental functions, 1m default subquery step).
  static promql::EngineOptions TestEngineOptions();

 private:
  // Appends the load's samples as one batch; empty on success.
  std::string Load(const LoadCmd& cmd);
  // Empty when passing; otherwise why the eval failed.
  std::string RunEval(const EvalCmd& cmd);
  // Runs one query (the eval's or a rewritten form) at eval_ms and checks it.
  std::string RunQuery(const EvalCmd& cmd, const std::string& query, int64_t eval_ms);
  std::string SkipReason(const EvalCmd& cmd) const;

  promql::Engine* engine_;
  StorageKind storage_kind_;
  std::unique_ptr<TestStorage> storage_;
  std::vector<Labels> histogram_series_;  // series with native/NHCB histogram samples
};

// Prometheus's almost.Equal (stale markers only equal each other).
bool AlmostEqual(double a, double b, double epsilon);

}  // namespace promethium::promqltest
