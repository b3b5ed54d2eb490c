// MemSeries: one series in the head: its labels (stored once, immutable)
// and its samples as a short vector of XOR chunks, the last one open for
// appends.
//
// Chunk cutting follows Prometheus's memSeries: a new chunk starts when the
// open one would exceed 1 KiB, when a sample reaches the predicted end time
// (at a quarter of samples_per_chunk the chunk's end is estimated so that the
// rest of the current chunk range splits into equally full chunks), at the
// chunk range boundary, or at twice samples_per_chunk.
//
// Ownership: the Head owns every MemSeries (they never move once created, so
// raw pointers to them stay valid for the Head's lifetime).
// Thread-safety: labels() and ref() are immutable and lock-free; everything
// else requires mu() to be held (appenders and readers take it briefly).
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "tsdb/api/labels.h"
#include "tsdb/api/storage.h"
#include "tsdb/base/thread_annotations.h"
#include "tsdb/chunkenc/xor_chunk.h"
#include "tsdb/index/index_reader.h"

// Lets clang's thread-safety analysis see that mu() returns mu_ (the shared
// thread_annotations.h has no LOCK_RETURNED yet).
#if defined(__clang__)
#define PROMETHIUM_LOCK_RETURNED(x) __attribute__((lock_returned(x)))
#else
#define PROMETHIUM_LOCK_RETURNED(x)
#endif

namespace promethium::tsdb {

// The per-series lock: a plain exclusive mutex (cheaper to take and 16 bytes
// smaller than the reader-writer Mutex; series critical sections are short
// and there is one per series), annotated for clang's analysis.
class CAPABILITY("mutex") SeriesMutex {
 public:
  void Lock() ACQUIRE() { mu_.lock(); }
  void Unlock() RELEASE() { mu_.unlock(); }

 private:
  std::mutex mu_;
};

class SCOPED_CAPABILITY SeriesLock {
 public:
  explicit SeriesLock(SeriesMutex* mu) ACQUIRE(mu) : mu_(mu) { mu_->Lock(); }
  ~SeriesLock() RELEASE() { mu_->Unlock(); }
  SeriesLock(const SeriesLock&) = delete;
  SeriesLock& operator=(const SeriesLock&) = delete;

 private:
  SeriesMutex* mu_;
};

struct ChunkCutOptions {
  int64_t chunk_range_ms = 2 * 60 * 60 * 1000;
  int samples_per_chunk = 120;
};

// Packs a head chunk reference: series ref in the high 40 bits, the series'
// chunk id in the low 24 (Prometheus's HeadChunkRef plays the same role).
inline constexpr int kHeadChunkIdBits = 24;
inline uint64_t PackHeadChunkRef(SeriesRef series, uint64_t chunk_id) {
  return (series << kHeadChunkIdBits) | (chunk_id & ((uint64_t{1} << kHeadChunkIdBits) - 1));
}
inline SeriesRef HeadChunkSeries(uint64_t ref) { return ref >> kHeadChunkIdBits; }
inline uint64_t HeadChunkId(uint64_t ref) { return ref & ((uint64_t{1} << kHeadChunkIdBits) - 1); }

// End of the chunk range containing t: ranges are [k*width, (k+1)*width).
int64_t ChunkRangeEnd(int64_t t, int64_t width);
// Prometheus's computeChunkEndTime: given a chunk spanning [start, cur] that
// is 1/ratio_to_full full, the end time that splits [start, max) evenly.
int64_t ComputeChunkEndTime(int64_t start, int64_t cur, int64_t max, double ratio_to_full);

class MemSeries {
 public:
  enum class AppendCheck { kOk, kSameSample, kOutOfOrder, kDuplicate };

  MemSeries(SeriesRef ref, Labels labels) : ref_(ref), labels_(std::move(labels)) {}
  MemSeries(const MemSeries&) = delete;
  MemSeries& operator=(const MemSeries&) = delete;

  SeriesRef ref() const { return ref_; }
  const Labels& labels() const { return labels_; }
  SeriesMutex* mu() const PROMETHIUM_LOCK_RETURNED(mu_) { return &mu_; }

  // Whether a WAL series record for this series has been written, so a
  // commit knows whether to log one before the series' first samples.
  // Lock-free: two commits may both log it, which replay tolerates.
  bool wal_logged() const { return wal_logged_.load(std::memory_order_acquire); }
  void set_wal_logged() { wal_logged_.store(true, std::memory_order_release); }

  // Whether (t, v) may follow the series' newest sample: older is out of
  // order; same timestamp is a duplicate unless the value is bit-identical
  // (then kSameSample: accepted but not stored again).
  AppendCheck Check(int64_t t, double v) const REQUIRES(mu_);
  // Appends a sample that passed Check() == kOk. Returns true when a new
  // chunk was cut for it.
  bool Append(int64_t t, double v, const ChunkCutOptions& opts) REQUIRES(mu_);

  size_t NumChunks() const REQUIRES(mu_) { return chunks_.size(); }
  bool Empty() const REQUIRES(mu_) { return chunks_.empty(); }
  int64_t MaxTime() const REQUIRES(mu_);
  // Appends the metas of every chunk overlapping [mint, maxt].
  void ChunkMetas(int64_t mint, int64_t maxt, std::vector<ChunkMeta>* out) const REQUIRES(mu_);
  // Copies the bytes of the chunk with the given id; false if unknown.
  bool CopyChunk(uint64_t chunk_id, std::string* bytes) const REQUIRES(mu_);

 private:
  struct MemChunk {
    XorChunk chunk;
    int64_t min_time = 0;
    int64_t max_time = 0;
  };
  void CutNewChunk(int64_t t, const ChunkCutOptions& opts) REQUIRES(mu_);

  const SeriesRef ref_;
  const Labels labels_;
  mutable SeriesMutex mu_;
  std::atomic<bool> wal_logged_{false};
  std::vector<MemChunk> chunks_ GUARDED_BY(mu_);  // ascending; back() is open
  XorAppender app_ GUARDED_BY(mu_);               // writes chunks_.back()
  int64_t next_at_ GUARDED_BY(mu_) = 0;           // cut when a sample reaches this
  uint64_t first_chunk_id_ GUARDED_BY(mu_) = 0;   // id of chunks_[0]
};

}  // namespace promethium::tsdb
