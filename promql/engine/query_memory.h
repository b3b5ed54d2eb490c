// QueryMemory: the per-query byte accountant behind --query.max-memory.
//
// The evaluator charges it when it materialises data (points, series and
// their label sets, interned label sets, raw samples loaded from storage)
// and releases the charge when that data is freed. Charging never fails by
// itself, so hot loops only add; the limit is checked on the paths that
// already check --query.max-samples (per series, per step, every 4096
// steps), which bounds the overshoot to one batch. Byte counts are estimates
// of the heap the engine holds (container payloads and label strings), not
// malloc's exact usage; they only ever over-count when labels shrink
// between charge and release (e.g. __name__ dropped), never under-count.
//
// Ownership: owned by the query's QueryContext; NodeHelpers borrow it.
// Thread-safety: one query, one thread; not synchronised.
#pragma once

#include <cstdint>

#include "tsdb/base/status.h"

namespace promethium::promql {

class QueryMemory {
 public:
  // limit_bytes <= 0: unlimited.
  explicit QueryMemory(int64_t limit_bytes = 0) : limit_(limit_bytes) {}

  void set_limit(int64_t limit_bytes) { limit_ = limit_bytes; }
  int64_t limit() const { return limit_; }
  int64_t current() const { return current_; }
  int64_t peak() const { return peak_; }

  void Charge(int64_t bytes) {
    current_ += bytes;
    if (current_ > peak_) peak_ = current_;
  }
  void Release(int64_t bytes) { current_ -= bytes; }
  // The limit error when the bytes held exceed the limit.
  Status Check() const {
    if (limit_ > 0 && current_ > limit_) return LimitError();
    return Status::OK();
  }
  Status ChargeAndCheck(int64_t bytes) {
    Charge(bytes);
    return Check();
  }

 private:
  Status LimitError() const;

  int64_t limit_;
  int64_t current_ = 0;
  int64_t peak_ = 0;
};

// Charges its bytes while alive: for scratch buffers whose size changes
// (a series' raw samples); Set() re-charges, the destructor releases.
class ScopedCharge {
 public:
  explicit ScopedCharge(QueryMemory* memory) : memory_(memory) {}
  ~ScopedCharge() { memory_->Release(bytes_); }
  ScopedCharge(const ScopedCharge&) = delete;
  ScopedCharge& operator=(const ScopedCharge&) = delete;
  Status Set(int64_t bytes) {
    memory_->Charge(bytes - bytes_);
    bytes_ = bytes;
    return memory_->Check();
  }

 private:
  QueryMemory* memory_;
  int64_t bytes_ = 0;
};

}  // namespace promethium::promql
