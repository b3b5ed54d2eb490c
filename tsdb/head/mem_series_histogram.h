// SeriesHistograms: the native-histogram chunks of one head series (integer
// histogram chunks, encoding 2, and float histogram chunks, encoding 3),
// kept beside the series' XOR chunks. A MemSeries allocates one only when
// its first histogram arrives, so float-only series pay one null pointer.
//
// Chunks follow Prometheus's memSeries for histograms: the chunkenc
// appenders decide when a sample needs a new chunk (a counter reset, a
// schema or bucket-layout change) or re-encodes the open one (new buckets);
// besides, a new chunk is cut when the sample type changes (integer <->
// float histogram, or after floats were appended in between: the caller
// says so), when the open chunk passes 1 KiB with at least 10 samples
// (Prometheus's targetBytesPerHistogramChunk and its minimum), and at the
// chunk range boundary. Only in-order appends: the series' newest sample,
// float or histogram, bounds every append.
//
// Chunk ids count up from 0 per series like the XOR chunks' ids but live
// in their own space, marked by kHistogramChunkIdFlag in the head chunk ref,
// so a reader knows which list a ref names. Histogram chunks stay in the
// heap (they are not written to chunks_head); after a restart the WAL
// rebuilds them.
//
// Ownership: owned by its MemSeries. Thread-safety: none; the owning
// series' lock guards every call.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tsdb/base/status.h"
#include "tsdb/chunkenc/chunk_encoding.h"
#include "tsdb/index/index_reader.h"

namespace promethium::tsdb {

// Set in the 24-bit chunk id of a head chunk ref that names a histogram
// chunk; XOR chunk ids use the 23 bits below it.
inline constexpr uint64_t kHistogramChunkIdFlag = uint64_t{1} << 23;
inline constexpr uint64_t kChunkIdMask23 = kHistogramChunkIdFlag - 1;

class SeriesHistograms {
 public:
  // Prometheus's targetBytesPerHistogramChunk and the sample minimum that
  // goes with it.
  static constexpr size_t kTargetChunkBytes = 1024;
  static constexpr int kMinSamplesForSizeCut = 10;

  // Appends one sample (exactly one of h, fh non-null) after every sample
  // the series holds. `force_cut`: the series appended other samples since
  // this list's newest (floats), so the open chunk must not be continued.
  // Returns whether a new chunk was started. Fails (leaving the chunks as
  // they were) when the chunkenc appender refuses the histogram.
  Result<bool> Append(int64_t t, const Histogram* h, const FloatHistogram* fh, int64_t chunk_range_ms, bool force_cut);

  bool Empty() const { return chunks_.empty(); }
  size_t NumChunks() const { return chunks_.size(); }
  int64_t MinTime() const;  // kMaxTime-like INT64_MAX when empty
  int64_t MaxTime() const;  // INT64_MIN when empty

  // Appends the metas of chunks overlapping [mint, maxt], refs of `series`.
  void ChunkMetas(SeriesRef series, int64_t mint, int64_t maxt, std::vector<ChunkMeta>* out) const;
  // Copies the chunk with this id (flag included); false when unknown.
  bool CopyChunk(uint64_t chunk_id, std::string* bytes, ChunkEncoding* encoding) const;

  // Drops chunks whose samples are all < mint; returns how many.
  size_t TruncateBefore(int64_t mint);
  // Removes samples with mint <= t <= maxt by re-encoding the chunks
  // holding them; returns the samples removed and adds to *chunks_removed
  // the chunks that became empty. An emptied chunk stays as a placeholder
  // (ids never shift; metas skip it). FailedPrecondition, changing nothing
  // more, in the rare case where the remaining samples of one chunk would
  // need several chunks.
  Result<size_t> DeleteRange(int64_t mint, int64_t maxt, size_t* chunks_removed);

 private:
  struct Chunk {
    ChunkEncoding encoding = ChunkEncoding::kHistogram;
    std::unique_ptr<HistogramChunk> h;        // encoding kHistogram
    std::unique_ptr<FloatHistogramChunk> fh;  // encoding kFloatHistogram
    int64_t min_time = 0;
    int64_t max_time = 0;
    std::string_view Bytes() const { return h ? h->Bytes() : fh->Bytes(); }
    int NumSamples() const { return h ? h->NumSamples() : fh->NumSamples(); }
    size_t SizeBytes() const { return h ? h->SizeBytes() : fh->SizeBytes(); }
  };

  bool NeedsCut(int64_t t, ChunkEncoding encoding, bool force_cut) const;
  Result<bool> AppendInteger(int64_t t, const Histogram& h, bool cut);
  Result<bool> AppendFloat(int64_t t, const FloatHistogram& fh, bool cut);
  // Replaces chunk i's bytes (after a delete) and, for the open chunk,
  // resumes its appender on them.
  Status SetChunkBytes(size_t i, ChunkEncoding encoding, std::string bytes);

  std::vector<Chunk> chunks_;  // ascending; back() is open
  uint32_t first_id_ = 0;      // id of chunks_[0], modulo 2^23
  HistogramAppender happ_;     // writes chunks_.back() when it is kHistogram
  FloatHistogramAppender fapp_;
  int64_t next_at_ = 0;  // end of the open chunk's chunk range
};

}  // namespace promethium::tsdb
