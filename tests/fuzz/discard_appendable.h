// DiscardAppendable: an Appendable for the fuzz targets that accepts every
// sample and keeps none, so receivers (remote write, the web handler) run
// their whole path without storage growing across fuzz inputs.
//
// Ownership: appenders borrow nothing. Thread-safety: stateless; safe from
// any thread.
#pragma once

#include <memory>

#include "tsdb/api/storage.h"

namespace promethium::fuzz {

class DiscardAppendable final : public Appendable {
 public:
  std::unique_ptr<Appender> NewAppender() override { return std::make_unique<DiscardAppender>(); }

 private:
  class DiscardAppender final : public Appender {
   public:
    Result<SeriesRef> Append(SeriesRef ref, const Labels&, int64_t, double) override { return ref == 0 ? 1 : ref; }
    Status Commit() override { return Status::OK(); }
    Status Rollback() override { return Status::OK(); }
  };
};

}  // namespace promethium::fuzz
