// Runner: executes promqltest scripts against the PromQL engine over a
// TestStorage (the real TSDB head by default, or the in-memory store) and
// checks results as Prometheus's promqltest does (values
// almost-equal with relative epsilon 1e-6, NaN equals NaN, exact label sets,
// annotations and expected failures).
//
// Native histograms are loaded ({{...}} values, and with `load_with_nhcb`
// the classic histograms converted to NHCB) and compared as Prometheus's
// promqltest does. Evals listed in known_failures.txt (KnownFailures) are
// run too: failing, they count as known failures; passing, they fail the
// script, so the list stays exact. Nothing is skipped.
// Each `load` is appended as one batch and committed; a rejected sample
// counts as a failure of the script (reported with the load's line).
// Ownership: borrows the Engine and the KnownFailures; owns its storage.
// Thread-safety: one runner per thread.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "promql/engine/engine.h"
#include "tests/promqltest/known_failures.h"
#include "tests/promqltest/script.h"
#include "tests/promqltest/test_storage.h"

namespace promethium::promqltest {

struct FileResult {
  std::string file;
  int passed = 0;
  int failed = 0;
  int known_failed = 0;                     // failing and listed in the known failures
  std::vector<std::string> failures;        // "file:line: query: what", one per failing eval
  std::vector<std::string> known_failures;  // the same for the listed ones
  std::string script_error;                 // set when the file could not be parsed
};

class Runner {
 public:
  // `known` may be null (no eval is expected to fail).
  explicit Runner(promql::Engine* engine, StorageKind storage = StorageKind::kHead,
                  const KnownFailures* known = nullptr)
      : engine_(engine), storage_kind_(storage), known_(known) {}

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
  // Books the outcome of the command at `line` (err empty: it passed).
  void Record(FileResult* res, int line, const std::string& what, const std::string& err) const;

  promql::Engine* engine_;
  StorageKind storage_kind_;
  const KnownFailures* known_;
  std::unique_ptr<TestStorage> storage_;
};

// Prometheus's almost.Equal (stale markers only equal each other).
bool AlmostEqual(double a, double b, double epsilon);

}  // namespace promethium::promqltest
