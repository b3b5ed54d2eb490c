// TestStorage implementations (see test_storage.h).
#include "tests/promqltest/test_storage.h"

#include <stdlib.h>

#include <filesystem>
#include <system_error>

#include <fmt/format.h>

#include "tsdb/api/memory_storage.h"
#include "tsdb/db.h"

namespace promethium::promqltest {

Result<StorageKind> ParseStorageKind(std::string_view name) {
  if (name == "head") return StorageKind::kHead;
  if (name == "memory") return StorageKind::kMemory;
  return Status::InvalidArgument(fmt::format("unknown storage {:?} (want head or memory)", name));
}

std::string_view StorageKindName(StorageKind kind) { return kind == StorageKind::kHead ? "head" : "memory"; }

namespace {

class MemoryTestStorage final : public TestStorage {
 public:
  Status AppendBatch(const std::vector<LoadSample>& batch) override {
    // As the head's appender: an invalid histogram is rejected, the rest of
    // the batch still goes in.
    Status first_error;
    for (const auto& s : batch) {
      if (s.fh == nullptr) {
        storage_.Add(*s.labels, s.t, s.v);
        continue;
      }
      Status valid = s.fh->Validate();
      if (valid.ok()) {
        storage_.AddFloatHistogram(*s.labels, s.t, *s.fh);
      } else if (first_error.ok()) {
        first_error = valid.WithContext(fmt::format("append {} @{}", s.labels->ToString(), s.t));
      }
    }
    return first_error;
  }
  Status Clear() override {
    storage_.Clear();
    return Status::OK();
  }
  Queryable& queryable() override { return storage_; }

 private:
  MemoryStorage storage_;
};

// The real head. Prometheus's teststorage uses 24h blocks; the chunk range
// plays that role here (it also sets the head's out-of-bounds window), so
// scripts may load a day of data in several `load` commands.
class HeadTestStorage final : public TestStorage {
 public:
  ~HeadTestStorage() override { Discard(); }

  Status Open() {
    Discard();
    std::string tmpl = (std::filesystem::temp_directory_path() / "promqltest-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) return Status::IOError("promqltest: cannot create a temporary directory");
    dir_ = tmpl;
    tsdb::DBOptions opts;
    opts.chunk_range_ms = 24 * 3600 * 1000LL;
    auto db = tsdb::DB::Open(dir_, opts, nullptr);
    if (!db.ok()) return db.status();
    db_ = std::move(db).value();
    return Status::OK();
  }

  Status AppendBatch(const std::vector<LoadSample>& batch) override {
    auto app = db_->NewAppender();
    Status first_error;
    for (const auto& s : batch) {
      auto ref = s.fh != nullptr ? app->AppendHistogram(0, *s.labels, s.t, nullptr, s.fh.get())
                                 : app->Append(0, *s.labels, s.t, s.v);
      if (!ref.ok() && first_error.ok()) {
        first_error = ref.status().WithContext(fmt::format("append {} @{}", s.labels->ToString(), s.t));
      }
    }
    Status st = app->Commit();
    return st.ok() ? first_error : st;
  }

  Status Clear() override { return Open(); }
  Queryable& queryable() override { return *db_; }

 private:
  void Discard() {
    if (db_ != nullptr) {
      db_->Close().IgnoreError();  // the directory is deleted next; nothing reads it again
      db_.reset();
    }
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
      dir_.clear();
    }
  }

  std::string dir_;
  std::unique_ptr<tsdb::DB> db_;
};

}  // namespace

Result<std::unique_ptr<TestStorage>> TestStorage::Make(StorageKind kind) {
  if (kind == StorageKind::kMemory) return std::unique_ptr<TestStorage>(std::make_unique<MemoryTestStorage>());
  auto head = std::make_unique<HeadTestStorage>();
  PROMETHIUM_RETURN_IF_ERROR(head->Open());
  return std::unique_ptr<TestStorage>(std::move(head));
}

}  // namespace promethium::promqltest
