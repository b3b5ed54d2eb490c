// SendPositionFile: where one remote write queue's sending stands in the WAL,
// persisted so a restart (or a crash) resumes there instead of skipping what
// was not acknowledged. docs/format/remote_write_position.md has the layout.
//
// One small file per queue in <data>/remote_write/, named by a hash of the
// queue's identity key (its name or config hash and URL); the key itself is
// stored in the file and checked on load. Writes are atomic: the new content
// goes to <name>.tmp, is fsynced, renamed over <name> and the directory is
// fsynced, so a reader sees the old or the new position, never a mix.
//
// Ownership of files: a file is ours only when it starts with our magic and
// version. Anything else at our path (a foreign file, or a .tmp that is not
// ours) is reported and never modified: Load says so and Store refuses.
//
// Thread-safety: a SendPositionFile is immutable after construction; Load
// and Store touch only its two paths. Callers serialise Stores of one queue.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "remote/write/wal_consumer.h"
#include "tsdb/base/env.h"
#include "tsdb/base/result.h"
#include "tsdb/base/status.h"

namespace promethium::remote {

// The directory under the data dir that remote write owns.
inline constexpr char kRemoteWriteDirName[] = "remote_write";
// Keys longer than this are rejected (the file stays tiny and bounded).
inline constexpr size_t kMaxPositionKeySize = 4096;

struct LoadedPosition {
  enum class Kind {
    kMissing,  // no file: a first start
    kOk,       // `position` holds the persisted position
    kCorrupt,  // ours (magic and version match) but damaged: ignored; the next Store replaces it
    kForeign,  // not ours, or another queue's (key mismatch): ignored and never touched
  };
  Kind kind = Kind::kMissing;
  WalPosition position;
  std::string problem;  // why it was ignored (kCorrupt, kForeign)
};

class SendPositionFile {
 public:
  SendPositionFile(Env* env, std::string dir, std::string key);

  // The file name for `key`: 16 hex digits of its 64-bit xxhash + ".position".
  static std::string FileNameFor(const std::string& key);
  const std::string& path() const { return path_; }

  // I/O errors other than a missing file are returned.
  Result<LoadedPosition> Load() const;
  // Writes `pos` atomically (creating the directory). FailedPrecondition
  // when a foreign file holds the path or its .tmp.
  Status Store(const WalPosition& pos) const;

  // The file's bytes for (key, pos), and the parse back, for tests and Load.
  static std::string Encode(const std::string& key, const WalPosition& pos);
  static LoadedPosition Decode(std::string_view bytes, const std::string& key);

 private:
  // Whether `path` may be (over)written by us: missing, empty, or ours.
  Result<bool> MayReplace(const std::string& path) const;

  Env* const env_;
  const std::string dir_;
  const std::string key_;
  const std::string path_;
};

}  // namespace promethium::remote
