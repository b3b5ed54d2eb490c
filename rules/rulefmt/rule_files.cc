// ExpandRuleFileGlobs: the config's rule_files patterns to file paths, as
// Prometheus's config loading (JoinDir, the rule path check) and its rules
// reload (filepath.Glob) resolve them. See rulefmt.h.
#include <fmt/format.h>
#include <glob.h>

#include <set>
#include <string_view>

#include "promql/parser/quoting.h"
#include "rules/rulefmt/rulefmt.h"

namespace promethium::rules {
namespace {

// Prometheus's patRulePath, ^[^*]*(\*[^/]*)?$: '*' only in the last element.
bool IsValidRulePath(std::string_view pattern) {
  const size_t star = pattern.find('*');
  return star == std::string_view::npos || pattern.find('/', star) == std::string_view::npos;
}

// Go's filepath.Clean: lexical "."/".." and separator clean-up.
std::string CleanPath(std::string_view path) {
  if (path.empty()) return ".";
  const bool rooted = path.front() == '/';
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    std::string_view part = path.substr(i, j - i);
    i = j + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
        continue;
      }
      if (rooted) continue;  // "/.." is "/"
    }
    parts.push_back(part);
  }
  std::string out = rooted ? "/" : "";
  for (size_t k = 0; k < parts.size(); ++k) {
    if (k > 0) out += '/';
    out += parts[k];
  }
  return out.empty() ? "." : out;
}

// config.JoinDir: relative paths are taken from the config's directory.
std::string JoinDir(const std::string& dir, const std::string& path) {
  if (path.empty() || path.front() == '/') return path;
  return CleanPath(dir.empty() ? path : dir + "/" + path);
}

// Like filepath.Glob: sorted matches, '*' matching leading dots too, no match
// is not an error.
Result<std::vector<std::string>> Glob(const std::string& pattern) {
  std::vector<std::string> out;
  if (pattern.empty()) return out;
  glob_t g{};
  const int rc = ::glob(pattern.c_str(), GLOB_PERIOD, nullptr, &g);
  if (rc == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) {
      std::string_view p = g.gl_pathv[i];
      std::string_view base = p.substr(p.rfind('/') + 1);
      if (base == "." || base == "..") continue;  // Go lists neither
      out.emplace_back(p);
    }
  }
  ::globfree(&g);
  if (rc != 0 && rc != GLOB_NOMATCH) {
    return Status::InvalidArgument(fmt::format("error retrieving rule files for {}: glob failed", pattern));
  }
  return out;
}

}  // namespace

Result<std::vector<std::string>> ExpandRuleFileGlobs(const std::vector<std::string>& patterns,
                                                     const std::string& config_dir) {
  for (const std::string& p : patterns) {
    if (!IsValidRulePath(p)) return Status::InvalidArgument("invalid rule file path " + promql::GoQuote(p));
  }
  std::vector<std::string> files;
  std::set<std::string> seen;
  for (const std::string& p : patterns) {
    PROMETHIUM_ASSIGN_OR_RETURN(std::vector<std::string> matches, Glob(JoinDir(config_dir, p)));
    for (std::string& m : matches) {
      if (seen.insert(m).second) files.push_back(std::move(m));
    }
  }
  return files;
}

}  // namespace promethium::rules
