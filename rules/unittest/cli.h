// `promethium test rules FILE...`: runs rule unit-test files (runner.h) and
// reports as `promtool test rules` does:
//
//   Unit Testing:  <file>          (stdout)
//     SUCCESS                      (stdout)
// or
//     FAILED:                      (stderr)
//   <each failure>                 (stderr, each followed by an empty line on stdout)
//
// followed by an empty line per file. Exit status: 0 when every file
// passed, 1 when any failed, 2 on a usage error (no subcommand other than
// `rules`, no files, unknown flags).
//
// Thread-safety: sets the process log level to errors only (rule evaluation
// warnings would drown the report); call it from main, before threads.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace promethium::rules::unittest {

// args: the words after `test` (e.g. {"rules", "a.yml"}); program names the
// binary in usage messages.
int RunTestCommand(const std::vector<std::string>& args, const std::string& program, std::ostream& out,
                   std::ostream& err);

}  // namespace promethium::rules::unittest
