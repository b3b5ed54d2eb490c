// Every query in Prometheus's PromQL test scripts (promqltest format, the
// in-repo copy PROMQL_TESTS_DIR/*.test = tests/promqltest/testdata) must parse, except those the
// file itself expects to fail ("expect fail" or the legacy eval_fail).
// The parse -> print -> parse round trip must also be stable for each.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "promql/parser/parser.h"

namespace promethium::promql {
namespace {

struct EvalQuery {
  std::string file;
  int line = 0;
  std::string query;
  bool may_fail = false;
};

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  size_t e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// The query of an eval line, or "" when the line is not one:
//   eval[_suffix] instant at <time> <query>
//   eval[_suffix] range from <a> to <b> step <d> <query>
std::string QueryOf(const std::string& line) {
  std::istringstream in(line);
  std::string cmd, kind;
  in >> cmd >> kind;
  if (cmd.rfind("eval", 0) != 0) return "";
  int skip = kind == "instant" ? 2 : kind == "range" ? 6 : -1;  // "at t" / "from a to b step d"
  if (skip < 0) return "";
  std::string word;
  for (int i = 0; i < skip; i++) in >> word;
  std::string rest;
  std::getline(in, rest);
  return Trim(rest);
}

std::vector<EvalQuery> LoadQueries(const std::filesystem::path& dir) {
  std::vector<EvalQuery> out;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".test") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& path : files) {
    std::ifstream f(path);
    std::string line;
    int lineno = 0;
    EvalQuery* current = nullptr;
    while (std::getline(f, line)) {
      lineno++;
      std::string query = QueryOf(line);
      if (!query.empty()) {
        out.push_back({path.filename().string(), lineno, query, line.rfind("eval_fail", 0) == 0});
        current = &out.back();
        continue;
      }
      if (current && !line.empty() && (line[0] == ' ' || line[0] == '\t')) {
        if (Trim(line).rfind("expect fail", 0) == 0) current->may_fail = true;
        continue;
      }
      current = nullptr;
    }
  }
  return out;
}

TEST(PromqlTestsTest, EveryQueryParses) {
  const std::filesystem::path dir = PROMQL_TESTS_DIR;
  // The scripts are part of the checkout; a missing or empty copy fails, never skips.
  ASSERT_TRUE(std::filesystem::exists(dir)) << "no " << dir;
  ParseOptions opts;  // promqltest enables the experimental functions
  opts.enable_experimental_functions = true;
  opts.enable_limit_aggregations = true;
  std::vector<EvalQuery> queries = LoadQueries(dir);
  ASSERT_GT(queries.size(), 1000u);
  int parsed = 0;
  for (const auto& q : queries) {
    auto e = ParseExpr(q.query, opts);
    if (q.may_fail && !e.ok()) continue;
    EXPECT_TRUE(e.ok()) << q.file << ":" << q.line << ": " << q.query << "\n  " << e.status().message();
    if (!e.ok()) continue;
    parsed++;
    std::string printed = ToString(**e);
    auto again = ParseExpr(printed, opts);
    EXPECT_TRUE(again.ok()) << q.file << ":" << q.line << ": " << printed << "\n  " << again.status().message();
    if (again.ok()) {
      EXPECT_EQ(ToString(**again), printed) << q.file << ":" << q.line;
    }
  }
  EXPECT_GT(parsed, 1000);
}

}  // namespace
}  // namespace promethium::promql
