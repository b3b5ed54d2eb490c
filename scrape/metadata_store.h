// MetadataStore: the metric metadata (TYPE, HELP, UNIT) one target exposes,
// kept per scrape loop as Prometheus's scrape cache keeps it, for
// /api/v1/metadata and /api/v1/targets/metadata.
//
// The loop's parser reports each # TYPE / # HELP / # UNIT line (Set*); after
// a successful scrape Commit(true) forgets families the scrape did not
// mention, as Prometheus does; a failed scrape keeps everything. Only meta
// lines cost anything: series lines never touch the store. Strings are only
// copied when a value changes, so steady-state scrapes allocate nothing.
//
// Thread-safety: one writer (the loop's strand) calls Set*/Commit; any thread
// may call Snapshot. The writer reads without the lock (it is the only one
// changing anything) and takes mu_ for each change; Snapshot takes mu_.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "tsdb/base/thread_annotations.h"

namespace promethium::scrape {

struct MetricMetadata {
  std::string metric;  // family name
  std::string type;    // "counter", "gauge", "histogram", "summary", "unknown", ...
  std::string help;
  std::string unit;
  friend bool operator==(const MetricMetadata&, const MetricMetadata&) = default;
};

class MetadataStore {
 public:
  void SetType(std::string_view family, std::string_view type) { Set(family, &Entry::type, type); }
  void SetHelp(std::string_view family, std::string_view help) { Set(family, &Entry::help, help); }
  void SetUnit(std::string_view family, std::string_view unit) { Set(family, &Entry::unit, unit); }

  // Ends a scrape: on success, families not mentioned since the previous
  // Commit are dropped.
  void Commit(bool success) {
    if (success) {
      std::lock_guard<std::mutex> l(mu_);
      std::erase_if(families_, [&](const auto& kv) { return kv.second.seen_iter != iter_; });
    }
    ++iter_;
  }

  // Every family, by name.
  std::vector<MetricMetadata> Snapshot() const {
    std::lock_guard<std::mutex> l(mu_);
    std::vector<MetricMetadata> out;
    out.reserve(families_.size());
    for (const auto& [name, e] : families_) out.push_back({name, e.type, e.help, e.unit});
    return out;
  }

 private:
  struct Entry {
    std::string type = "unknown";
    std::string help;
    std::string unit;
    uint64_t seen_iter = 0;
  };

  void Set(std::string_view family, std::string Entry::*field, std::string_view value) {
    auto it = families_.find(family);
    if (it == families_.end()) {
      std::lock_guard<std::mutex> l(mu_);
      it = families_.emplace(std::string(family), Entry{}).first;
    }
    it->second.seen_iter = iter_;
    if (it->second.*field != value) {
      std::lock_guard<std::mutex> l(mu_);
      (it->second.*field).assign(value);
    }
  }

  mutable std::mutex mu_;
  std::map<std::string, Entry, std::less<>> families_;  // structure and values change under mu_
  uint64_t iter_ = 1;                                   // writer only
};

}  // namespace promethium::scrape
