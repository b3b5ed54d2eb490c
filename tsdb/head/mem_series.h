// MemSeries: one series in the head: its labels (immutable, as references
// to interned strings) and its samples as a short vector of XOR chunks, the
// last one open for appends. Native histograms live in a SeriesHistograms
// (mem_series_histogram.h) allocated with the series' first histogram; the
// two chunk lists never overlap in time (a type switch cuts a new chunk), and
// ChunkMetas interleaves them by time.
//
// Memory: a head holds one MemSeries per active series, so every byte here
// counts (see BM_HeadMemoryPerSeries in bench/head_bench.cc). Labels are
// stored as 2 pointers per label into the head's symbol storage (the
// postings index keys, see MemPostings::AddInterned) instead of a Labels of
// std::string copies; Labels are materialized only when a reader asks
// (labels()), once per selected series per query, as Prometheus does. The
// lock is a 4-byte futex word instead of a 40-byte std::mutex, the small
// fields share its padding, and the Head's lookup tables link series through
// two pointers here instead of allocating map nodes (series_table.h).
//
// Chunk cutting follows Prometheus's memSeries: a new chunk starts when the
// open one would exceed 1 KiB, when a sample reaches the predicted end time
// (at a quarter of samples_per_chunk the chunk's end is estimated so that the
// rest of the current chunk range splits into equally full chunks), at the
// chunk range boundary, or at twice samples_per_chunk.
//
// Editing (mem_series_edit.cc): truncation drops whole chunks from the
// front; Delete and out-of-order inserts decode the affected chunk, edit
// its samples and re-encode it in place, so readers always see plain,
// sorted, non-overlapping chunks and chunk ids never shift (a chunk emptied
// by a delete stays as an empty placeholder that metas skip, unless it is
// at the tail).
//
// Full chunks on disk: when the head has chunk files (HeadChunkFiles), a
// chunk that is closed (a new one was cut after it) is written there and its
// heap bytes are dropped; the MemChunk keeps its file ref, times and 2-byte
// XOR header (sample count, held inline by the string, no allocation), so
// NumSamples and placeholder checks need no I/O. Every path that needs the
// bytes (CopyChunk, edits, out-of-order checks) reads them back; a chunk an
// edit rewrites stays in the heap. A failed write keeps the chunk in the
// heap. An unreadable (corrupt) chunk is logged and counted by the files;
// readers get false from CopyChunk, edits skip it. The series holds no
// pointer to the files: whoever needs chunk bytes passes the files of the
// head that owns the series (ChunkCutOptions::files to cuts and edits, the
// `files` argument of CopyChunk), and the ref lives in the chunk's string
// (see MemChunk): neither the series nor a chunk got bigger.
//
// Ownership: the Head owns every MemSeries (they never move once created).
// A raw pointer stays valid while the caller holds the Head's ref-stripe
// lock for it or a pin (Pin/Unpin): head GC frees only unpinned series with
// no chunks, under the stripe locks. The interned strings must outlive the
// series (the postings drop a key only when no series uses it).
// Thread-safety: labels(), LabelsEqual(), ref() and the pin/WAL flags are
// lock-free; everything else requires mu() to be held (appenders and
// readers take it briefly).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tsdb/api/labels.h"
#include "tsdb/api/storage.h"
#include "tsdb/base/thread_annotations.h"
#include "tsdb/chunkenc/xor_chunk.h"
#include "tsdb/head/head_chunk_file.h"
#include "tsdb/head/mem_series_histogram.h"
#include "tsdb/index/index_reader.h"

// Lets clang's thread-safety analysis see that mu() returns mu_ (the shared
// thread_annotations.h has no LOCK_RETURNED yet).
#if defined(__clang__)
#define PROMETHIUM_LOCK_RETURNED(x) __attribute__((lock_returned(x)))
#else
#define PROMETHIUM_LOCK_RETURNED(x)
#endif

namespace promethium::tsdb {

// The per-series lock: a plain exclusive mutex in one 32-bit word (there is
// one per series, so std::mutex's 40 bytes were ~5% of a series; Prometheus's
// sync.Mutex is 8). Uncontended Lock/Unlock are one atomic op each; waiters
// sleep on the word (C++20 atomic wait, a futex on Linux). States: 0 free,
// 1 locked, 2 locked with possible waiters (Drepper's "Futexes are tricky").
// Annotated for clang's analysis.
class CAPABILITY("mutex") SeriesMutex {
 public:
  void Lock() ACQUIRE() {
    uint32_t expected = 0;
    if (state_.compare_exchange_strong(expected, 1, std::memory_order_acquire)) return;
    LockSlow();
  }
  void Unlock() RELEASE() {
    if (state_.exchange(0, std::memory_order_release) == 2) state_.notify_one();
  }

 private:
  void LockSlow();
  std::atomic<uint32_t> state_{0};
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

// Out-of-order inserts stop at this many samples in one chunk (the XOR
// sample count is 16 bits).
inline constexpr int kMaxOutOfOrderChunkSamples = 16384;

struct ChunkCutOptions {
  int64_t chunk_range_ms = 2 * 60 * 60 * 1000;
  int samples_per_chunk = 120;
  // Where closed chunks go (borrowed; must outlive every series that wrote
  // to it). Null keeps every chunk in the heap.
  HeadChunkFiles* files = nullptr;
};

// Packs a head chunk reference: series ref in the high 40 bits, the series'
// chunk id in the low 24 (Prometheus's HeadChunkRef plays the same role).
// XOR chunk ids take 23 bits; kHistogramChunkIdFlag (bit 23) marks the ids
// of histogram chunks (mem_series_histogram.h).
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

  // `symbols` holds 2 * num_labels pointers, name then value of each label
  // in Labels order, to interned strings that outlive the series.
  MemSeries(SeriesRef ref, std::unique_ptr<const std::string*[]> symbols, uint32_t num_labels)
      : ref_(ref), symbols_(std::move(symbols)), num_labels_(num_labels) {}
  MemSeries(const MemSeries&) = delete;
  MemSeries& operator=(const MemSeries&) = delete;

  SeriesRef ref() const { return ref_; }
  // A fresh copy of the series' labels (allocates: for readers, not for the
  // append path).
  Labels labels() const;
  // Whether the series has exactly these labels, without materializing.
  bool LabelsEqual(const Labels& labels) const;
  size_t NumLabels() const { return num_labels_; }
  // Label i's name and value: the head's interned copies (for GC, which
  // must tell the postings which label pairs lost a series).
  const std::string* InternedName(size_t i) const { return symbols_[2 * i]; }
  const std::string* InternedValue(size_t i) const { return symbols_[2 * i + 1]; }
  SeriesMutex* mu() const PROMETHIUM_LOCK_RETURNED(mu_) { return &mu_; }

  // Whether a WAL series record for this series has been written, so a
  // commit knows whether to log one before the series' first samples.
  // Lock-free: two commits may both log it, which replay tolerates.
  bool wal_logged() const { return (state_.load(std::memory_order_acquire) & kWalLoggedBit) != 0; }
  void set_wal_logged() { state_.fetch_or(kWalLoggedBit, std::memory_order_release); }

  // Pins keep head GC from freeing the series while an appender holds its
  // pointer between Append and Commit. The Head pins only under a stripe
  // lock that GC must hold exclusively to free the series.
  void Pin() { state_.fetch_add(1, std::memory_order_relaxed); }
  void Unpin() { state_.fetch_sub(1, std::memory_order_release); }
  bool pinned() const { return (state_.load(std::memory_order_acquire) & ~kWalLoggedBit) != 0; }

  // Whether (t, v) may follow the series' newest sample: older is out of
  // order; same timestamp is a duplicate unless the value is bit-identical
  // (then kSameSample: accepted but not stored again).
  AppendCheck Check(int64_t t, double v) const REQUIRES(mu_);
  // Appends a sample that passed Check() == kOk. Returns true when a new
  // chunk was cut for it.
  bool Append(int64_t t, double v, const ChunkCutOptions& opts) REQUIRES(mu_);

  // --- native histograms (kept in a SeriesHistograms beside the XOR
  // chunks, allocated with the series' first histogram)
  // Whether a histogram at t may follow the series' newest sample, float
  // or histogram: kOk, kDuplicate (same timestamp) or kOutOfOrder (older;
  // histograms are appended in order only).
  AppendCheck CheckHistogram(int64_t t) const REQUIRES(mu_);
  // Appends a histogram (exactly one of h, fh) that passed CheckHistogram.
  // True when a new chunk was cut; fails when the chunk encoder refuses it.
  Result<bool> AppendHistogram(int64_t t, const Histogram* h, const FloatHistogram* fh, const ChunkCutOptions& opts)
      REQUIRES(mu_);
  // CopyChunk for any chunk id, XOR or histogram, with its encoding.
  bool CopyAnyChunk(uint64_t chunk_id, const HeadChunkFiles* files, std::string* bytes, ChunkEncoding* encoding) const
      REQUIRES(mu_);

  // Chunks held, empty placeholders included.
  size_t NumChunks() const REQUIRES(mu_) { return chunks_.size() + (hist_ ? hist_->NumChunks() : 0); }
  bool Empty() const REQUIRES(mu_) { return chunks_.empty() && (!hist_ || hist_->Empty()); }
  // Time of the oldest / newest sample (kMaxTime / kMinTime when empty).
  int64_t MinTime() const REQUIRES(mu_);
  int64_t MaxTime() const REQUIRES(mu_);

  // --- editing (mem_series_edit.cc)
  // Drops every chunk whose samples are all < mint; returns how many
  // (NumChunks accounting: empty placeholders are not counted).
  size_t TruncateChunksBefore(int64_t mint) REQUIRES(mu_);
  // Removes the samples with mint <= t <= maxt by re-encoding the chunks
  // holding them. Returns the number of samples removed; *chunks_removed
  // gets the number of chunks that became empty (dropped, or left as
  // placeholders that no longer count as chunks).
  size_t DeleteRange(int64_t mint, int64_t maxt, const ChunkCutOptions& opts, size_t* chunks_removed) REQUIRES(mu_);
  // For a sample older than the newest one (Check() == kOutOfOrder): kOk
  // when no sample has timestamp t, else kSameSample (bit-identical value)
  // or kDuplicate; kOutOfOrder when the chunk it belongs in is full
  // (kMaxOutOfOrderChunkSamples). Decodes at most the chunks covering t.
  AppendCheck CheckOutOfOrder(int64_t t, double v, const ChunkCutOptions& opts) const REQUIRES(mu_);
  // Inserts a sample that passed CheckOutOfOrder() == kOk into the chunk
  // whose time range it belongs to (a new chunk in front when it is older
  // than the series and in an earlier chunk range). True when a chunk was
  // created for it.
  bool InsertOutOfOrder(int64_t t, double v, const ChunkCutOptions& opts) REQUIRES(mu_);
  // Appends the metas of every chunk overlapping [mint, maxt].
  void ChunkMetas(int64_t mint, int64_t maxt, std::vector<ChunkMeta>* out) const REQUIRES(mu_);
  // Copies the bytes of the chunk with the given id; false if unknown (or
  // truncated away). A tail chunk popped by a delete reads as empty.
  // `files` are the owning head's chunk files (HeadOptions::cut.files; null
  // when it has none), read for a chunk on disk.
  bool CopyChunk(uint64_t chunk_id, const HeadChunkFiles* files, std::string* bytes) const REQUIRES(mu_);
  // Chunks whose bytes are in the chunk files, and heap bytes held by chunk
  // buffers (capacity beyond the inline string), for tests and accounting.
  size_t NumChunksOnDisk() const REQUIRES(mu_);
  size_t ChunkHeapBytes() const REQUIRES(mu_);

 private:
  // A chunk on disk keeps, in place of its bytes, its 2-byte header (the
  // sample count) and its 8-byte file ref: 10 bytes, inside std::string's
  // inline buffer, and a size no real XOR chunk has (an empty one is 2
  // bytes; one sample takes at least 2 + 1 + 8), so it needs no flag.
  static constexpr size_t kOnDiskChunkSize = kXorChunkHeaderSize + 8;
  struct MemChunk {
    XorChunk chunk;
    int64_t min_time = 0;
    int64_t max_time = 0;
    bool on_disk() const { return chunk.SizeBytes() == kOnDiskChunkSize; }
    uint64_t file_ref() const;  // when on_disk()
  };
  // Writes closed chunk i to the chunk files and drops its heap bytes;
  // keeps it in the heap when the write fails.
  void SpillChunk(size_t i, HeadChunkFiles* files) REQUIRES(mu_);
  // Chunk i's bytes: a view of the heap bytes, or read from `files` into
  // *scratch. False when a chunk on disk cannot be read (logged).
  bool ChunkBytes(size_t i, const HeadChunkFiles* files, std::string* scratch, std::string_view* out) const
      REQUIRES(mu_);
  // Brings chunk i's bytes back into the heap (it will be appended to);
  // false when they cannot be read.
  bool LoadChunk(size_t i, const HeadChunkFiles* files) REQUIRES(mu_);
  void CutNewChunk(int64_t t, const ChunkCutOptions& opts) REQUIRES(mu_);
  size_t TruncateFloatChunksBefore(int64_t mint) REQUIRES(mu_);
  // Replaces chunk i's samples (sorted) by re-encoding; an empty list leaves
  // an empty placeholder chunk that keeps its old time range.
  void RewriteChunk(size_t i, const std::vector<Sample>& samples) REQUIRES(mu_);
  // Pops empty chunks off the tail and rebinds the appender to the last
  // chunk after it was rewritten, moved or popped. Returns chunks popped.
  size_t DropEmptyTail(bool rebind, const ChunkCutOptions& opts) REQUIRES(mu_);
  // False when the chunk cannot be read.
  bool DecodeChunk(size_t i, const HeadChunkFiles* files, std::vector<Sample>* out) const REQUIRES(mu_);
  // Index of the chunk an out-of-order sample at t goes into, or
  // chunks_.size() for a new chunk in front.
  size_t OutOfOrderTarget(int64_t t, int64_t width) const REQUIRES(mu_);

  static constexpr uint32_t kWalLoggedBit = uint32_t{1} << 31;

  friend struct SeriesByRef;
  friend struct SeriesByHash;

  // Field order packs the 4- and 1-byte fields into 8-byte slots.
  const SeriesRef ref_;
  // Chain links of the Head's stripe tables (series_table.h), guarded by
  // the respective stripe lock, not by mu_.
  MemSeries* next_by_ref_ = nullptr;
  MemSeries* next_by_hash_ = nullptr;
  const std::unique_ptr<const std::string*[]> symbols_;  // name0, value0, name1, ...
  const uint32_t num_labels_;
  mutable SeriesMutex mu_;
  // Chunk ids live in 24 bits of a chunk ref, so 32 bits are plenty.
  uint32_t first_chunk_id_ GUARDED_BY(mu_) = 0;  // id of chunks_[0]
  // kWalLoggedBit | pin count: one word, in the padding a bool used to take.
  std::atomic<uint32_t> state_{0};
  std::vector<MemChunk> chunks_ GUARDED_BY(mu_);            // ascending; back() is open
  std::unique_ptr<SeriesHistograms> hist_ GUARDED_BY(mu_);  // null until the first histogram
  XorAppender app_ GUARDED_BY(mu_);                         // writes chunks_.back()
  int64_t next_at_ GUARDED_BY(mu_) = 0;                     // cut when a sample reaches this
};

}  // namespace promethium::tsdb
