#include "scrape/discovery/file_sd.h"

#include <fmt/format.h>
#include <glob.h>
#include <sys/stat.h>

#include <cctype>
#include <set>

#include "scrape/discovery/target_group_parse.h"
#include "tsdb/base/env.h"
#include "tsdb/base/logging.h"

namespace promethium::scrape {
namespace {

constexpr std::string_view kFilepathLabel = "__meta_filepath";
constexpr uint64_t kMaxFileBytes = 64ULL << 20;  // a target list bigger than this is a mistake

bool HasSuffix(const std::string& s, std::string_view suffix) {
  if (s.size() < suffix.size()) return false;
  std::string tail = s.substr(s.size() - suffix.size());
  for (char& c : tail) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return tail == suffix;
}

}  // namespace

std::vector<std::string> ExpandFilePatterns(const std::vector<std::string>& patterns) {
  std::set<std::string> paths;
  for (const std::string& pattern : patterns) {
    glob_t g{};
    int rc = ::glob(pattern.c_str(), GLOB_NOSORT, nullptr, &g);
    if (rc == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) paths.insert(g.gl_pathv[i]);
    } else if (rc != GLOB_NOMATCH) {
      LogError("discovery", "error expanding file_sd pattern {}: glob failed with code {}", pattern, rc);
    }
    ::globfree(&g);
  }
  return {paths.begin(), paths.end()};
}

Result<std::vector<TargetGroup>> ReadTargetGroupFile(const std::string& path) {
  Env* env = Env::Default();
  PROMETHIUM_ASSIGN_OR_RETURN(uint64_t size, env->GetFileSize(path));
  if (size > kMaxFileBytes) return Status::ResourceExhausted(fmt::format("file {} is too large", path));
  PROMETHIUM_ASSIGN_OR_RETURN(std::string text, ReadFileToString(env, path));
  Result<std::vector<TargetGroup>> groups = Status::Internal("unreachable");
  if (HasSuffix(path, ".json")) {
    groups = ParseTargetGroupsJson(text, path);
  } else if (HasSuffix(path, ".yml") || HasSuffix(path, ".yaml")) {
    groups = ParseTargetGroupsYaml(text, path);
  } else {
    return Status::InvalidArgument(fmt::format("retrieval target file {} has an unknown extension", path));
  }
  if (!groups.ok()) return groups.status();
  for (TargetGroup& g : *groups) {
    LabelsBuilder b(g.labels);
    b.Set(kFilepathLabel, path);
    g.labels = b.Build();
  }
  return groups;
}

FileDiscoverer::FileDiscoverer(FileSDConfig config, Counter* read_errors)
    : config_(std::move(config)), read_errors_(read_errors) {}

std::map<std::string, FileDiscoverer::Stamp> FileDiscoverer::CurrentStamps() const {
  std::map<std::string, Stamp> stamps;
  for (const std::string& path : ExpandFilePatterns(config_.files)) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) continue;  // vanished between glob and stat
    int64_t mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    stamps[path] = {mtime_ns, static_cast<int64_t>(st.st_size)};
  }
  return stamps;
}

std::optional<std::vector<TargetGroup>> FileDiscoverer::Poll(int64_t now_ms) {
  std::map<std::string, Stamp> stamps = CurrentStamps();
  bool due = !refreshed_once_ || now_ms - last_refresh_ms_ >= config_.refresh_interval_ms || stamps != stamps_;
  if (!due) return std::nullopt;
  refreshed_once_ = true;
  last_refresh_ms_ = now_ms;
  Refresh(stamps);
  stamps_ = std::move(stamps);
  std::vector<TargetGroup> all;
  for (const auto& [path, groups] : groups_by_file_) all.insert(all.end(), groups.begin(), groups.end());
  return all;
}

void FileDiscoverer::Refresh(const std::map<std::string, Stamp>& stamps) {
  for (auto it = groups_by_file_.begin(); it != groups_by_file_.end();) {
    it = stamps.count(it->first) ? std::next(it) : groups_by_file_.erase(it);
  }
  for (const auto& [path, stamp] : stamps) {
    Result<std::vector<TargetGroup>> groups = ReadTargetGroupFile(path);
    if (!groups.ok()) {
      LogError("discovery", "Error reading file {}: {}", path, groups.status().message());
      if (read_errors_) read_errors_->Inc();
      continue;  // keep the previous groups of this file
    }
    groups_by_file_[path] = std::move(*groups);
  }
}

}  // namespace promethium::scrape
