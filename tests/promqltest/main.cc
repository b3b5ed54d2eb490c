// promqltest: runs Prometheus's PromQL test scripts against Promethium's
// engine and reports, per file, passed/failed/skipped evals.
//
//   promqltest [--storage=head|memory] [--allow-failures] [--quiet]
//              [--no-delayed-name-removal] [--known-failures=<file>]
//              [--show-known] <file.test|dir>...
//
// --known-failures names the list of evals expected to fail
// (known_failures.txt, see known_failures.h): they still run; a listed eval
// that passes, or an entry that names no command, is a failure.
//
// --storage=head (the default) loads the data into a real tsdb::DB in a
// temporary directory; --storage=memory uses the small in-memory store.
//
// The scripts are written for the promql-delayed-name-removal feature;
// --no-delayed-name-removal runs them in Prometheus's default mode instead
// (some name-dropping evals then legitimately differ).
//
// Exit status: 0 when every eval passed or is a listed known failure (with
// --allow-failures: whenever every script could be parsed and run), 1
// otherwise, 2 on usage errors.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/promqltest/runner.h"
#include "tsdb/base/logging.h"

namespace {

std::vector<std::string> CollectFiles(const std::vector<std::string>& args) {
  std::vector<std::string> files;
  for (const auto& a : args) {
    std::error_code ec;
    if (std::filesystem::is_directory(a, ec)) {
      std::vector<std::string> in_dir;
      for (const auto& e : std::filesystem::directory_iterator(a, ec)) {
        if (e.path().extension() == ".test") in_dir.push_back(e.path().string());
      }
      std::sort(in_dir.begin(), in_dir.end());
      files.insert(files.end(), in_dir.begin(), in_dir.end());
    } else {
      files.push_back(a);
    }
  }
  return files;
}

}  // namespace

int main(int argc, char** argv) {
  using promethium::promqltest::Runner;
  using promethium::promqltest::StorageKind;
  bool allow_failures = false, quiet = false, delayed_name_removal = true, verbose_known = false;
  StorageKind storage = StorageKind::kHead;
  std::string known_failures_path;
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--allow-failures") {
      allow_failures = true;
    } else if (a == "--show-known") {
      verbose_known = true;  // print the known failures' current errors too
    } else if (a == "--quiet") {
      quiet = true;
    } else if (a == "--no-delayed-name-removal") {
      delayed_name_removal = false;  // Prometheus's default mode
    } else if (a.starts_with("--storage=")) {
      auto kind = promethium::promqltest::ParseStorageKind(a.substr(std::string_view("--storage=").size()));
      if (!kind.ok()) {
        std::fprintf(stderr, "promqltest: %s\n", kind.status().message().c_str());
        return 2;
      }
      storage = *kind;
    } else if (a.starts_with("--known-failures=")) {
      known_failures_path = a.substr(std::string_view("--known-failures=").size());
    } else if (a.starts_with("--")) {
      std::fprintf(stderr,
                   "usage: promqltest [--storage=head|memory] [--allow-failures] [--quiet] [--no-delayed-name-removal] "
                   "[--known-failures=<file>] [--show-known] <file.test|dir>...\n");
      return 2;
    } else {
      args.push_back(a);
    }
  }
  // The head logs every DB it opens; one per `clear` would drown the report.
  promethium::SetLogLevel(promethium::LogLevel::kWarn);
  std::vector<std::string> files = CollectFiles(args);
  if (files.empty()) {
    std::fprintf(stderr, "promqltest: no test files given\n");
    return 2;
  }
  promethium::promqltest::KnownFailures known;
  if (!known_failures_path.empty()) {
    std::ifstream in(known_failures_path);
    if (!in) {
      std::fprintf(stderr, "promqltest: cannot open %s\n", known_failures_path.c_str());
      return 2;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    auto parsed = promethium::promqltest::KnownFailures::Parse(ss.str());
    if (!parsed.ok()) {
      std::fprintf(stderr, "promqltest: %s\n", parsed.status().message().c_str());
      return 2;
    }
    known = std::move(parsed).value();
  }
  auto options = Runner::TestEngineOptions();
  options.enable_delayed_name_removal = delayed_name_removal;
  promethium::promql::Engine engine(options);
  int passed = 0, failed = 0, known_failed = 0;
  bool broken = false;
  for (const auto& f : files) {
    std::ifstream in(f);
    if (!in) {
      std::printf("%s: cannot open\n", f.c_str());
      broken = true;
      continue;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    std::string name = std::filesystem::path(f).filename().string();
    Runner runner(&engine, storage, &known);
    auto res = runner.RunScript(name, ss.str());
    if (!res.script_error.empty()) {
      std::printf("%s: script error: %s\n", name.c_str(), res.script_error.c_str());
      broken = true;
      continue;
    }
    if (!quiet) {
      for (const auto& fl : res.failures) std::printf("FAIL %s\n", fl.c_str());
    }
    if (verbose_known) {
      for (const auto& fl : res.known_failures) std::printf("KNOWN %s\n", fl.c_str());
    }
    std::printf("%s: %d passed, %d failed, %d known failures\n", name.c_str(), res.passed, res.failed,
                res.known_failed);
    passed += res.passed;
    failed += res.failed;
    known_failed += res.known_failed;
  }
  std::printf("promqltest: %d passed, %d failed, %d known failures\n", passed, failed, known_failed);
  if (broken) return 1;
  if (allow_failures) return 0;
  return failed > 0 ? 1 : 0;
}
