// UnitTestStorage: the in-memory Appendable + Queryable a rule unit test
// runs on (input series and rule output), with the append semantics of the
// TSDB head that promtool's test storage has:
//  - Append checks against committed data: a sample older than the series'
//    newest is OutOfOrder, a different value at the newest time Duplicate;
//  - Commit applies the batch in order and silently drops samples that are
//    not newer than what the series already holds (so of several input
//    samples at one time the first one wins, as in promtool);
//  - native histograms (AppendHistogram) follow the same rules, compared
//    with floats by time, and are stored with float counts.
//
// Ownership: owns its samples; queriers borrow them (do not append while a
// querier is in use).
// Thread-safety: none; one test runs on one thread.
#pragma once

#include <memory>
#include <utility>
#include <vector>

#include "tsdb/api/memory_storage.h"
#include "tsdb/api/storage.h"

namespace promethium::rules::unittest {

class UnitTestStorage final : public Appendable, public Queryable {
 public:
  std::unique_ptr<Appender> NewAppender() override;
  Result<std::unique_ptr<Querier>> NewQuerier(int64_t mint, int64_t maxt) override {
    return mem_.NewQuerier(mint, maxt);
  }

 private:
  class BatchAppender;
  MemoryStorage mem_;
};

}  // namespace promethium::rules::unittest
