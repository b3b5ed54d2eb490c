// File probes: whose format a file in a data directory is in, decided from
// its first bytes (magic numbers, and checksums where a format has no magic)
// before anything may repair, truncate, move or delete it.
//
// Promethium and Prometheus lay out a data directory with the same names
// (<ULID>/index, wal/00000000, wal/checkpoint.N/, chunks_head/000001), so a
// name proves nothing. A probe answers:
//   kEmpty       the file has no bytes (or only a torn prefix of our own
//                header): nothing in it can be lost
//   kPromethium  provably ours (our magic, or a verifying checksum)
//   kPrometheus  provably Prometheus's (its magic, or a verifying WAL
//                fragment checksum)
//   kUnknown     neither: never modified; start-up stops and names it
//
// Thread-safety: pure functions over the given Env; safe from any thread.
#pragma once

#include <string>

#include "tsdb/base/env.h"
#include "tsdb/base/result.h"
#include "tsdb/prometheus_format/magic.h"

namespace promethium::tsdb {

enum class FileOwner { kEmpty, kPromethium, kPrometheus, kUnknown };

const char* FileOwnerName(FileOwner owner);

struct FileProbe {
  FileOwner owner = FileOwner::kUnknown;
  // For kUnknown, what was expected and what was found (for messages).
  std::string detail;
};

// A segment of wal/, wal/checkpoint.N/ or wbl/.
Result<FileProbe> ProbeWalSegment(Env* env, const std::string& path);
// A file of chunks_head/.
Result<FileProbe> ProbeHeadChunkFile(Env* env, const std::string& path);
// A block directory: by its index file's magic, or, without an index, by
// its first chunk segment's. A directory with neither is kUnknown.
Result<FileProbe> ProbeBlockDir(Env* env, const std::string& dir);

// Whether `bytes` start with a Prometheus WAL fragment (page framing: type
// byte, big-endian length, big-endian CRC32C) whose checksum verifies.
bool LooksLikePrometheusWalSegment(std::string_view bytes);

}  // namespace promethium::tsdb
