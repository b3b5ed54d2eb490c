// FaultInjectionEnv (tests only): wraps another Env and injects ENOSPC or
// a crash.
//
// With a write budget set, WritableFile::Append writes only what is left of
// the budget (a short, torn write, as a full disk produces) and then fails
// with IOError "No space left on device"; Sync can be made to fail too.
// SetFailWrites(n) models a disk that is full for a while: the next n
// Appends each write half their bytes (a torn write) and fail with that
// error, and later ones pass, as if space had been freed meanwhile.
// With a crash point set (SetCrashAfter(n)), the first n mutating
// operations (file create/append/flush/sync/close, mkdir, remove, rename,
// link, dir sync, truncate) succeed and every later one fails with IOError
// "injected crash", so the directory is left as a crash at that point
// leaves it (page-cache loss aside). Everything else passes through.
//
// Ownership: borrows the wrapped Env. Thread-safety: the fault switches are
// atomics, safe to flip while other threads write.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "tsdb/base/env.h"

namespace promethium::tsdb::wal {

class FaultInjectionEnv final : public Env {
 public:
  explicit FaultInjectionEnv(Env* base) : base_(base) {}

  // Appends fail once `bytes` more bytes have been written. -1: no limit.
  void SetWriteBudget(int64_t bytes) { budget_.store(bytes); }
  void SetFailSync(bool fail) { fail_sync_.store(fail); }
  void SetFailWrites(int64_t n) { fail_writes_.store(n); }
  // Appends failed by SetFailWrites or the write budget so far.
  int64_t failed_writes() const { return failed_writes_.load(); }
  // -1: never crash.
  void SetCrashAfter(int64_t ops) {
    crash_after_.store(ops);
    mutations_.store(0);
  }
  // Mutating operations attempted since the last SetCrashAfter.
  int64_t mutations() const { return mutations_.load(); }
  bool crashed() const {
    const int64_t limit = crash_after_.load();
    return limit >= 0 && mutations_.load() > limit;
  }
  void ClearFaults() {
    SetWriteBudget(-1);
    SetFailSync(false);
    SetFailWrites(0);
    SetCrashAfter(-1);
  }

  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override {
    PROMETHIUM_RETURN_IF_ERROR(Mutate());
    return Wrap(base_->NewWritableFile(path));
  }
  Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) override {
    PROMETHIUM_RETURN_IF_ERROR(Mutate());
    return Wrap(base_->NewAppendableFile(path));
  }
  Result<std::unique_ptr<SequentialFile>> NewSequentialFile(const std::string& path) override {
    return base_->NewSequentialFile(path);
  }
  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path) override {
    return base_->NewRandomAccessFile(path);
  }
  bool FileExists(const std::string& path) override { return base_->FileExists(path); }
  Result<std::vector<std::string>> GetChildren(const std::string& dir) override { return base_->GetChildren(dir); }
  Result<uint64_t> GetFileSize(const std::string& path) override { return base_->GetFileSize(path); }
  bool IsDirectory(const std::string& path) override { return base_->IsDirectory(path); }
  Status CreateDirs(const std::string& dir) override {
    PROMETHIUM_RETURN_IF_ERROR(Mutate());
    return base_->CreateDirs(dir);
  }
  Status RemoveFile(const std::string& path) override {
    PROMETHIUM_RETURN_IF_ERROR(Mutate());
    return base_->RemoveFile(path);
  }
  Status RemoveDirRecursively(const std::string& dir) override {
    PROMETHIUM_RETURN_IF_ERROR(Mutate());
    return base_->RemoveDirRecursively(dir);
  }
  Status RenameFile(const std::string& from, const std::string& to) override {
    PROMETHIUM_RETURN_IF_ERROR(Mutate());
    return base_->RenameFile(from, to);
  }
  Status LinkFile(const std::string& from, const std::string& to) override {
    PROMETHIUM_RETURN_IF_ERROR(Mutate());
    return base_->LinkFile(from, to);
  }
  Status SyncDir(const std::string& dir) override {
    PROMETHIUM_RETURN_IF_ERROR(Mutate());
    return base_->SyncDir(dir);
  }
  Status TruncateFile(const std::string& path, uint64_t size) override {
    PROMETHIUM_RETURN_IF_ERROR(Mutate());
    return base_->TruncateFile(path, size);
  }

 private:
  class FaultFile final : public WritableFile {
   public:
    FaultFile(FaultInjectionEnv* env, std::unique_ptr<WritableFile> base) : env_(env), base_(std::move(base)) {}
    Status Append(std::string_view data) override {
      PROMETHIUM_RETURN_IF_ERROR(env_->Mutate());
      int64_t to_fail = env_->fail_writes_.load();
      while (to_fail > 0 && !env_->fail_writes_.compare_exchange_weak(to_fail, to_fail - 1)) {
      }
      if (to_fail > 0) {
        env_->failed_writes_.fetch_add(1);
        Status partial = base_->Append(data.substr(0, data.size() / 2));
        (void)partial;
        return Status::IOError("write: No space left on device");
      }
      int64_t left = env_->budget_.load();
      if (left >= 0 && static_cast<int64_t>(data.size()) > left) {
        env_->budget_.store(0);
        env_->failed_writes_.fetch_add(1);
        Status partial = base_->Append(data.substr(0, static_cast<size_t>(left)));
        (void)partial;
        return Status::IOError("write: No space left on device");
      }
      if (left >= 0) env_->budget_.fetch_sub(static_cast<int64_t>(data.size()));
      return base_->Append(data);
    }
    Status Flush() override {
      PROMETHIUM_RETURN_IF_ERROR(env_->Mutate());
      return base_->Flush();
    }
    Status Sync() override {
      PROMETHIUM_RETURN_IF_ERROR(env_->Mutate());
      if (env_->fail_sync_.load()) return Status::IOError("fdatasync: No space left on device");
      return base_->Sync();
    }
    Status Close() override {
      Status crash = env_->Mutate();
      Status closed = base_->Close();  // the fd goes either way
      return crash.ok() ? closed : crash;
    }
    uint64_t Size() const override { return base_->Size(); }

   private:
    FaultInjectionEnv* env_;
    std::unique_ptr<WritableFile> base_;
  };

  Status Mutate() {
    const int64_t done = mutations_.fetch_add(1);
    const int64_t limit = crash_after_.load();
    if (limit >= 0 && done >= limit) return Status::IOError("injected crash");
    return Status::OK();
  }

  Result<std::unique_ptr<WritableFile>> Wrap(Result<std::unique_ptr<WritableFile>> file) {
    if (!file.ok()) return file.status();
    return std::unique_ptr<WritableFile>(new FaultFile(this, std::move(file).value()));
  }

  Env* base_;
  std::atomic<int64_t> budget_{-1};
  std::atomic<bool> fail_sync_{false};
  std::atomic<int64_t> fail_writes_{0};
  std::atomic<int64_t> failed_writes_{0};
  std::atomic<int64_t> crash_after_{-1};
  std::atomic<int64_t> mutations_{0};
};

}  // namespace promethium::tsdb::wal
