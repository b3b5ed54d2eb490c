// A whole rule unit-test file (see runner.h); test groups are in
// test_group.cc.
#include "rules/unittest/runner.h"

#include <fmt/format.h>

#include <filesystem>

#include "rules/rulefmt/rulefmt.h"
#include "tsdb/base/env.h"

namespace promethium::rules::unittest {

namespace {

// rule_files joined to the test file's directory and globbed, one pattern
// at a time so that a pattern matching nothing can be reported.
Result<std::vector<std::string>> ResolveRuleFiles(const std::vector<std::string>& patterns, const std::string& dir,
                                                  std::ostream& warnings) {
  std::vector<std::string> files;
  for (const std::string& p : patterns) {
    PROMETHIUM_ASSIGN_OR_RETURN(std::vector<std::string> m, ExpandRuleFileGlobs({p}, dir));
    if (m.empty()) {
      const std::string shown = p.empty() || p.front() == '/' ? p : (std::filesystem::path(dir) / p).string();
      warnings << "  WARNING: no file match pattern " << shown << "\n";
    }
    files.insert(files.end(), m.begin(), m.end());
  }
  return files;
}

}  // namespace

std::vector<std::string> RunTestFile(const std::string& path, std::ostream& warnings) {
  Result<std::string> content = ReadFileToString(Env::Default(), path);
  if (!content.ok()) return {content.status().message()};
  Result<UnitTestFile> file = ParseUnitTestFile(*content);
  if (!file.ok()) return {fmt::format("{}: {}", path, file.status().message())};

  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  FileContext ctx;
  Result<std::vector<std::string>> rule_files = ResolveRuleFiles(file->rule_files, dir, warnings);
  if (!rule_files.ok()) return {rule_files.status().message()};
  ctx.rule_files = std::move(rule_files).value();
  if (file->evaluation_interval_ms != 0) ctx.evaluation_interval_ms = file->evaluation_interval_ms;
  for (size_t i = 0; i < file->group_eval_order.size(); ++i) {
    const std::string& g = file->group_eval_order[i];
    if (!ctx.group_order.emplace(g, static_cast<int>(i)).second) {
      return {"group name repeated in evaluation order: " + g};
    }
  }

  std::vector<std::string> errs;
  for (const TestGroup& tg : file->tests) {
    std::vector<std::string> e = RunTestGroup(tg, ctx);
    errs.insert(errs.end(), e.begin(), e.end());
  }
  return errs;
}

}  // namespace promethium::rules::unittest
