// Env: the seam through which every byte of file I/O passes.
//
// The storage engine never calls open()/write()/fsync() directly; it asks an
// Env. Production uses Env::Default() (POSIX). Crash and fault tests wrap it
// (see FaultInjectionEnv in tsdb/ tests) to inject ENOSPC, torn writes or
// EIO at chosen points, as LevelDB's Env does.
//
// Ownership: callers own the file objects an Env returns. Env::Default() is a
// process-wide singleton that is never destroyed.
// Thread-safety: Env methods are safe to call concurrently. A single file
// object must not be used from two threads at once without external locking.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tsdb/base/result.h"
#include "tsdb/base/status.h"

namespace promethium {

// A file written front to back (WAL segments, block files being built).
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual Status Append(std::string_view data) = 0;
  virtual Status Flush() = 0;  // push user-space buffers to the kernel
  virtual Status Sync() = 0;   // fdatasync: durable once it returns OK
  virtual Status Close() = 0;
  virtual uint64_t Size() const = 0;
};

// A file read front to back (WAL replay).
class SequentialFile {
 public:
  virtual ~SequentialFile() = default;
  // Reads up to n bytes into scratch; *out views the bytes read (empty at EOF).
  virtual Status Read(size_t n, std::string_view* out, char* scratch) = 0;
  virtual Status Skip(uint64_t n) = 0;
};

// A file read at arbitrary offsets (block index and chunk files).
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  virtual Status Read(uint64_t offset, size_t n, std::string_view* out, char* scratch) const = 0;
  virtual uint64_t Size() const = 0;
};

class Env {
 public:
  virtual ~Env() = default;
  static Env* Default();

  virtual Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) = 0;
  virtual Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) = 0;
  virtual Result<std::unique_ptr<SequentialFile>> NewSequentialFile(const std::string& path) = 0;
  virtual Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path) = 0;

  virtual bool FileExists(const std::string& path) = 0;
  virtual Result<std::vector<std::string>> GetChildren(const std::string& dir) = 0;
  virtual Result<uint64_t> GetFileSize(const std::string& path) = 0;
  // Whether `path` names a directory (false when it does not exist).
  virtual bool IsDirectory(const std::string& path) = 0;
  virtual Status CreateDirs(const std::string& dir) = 0;  // like mkdir -p
  virtual Status RemoveFile(const std::string& path) = 0;
  virtual Status RemoveDirRecursively(const std::string& dir) = 0;
  virtual Status RenameFile(const std::string& from, const std::string& to) = 0;
  virtual Status LinkFile(const std::string& from, const std::string& to) = 0;  // hard link
  virtual Status SyncDir(const std::string& dir) = 0;                           // make renames durable
  virtual Status TruncateFile(const std::string& path, uint64_t size) = 0;
};

// Reads a whole file through env. Convenience for small files (meta.json).
Result<std::string> ReadFileToString(Env* env, const std::string& path);
// Writes data to path.tmp, syncs, renames over path and syncs the directory.
Status WriteFileAtomically(Env* env, const std::string& path, std::string_view data);

// The one shape of every on-disk format error: Corruption
// "corrupt: <path> at offset <N>: <what>".
Status CorruptionAt(const std::string& path, uint64_t offset, std::string_view what);
// Reads exactly n bytes at offset into *out; fewer is
// CorruptionAt(path, offset, "short read").
Status ReadExactlyAt(const RandomAccessFile& file, const std::string& path, uint64_t offset, size_t n,
                     std::string* out);

}  // namespace promethium
