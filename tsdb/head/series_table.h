// SeriesTable: a chained hash table of MemSeries whose chain links live in
// the series themselves (one pointer per table), used by the Head's lock
// stripes in place of std::unordered_map.
//
// Why: the head indexes every series twice (by ref and by label hash).
// std::unordered_map allocates a 32-byte node per entry on top of its bucket
// array, ~40 bytes per series per map; an intrusive link costs 8 bytes in
// the series plus the bucket array (1-2 pointers per series at a load factor
// of at most 1). Buckets are allocated on first insert, so the thousands of
// stripes of an empty head cost nothing.
//
// Traits supply the key and the link:
//   static uint64_t Key(const MemSeries&);   // recomputed only when growing
//   static MemSeries*& Next(MemSeries&);
//
// Ownership: the table never owns its series; whoever inserted them deletes
// them (the Head, through its ref stripes, or head GC after Remove).
// Thread-safety: none; the owning stripe's lock guards the table and the
// links of every series in it.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "tsdb/head/mem_series.h"

namespace promethium::tsdb {

template <typename Traits>
class SeriesTable {
 public:
  // Links `s`, whose key is `key`, into the table.
  void Insert(MemSeries* s, uint64_t key) {
    if (size_ >= buckets_.size()) Grow();
    MemSeries*& head = buckets_[Index(key)];
    Traits::Next(*s) = head;
    head = s;
    ++size_;
  }

  // Unlinks `s`, whose key is `key`; false when it is not in the table.
  bool Remove(MemSeries* s, uint64_t key) {
    if (buckets_.empty()) return false;
    for (MemSeries** link = &buckets_[Index(key)]; *link != nullptr; link = &Traits::Next(**link)) {
      if (*link == s) {
        *link = Traits::Next(*s);
        Traits::Next(*s) = nullptr;
        --size_;
        return true;
      }
    }
    return false;
  }

  // The first series in key's bucket for which match(series) holds, or null.
  template <typename Match>
  MemSeries* Find(uint64_t key, Match match) const {
    if (buckets_.empty()) return nullptr;
    for (MemSeries* s = buckets_[Index(key)]; s != nullptr; s = Traits::Next(*s)) {
      if (match(*s)) return s;
    }
    return nullptr;
  }

  // Calls fn(series) for every series; fn may delete the series it is given.
  template <typename Fn>
  void ForEach(Fn fn) const {
    for (MemSeries* s : buckets_) {
      while (s != nullptr) {
        MemSeries* next = Traits::Next(*s);
        fn(s);
        s = next;
      }
    }
  }

  size_t size() const { return size_; }

 private:
  // Fibonacci hashing: keys in one stripe share their low bits (they picked
  // the stripe), so take the product's high bits instead.
  size_t Index(uint64_t key) const { return static_cast<size_t>((key * 0x9E3779B97F4A7C15ULL) >> shift_); }

  void Grow() {
    std::vector<MemSeries*> old;
    old.swap(buckets_);
    const size_t count = old.empty() ? 8 : old.size() * 2;
    shift_ = 64 - std::countr_zero(count);
    buckets_.assign(count, nullptr);
    for (MemSeries* s : old) {
      while (s != nullptr) {
        MemSeries* next = Traits::Next(*s);
        MemSeries*& head = buckets_[Index(Traits::Key(*s))];
        Traits::Next(*s) = head;
        head = s;
        s = next;
      }
    }
  }

  std::vector<MemSeries*> buckets_;  // size is 0 or a power of two
  size_t size_ = 0;
  int shift_ = 64;
};

// The Head's two tables: by ref, and by label hash (chains may hold series
// whose hashes collide; Find's match compares the labels).
struct SeriesByRef {
  static uint64_t Key(const MemSeries& s) { return s.ref(); }
  static MemSeries*& Next(MemSeries& s) { return s.next_by_ref_; }
};
struct SeriesByHash {
  // Not stored in the series (it would cost 16 bytes per series after
  // malloc rounding); recomputed only when a stripe's table doubles.
  static uint64_t Key(const MemSeries& s) { return s.labels().Hash(); }
  static MemSeries*& Next(MemSeries& s) { return s.next_by_hash_; }
};

}  // namespace promethium::tsdb
