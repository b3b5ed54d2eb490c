// `promethium test rules` (see cli.h).
#include "rules/unittest/cli.h"

#include "rules/unittest/runner.h"
#include "tsdb/base/logging.h"

namespace promethium::rules::unittest {

namespace {

int Usage(const std::string& program, const std::string& what, std::ostream& err) {
  err << program << ": error: " << what << "\n"
      << "usage: " << program << " test rules <test-rule-file>...\n"
      << "  Unit tests for rules (promtool's test-file format).\n";
  return 2;
}

}  // namespace

int RunTestCommand(const std::vector<std::string>& args, const std::string& program, std::ostream& out,
                   std::ostream& err) {
  if (args.empty()) return Usage(program, "expected command after 'test'", err);
  if (args[0] != "rules") return Usage(program, "expected command but got \"" + args[0] + "\"", err);
  std::vector<std::string> files;
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i].starts_with("-") && args[i] != "-") return Usage(program, "unknown flag '" + args[i] + "'", err);
    files.push_back(args[i]);
  }
  if (files.empty()) return Usage(program, "required argument 'test-rule-file' not provided", err);

  SetLogLevel(LogLevel::kError);
  bool failed = false;
  for (const std::string& f : files) {
    out << "Unit Testing:  " << f << "\n";
    out.flush();
    std::vector<std::string> errs = RunTestFile(f, err);
    if (errs.empty()) {
      out << "  SUCCESS\n";
    } else {
      failed = true;
      err << "  FAILED:\n";
      for (const std::string& e : errs) {
        err << e << "\n";
        err.flush();
        out << "\n";
      }
    }
    out << "\n";
    out.flush();
  }
  return failed ? 1 : 0;
}

}  // namespace promethium::rules::unittest
