// TestStorage: the storage a promqltest script loads into and queries, so
// the same scripts can run against the real TSDB head or the in-memory store.
//
//  - kHead (the default): a real tsdb::DB opened in a fresh temporary
//    directory, written through its Appender, one batch per `load` command
//    and committed, as Prometheus's teststorage does. Clear() reopens a new
//    DB in a new directory; the directories are removed on destruction.
//  - kMemory: MemoryStorage, the small vector-backed store (no tsdb engine).
//
// Ownership: a TestStorage owns its DB or MemoryStorage; queryable() borrows.
// Thread-safety: not thread-safe; load, then query, from one thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tsdb/api/labels.h"
#include "tsdb/api/storage.h"
#include "tsdb/base/result.h"
#include "tsdb/base/status.h"
#include "tsdb/histogram/float_histogram.h"

namespace promethium::promqltest {

enum class StorageKind { kHead, kMemory };

// Parses "head" or "memory".
Result<StorageKind> ParseStorageKind(std::string_view name);
std::string_view StorageKindName(StorageKind kind);

// One sample of a load batch: a float, or a native histogram when `fh` is
// set (appended with float counts, as Prometheus's test loader does).
struct LoadSample {
  const Labels* labels;  // borrowed from the script for the batch's lifetime
  int64_t t;
  double v;
  std::shared_ptr<const FloatHistogram> fh;
};

class TestStorage {
 public:
  virtual ~TestStorage() = default;
  static Result<std::unique_ptr<TestStorage>> Make(StorageKind kind);

  // Appends the batch in one transaction and commits it. Every rejected
  // sample is an error (a script that loads unloadable data is broken), but
  // the rest of the batch is still committed.
  virtual Status AppendBatch(const std::vector<LoadSample>& batch) = 0;
  // Drops all data (Prometheus's `clear`).
  virtual Status Clear() = 0;
  virtual Queryable& queryable() = 0;
};

}  // namespace promethium::promqltest
