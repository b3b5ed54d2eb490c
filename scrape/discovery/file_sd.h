// FileDiscoverer: file_sd_configs. Reads target groups from files matching
// the configured patterns (a "*" only in the last path element, expanded
// with glob(3)); *.json files are JSON, *.yml / *.yaml YAML.
//
// Each group gets the label __meta_filepath=<file> and the source
// "<file>:<index>". Files are re-read every refresh_interval and as soon as
// a matching file appears, disappears or changes (mtime or size; checked on
// every Poll, which the DiscoveryManager calls every second or so). A file
// that fails to read or parse keeps its previous groups, logs an error and
// counts prometheus_sd_file_read_errors_total, as in Prometheus; a deleted
// file's groups go away.
//
// Ownership: `read_errors` is borrowed (may be null) and must outlive the
// discoverer. Thread-safety: as Discoverer (one polling thread).
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "scrape/discovery/discoverer.h"
#include "tsdb/base/metrics.h"
#include "tsdb/base/result.h"

namespace promethium::scrape {

// Expands file_sd patterns into the sorted, de-duplicated paths that exist.
std::vector<std::string> ExpandFilePatterns(const std::vector<std::string>& patterns);

// Reads and decodes one file_sd file (format by extension).
Result<std::vector<TargetGroup>> ReadTargetGroupFile(const std::string& path);

class FileDiscoverer final : public Discoverer {
 public:
  FileDiscoverer(FileSDConfig config, Counter* read_errors);
  std::optional<std::vector<TargetGroup>> Poll(int64_t now_ms) override;

 private:
  // (mtime in ns, size) of a file; changes trigger a re-read.
  using Stamp = std::pair<int64_t, int64_t>;
  std::map<std::string, Stamp> CurrentStamps() const;
  void Refresh(const std::map<std::string, Stamp>& stamps);

  const FileSDConfig config_;
  Counter* const read_errors_;
  bool refreshed_once_ = false;
  int64_t last_refresh_ms_ = 0;
  std::map<std::string, Stamp> stamps_;                             // as of the last refresh
  std::map<std::string, std::vector<TargetGroup>> groups_by_file_;  // last good groups
};

}  // namespace promethium::scrape
