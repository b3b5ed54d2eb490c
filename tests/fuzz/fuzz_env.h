// FuzzEnv: a read-only, in-memory Env for the fuzz targets, so that file
// readers (WAL segments, checkpoints, block index, chunk segments,
// tombstones) read bytes made up by the fuzzer without touching the disk.
//
// Files are a map from path to contents; a directory exists when some file
// lies under it. Every write, rename or delete fails with IOError: readers
// must not write, and a reader that tries is a finding.
//
// Ownership: the Env owns the file contents; files it hands out copy them.
// Thread-safety: none; one fuzz input at a time.
#pragma once

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tsdb/base/env.h"

namespace promethium::fuzz {

class FuzzEnv final : public Env {
 public:
  void AddFile(std::string path, std::string contents) { files_[std::move(path)] = std::move(contents); }

  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override { return ReadOnly(path); }
  Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) override { return ReadOnly(path); }
  Result<std::unique_ptr<SequentialFile>> NewSequentialFile(const std::string& path) override {
    auto it = files_.find(path);
    if (it == files_.end()) return Status::NotFound(path);
    return std::unique_ptr<SequentialFile>(new SeqFile(it->second));
  }
  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path) override {
    auto it = files_.find(path);
    if (it == files_.end()) return Status::NotFound(path);
    return std::unique_ptr<RandomAccessFile>(new RandFile(it->second));
  }
  bool FileExists(const std::string& path) override { return files_.count(path) > 0 || IsDirectory(path); }
  Result<std::vector<std::string>> GetChildren(const std::string& dir) override {
    std::set<std::string> names;
    const std::string prefix = dir + "/";
    for (const auto& [path, contents] : files_) {
      if (path.compare(0, prefix.size(), prefix) != 0) continue;
      std::string rest = path.substr(prefix.size());
      names.insert(rest.substr(0, rest.find('/')));
    }
    if (names.empty()) return Status::NotFound(dir);
    return std::vector<std::string>(names.begin(), names.end());
  }
  Result<uint64_t> GetFileSize(const std::string& path) override {
    auto it = files_.find(path);
    if (it == files_.end()) return Status::NotFound(path);
    return uint64_t{it->second.size()};
  }
  bool IsDirectory(const std::string& path) override {
    const std::string prefix = path + "/";
    auto it = files_.lower_bound(prefix);
    return it != files_.end() && it->first.compare(0, prefix.size(), prefix) == 0;
  }
  Status CreateDirs(const std::string& dir) override { return ReadOnly(dir); }
  Status RemoveFile(const std::string& path) override { return ReadOnly(path); }
  Status RemoveDirRecursively(const std::string& dir) override { return ReadOnly(dir); }
  Status RenameFile(const std::string& from, const std::string&) override { return ReadOnly(from); }
  Status LinkFile(const std::string& from, const std::string&) override { return ReadOnly(from); }
  Status SyncDir(const std::string& dir) override { return ReadOnly(dir); }
  Status TruncateFile(const std::string& path, uint64_t) override { return ReadOnly(path); }

 private:
  static Status ReadOnly(const std::string& path) { return Status::IOError("fuzz env is read-only: " + path); }

  class SeqFile final : public SequentialFile {
   public:
    explicit SeqFile(std::string data) : data_(std::move(data)) {}
    Status Read(size_t n, std::string_view* out, char* scratch) override {
      n = std::min(n, data_.size() - pos_);
      std::memcpy(scratch, data_.data() + pos_, n);
      pos_ += n;
      *out = std::string_view(scratch, n);
      return Status::OK();
    }
    Status Skip(uint64_t n) override {
      pos_ += static_cast<size_t>(std::min<uint64_t>(n, data_.size() - pos_));
      return Status::OK();
    }

   private:
    std::string data_;
    size_t pos_ = 0;
  };

  class RandFile final : public RandomAccessFile {
   public:
    explicit RandFile(std::string data) : data_(std::move(data)) {}
    Status Read(uint64_t offset, size_t n, std::string_view* out, char* scratch) const override {
      if (offset > data_.size()) offset = data_.size();
      n = static_cast<size_t>(std::min<uint64_t>(n, data_.size() - offset));
      std::memcpy(scratch, data_.data() + offset, n);
      *out = std::string_view(scratch, n);
      return Status::OK();
    }
    uint64_t Size() const override { return data_.size(); }

   private:
    std::string data_;
  };

  std::map<std::string, std::string> files_;
};

// Splits a fuzz input into parts at every occurrence of `sep` (the corpus
// files of the multi-file targets are written this way).
inline std::vector<std::string_view> SplitInput(std::string_view data, std::string_view sep) {
  std::vector<std::string_view> parts;
  for (size_t pos = 0;;) {
    size_t next = data.find(sep, pos);
    if (next == std::string_view::npos) {
      parts.push_back(data.substr(pos));
      return parts;
    }
    parts.push_back(data.substr(pos, next - pos));
    pos = next + sep.size();
  }
}

}  // namespace promethium::fuzz
