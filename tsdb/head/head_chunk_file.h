// HeadChunkFiles: where the head's full (closed) chunks live once they
// leave the heap: append-only segment files 000001, 000002, ... in
// <data>/chunks_head (format: docs/format/head_chunks.md). This is our
// equivalent of Prometheus's memory-mapped head chunks (2.19+): instead of
// mmap, a chunk is read back with one pread, served from the page cache.
//
// A record holds the series ref, the chunk's min and max time, its XOR
// bytes and a CRC32C over all of that; Append returns a 64-bit ref: the
// file set's tag (8 bits), the segment number (24 bits) and the offset (32
// bits). A ref is read back through the HeadChunkFiles that issued it,
// which its reader gets from the head that owns the series (Head's
// HeadOptions::cut.files, passed down to MemSeries explicitly); the tag
// (1..255, drawn per Open) only lets Read refuse a ref of another file set
// instead of reading a stranger's record. Read verifies the CRC and reports
// the path and offset of a corrupt record. Records are batched in a small
// in-memory buffer (kWriteBuffer) before they are written, and reads of
// buffered records are served from it. A failed write (ENOSPC) keeps the
// unwritten records in memory (still readable, nothing is lost), seals the
// segment and fails that Append, so the caller keeps its chunk in the heap;
// the next Append starts a new segment. Failed writes are logged at most
// once per 10 s (and their end once).
//
// Each segment's max chunk time is kept in memory: Truncate(mint) deletes
// whole segments whose chunks all end before mint, never the one being
// written. Open removes existing segment files: the WAL stays the source of
// truth and replay rebuilds the head (and these files); replaying from the
// chunk files instead is future work. Nothing is fsynced, for that reason.
//
// Ownership: owns its segment files and buffers; the DB owns it and it must
// outlive the Head (and its series) whose chunks it holds.
// Thread-safety: all methods are safe to call concurrently. Appends,
// rotation and truncation hold mu_; a read of a written record holds mu_
// only to find its segment, then preads outside it (the POSIX Env's Read is
// a stateless pread, as block chunk readers rely on too).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "tsdb/api/storage.h"
#include "tsdb/base/env.h"
#include "tsdb/base/log_throttle.h"
#include "tsdb/base/metrics.h"
#include "tsdb/base/result.h"
#include "tsdb/base/thread_annotations.h"

namespace promethium::tsdb {

struct HeadChunkFilesOptions {
  // A segment is cut before it would grow past this (Prometheus: 128 MiB).
  uint64_t segment_size = 128ull << 20;
};

// The first four bytes of every segment file of ours (then the version
// byte and 3 zero bytes); tsdb/datadir/ tells our files apart by them.
inline constexpr char kHeadChunkFileMagic[4] = {'P', 'H', 'C', 'K'};

// Whether a file's first bytes start like one of our segment files: the
// magic, or a prefix of it (a torn first write, with nothing in it).
// Prometheus names its head chunk files as we do, so only such files are
// ever removed.
inline bool StartsLikeHeadChunkFile(std::string_view head) {
  const size_t n = std::min(head.size(), sizeof(kHeadChunkFileMagic));
  return head.substr(0, n) == std::string_view(kHeadChunkFileMagic, n);
}

class HeadChunkFiles {
 public:
  // Records are written once this many bytes are buffered.
  static constexpr size_t kWriteBuffer = 32 * 1024;
  // Segment header: 4-byte magic, 1-byte version, 3 zero bytes.
  static constexpr size_t kSegmentHeaderSize = 8;
  // Record: series ref (8), mint (8), maxt (8), encoding (1), length (4).
  static constexpr size_t kRecordHeaderSize = 29;
  static constexpr size_t kCrcSize = 4;

  // Creates `dir` and removes any segment files in it. `metrics` may be null.
  static Result<std::unique_ptr<HeadChunkFiles>> Open(Env* env, const std::string& dir,
                                                      const HeadChunkFilesOptions& opts, MetricsRegistry* metrics);
  ~HeadChunkFiles();
  HeadChunkFiles(const HeadChunkFiles&) = delete;
  HeadChunkFiles& operator=(const HeadChunkFiles&) = delete;

  // Stores one XOR chunk of series `ref` spanning [mint, maxt]; returns its
  // ref (never 0). On error nothing was stored (counted in write failures).
  Result<uint64_t> Append(SeriesRef ref, int64_t mint, int64_t maxt, std::string_view chunk) EXCLUDES(mu_);
  // Reads the chunk bytes at `ref` into *out. Corruption (with path and
  // offset) on a CRC mismatch or a malformed record; NotFound for a ref of
  // a deleted segment; InvalidArgument for a ref another file set issued.
  Status Read(uint64_t ref, std::string* out) const EXCLUDES(mu_);
  // Deletes the segments (except the current one) whose chunks all have
  // max time < mint.
  Status Truncate(int64_t mint) EXCLUDES(mu_);
  // Writes buffered records and closes the current segment.
  Status Close() EXCLUDES(mu_);

  const std::string& dir() const { return dir_; }
  // Bytes in segment files, and bytes of records held in memory (buffered
  // or stranded by a failed write).
  uint64_t DiskBytes() const EXCLUDES(mu_);
  uint64_t BufferedBytes() const EXCLUDES(mu_);
  size_t NumSegments() const EXCLUDES(mu_);
  uint64_t write_failures() const { return write_failures_.load(std::memory_order_relaxed); }
  uint64_t corruptions() const { return corruptions_.load(std::memory_order_relaxed); }

  // Segment numbers have 24 bits in a ref; past the last one, Append fails
  // (chunks stay in the heap).
  static constexpr uint32_t kMaxSegment = (uint32_t{1} << 24) - 1;
  uint64_t PackRef(uint32_t segment, uint32_t offset) const {
    return (uint64_t{tag_} << 56) | (uint64_t{segment} << 32) | offset;
  }
  static uint8_t RefTag(uint64_t ref) { return static_cast<uint8_t>(ref >> 56); }
  static uint32_t RefSegment(uint64_t ref) { return static_cast<uint32_t>(ref >> 32) & kMaxSegment; }
  static uint32_t RefOffset(uint64_t ref) { return static_cast<uint32_t>(ref); }
  static std::string SegmentName(uint32_t segment);

 private:
  struct Segment {
    std::string path;
    mutable std::shared_ptr<const RandomAccessFile> reader;  // opened lazily (under mu_)
    int64_t max_time;
    uint64_t written;     // bytes in the file
    std::string pending;  // bytes after `written`, not (yet) in the file
  };

  HeadChunkFiles(Env* env, std::string dir, HeadChunkFilesOptions opts, MetricsRegistry* metrics, uint8_t tag);
  // Starts segment next_segment_ (writes its header into the buffer).
  Status Cut() REQUIRES(mu_);
  // Writes the current segment's pending bytes; on failure seals it and
  // keeps them in memory.
  Status FlushLocked() REQUIRES(mu_);
  // Closes the current segment's file (after flushing).
  Status SealLocked() REQUIRES(mu_);
  Status CorruptionAt(const std::string& path, uint32_t offset, const std::string& what) const;
  void UpdateMetrics() REQUIRES(mu_);

  Env* const env_;
  const std::string dir_;
  const HeadChunkFilesOptions opts_;
  const uint8_t tag_;  // top byte of every ref issued here, 1..255 (never 0, so no ref is 0)

  mutable Mutex mu_;
  std::map<uint32_t, Segment> segments_ GUARDED_BY(mu_);
  std::unique_ptr<WritableFile> file_ GUARDED_BY(mu_);  // the current segment's, or null when sealed
  uint32_t current_ GUARDED_BY(mu_) = 0;                // 0: none yet
  uint32_t next_segment_ GUARDED_BY(mu_) = 1;
  uint64_t disk_bytes_ GUARDED_BY(mu_) = 0;

  LogThrottle write_failure_log_;  // a full disk fails every flush: log it once per interval
  mutable std::atomic<uint64_t> write_failures_{0};
  mutable std::atomic<uint64_t> corruptions_{0};
  Counter* corruptions_metric_ = nullptr;
  Counter* write_failures_metric_ = nullptr;
  Gauge* disk_bytes_metric_ = nullptr;
};

}  // namespace promethium::tsdb
