// ScrapeCache: per-target memory between scrapes (Prometheus's scrapeCache).
//
// It maps the exact text of an exposition series (`name{labels}` as it
// appeared in the body) to the storage SeriesRef and final labels of that
// series, so an unchanged series costs one hash lookup instead of label
// parsing, merging and sorting. The labels are kept packed (see
// packed_labels.h): the append path passes only the ref, and the labels are
// unpacked when the storage no longer knows it. It also remembers which series the last
// successful scrape produced, which is what staleness needs: a series seen
// last time but not this time gets a stale marker.
//
// Scrape protocol (one "iteration" per scrape):
//   Find / Insert for every sample; MarkSeen for every series appended
//   (DropSeen if the scrape fails); then Commit(success) once the scrape's
//   outcome is known.
//   ForEachStale before Commit(...) lists series of the previous successful
//   scrape that were not marked seen in this one (all of them if this scrape
//   failed and so marked nothing).
//
// Ownership: entries are owned by the cache; an Entry pointer stays valid
// until the next Insert or Commit. Thread-safety: none; owned and used by one scrape loop.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "scrape/metadata_store.h"
#include "scrape/packed_labels.h"
#include "tsdb/api/labels.h"
#include "tsdb/api/storage.h"

namespace promethium::scrape {

class ScrapeCache {
 public:
  struct Entry {
    uint64_t hash = 0;  // of series()
    SeriesRef ref = 0;
    uint64_t seen_iter = 0;          // last iteration that appended it
    uint64_t last_success_iter = 0;  // last successful iteration that had it
    // The series text (the key), then the final labels packed (PackLabels):
    // one allocation per series. No labels: metric relabeling dropped it.
    std::string data;
    uint32_t key_size = 0;
    bool track_staleness = true;  // false for samples with explicit timestamps

    std::string_view series() const { return {data.data(), key_size}; }
    bool dropped() const { return data.size() == key_size; }
    // Unpacks the labels: allocates, so only for the rare paths.
    Labels labels() const { return UnpackLabels(std::string_view(data).substr(key_size)); }
  };

  // The entry for `series`, or null. Valid until the next Insert or Commit.
  Entry* Find(std::string_view series) {
    const uint64_t h = HashOf(series);
    if (slots_.empty()) return nullptr;
    for (size_t i = h & mask(); slots_[i] != 0; i = (i + 1) & mask()) {
      Entry& e = entries_[slots_[i] - 1];
      if (e.hash == h && e.series() == series) return &e;
    }
    return nullptr;
  }
  // Adds an entry (the series must not be present); empty `labels` records
  // a series that metric relabeling dropped. Valid as Find's.
  Entry* Insert(std::string_view series, SeriesRef ref, const Labels& labels, bool track_staleness) {
    Entry& e = entries_.emplace_back();
    e.data.reserve(series.size() + PackedSize(labels));
    e.data.assign(series);
    e.key_size = static_cast<uint32_t>(series.size());
    PackLabels(labels, &e.data);
    e.hash = HashOf(series);
    e.ref = ref;
    e.track_staleness = track_staleness;
    if (entries_.size() * 2 > slots_.size()) {
      RebuildIndex();
    } else {
      Place(entries_.size() - 1);
    }
    return &e;
  }
  // Records that `e` was appended in the current scrape.
  void MarkSeen(Entry* e) { e->seen_iter = iter_; }
  // The current scrape failed: nothing it appended counts as seen.
  void DropSeen() { failed_ = true; }

  // Calls fn(const Entry&) for each series of the previous successful scrape
  // not seen in this one. Call before Commit.
  template <typename Fn>
  void ForEachStale(Fn&& fn) {
    if (prev_success_iter_ == 0) return;
    for (const Entry& e : entries_) {
      if (e.track_staleness && e.last_success_iter == prev_success_iter_ && (failed_ || e.seen_iter != iter_)) fn(e);
    }
  }

  // Ends the iteration. On success the seen series become "the previous
  // scrape" and entries not seen are dropped; on failure nothing was seen,
  // so the next scrape compares against nothing.
  void Commit(bool success) {
    metadata_.Commit(success && !failed_);
    if (success && !failed_) {
      size_t kept = 0;
      for (size_t i = 0; i < entries_.size(); ++i) {
        if (entries_[i].seen_iter != iter_) continue;
        entries_[i].last_success_iter = iter_;
        if (kept != i) entries_[kept] = std::move(entries_[i]);
        ++kept;
      }
      if (kept != entries_.size()) {
        entries_.resize(kept);
        RebuildIndex();
      }
      // A target's series count is stable: give back what vector doubling
      // reserved (up to half the entries; 7 MB of 100 node_exporter targets'
      // caches in heaptrack). Rarely reallocates after the first scrape.
      if (entries_.capacity() > entries_.size() + entries_.size() / 4 + 16) entries_.shrink_to_fit();
      prev_success_iter_ = iter_;
      last_success_size_ = entries_.size();
    } else {
      prev_success_iter_ = 0;
      // A target failing with varying series would grow the cache forever.
      if (entries_.size() > 2 * last_success_size_ + 1000) {
        entries_.clear();
        RebuildIndex();
      }
    }
    failed_ = false;
    ++iter_;
  }

  size_t size() const { return entries_.size(); }

  // The target's metric metadata; see MetadataStore for its thread-safety.
  MetadataStore& metadata() { return metadata_; }
  const MetadataStore& metadata() const { return metadata_; }

 private:
  // Open addressing over a dense entry vector: a lookup touches one slot
  // word and one entry instead of chasing hash-map nodes, and the per-scrape
  // staleness and cleanup passes walk contiguous memory.
  static uint64_t HashOf(std::string_view s) { return std::hash<std::string_view>{}(s); }
  size_t mask() const { return slots_.size() - 1; }
  void Place(size_t index) {
    size_t i = entries_[index].hash & mask();
    while (slots_[i] != 0) i = (i + 1) & mask();
    slots_[i] = static_cast<uint32_t>(index + 1);
  }
  void RebuildIndex() {
    size_t cap = 16;
    while (cap < entries_.size() * 2) cap *= 2;
    slots_.assign(cap, 0);
    for (size_t i = 0; i < entries_.size(); ++i) Place(i);
  }

  std::vector<Entry> entries_;
  std::vector<uint32_t> slots_;  // entry index + 1; 0 = empty; size is a power of two
  uint64_t iter_ = 1;
  uint64_t prev_success_iter_ = 0;
  size_t last_success_size_ = 0;
  bool failed_ = false;
  MetadataStore metadata_;
};

}  // namespace promethium::scrape
