#include "tsdb/head/mem_series.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <memory>

#include "tsdb/base/logging.h"

namespace promethium::tsdb {

void SeriesMutex::LockSlow() {
  // Mark the lock contended (2) before sleeping, so the holder's Unlock
  // wakes us; whoever takes it from here leaves it at 2, which at worst
  // costs one spurious notify.
  while (state_.exchange(2, std::memory_order_acquire) != 0) state_.wait(2, std::memory_order_relaxed);
}

Labels MemSeries::labels() const {
  std::vector<Label> out;
  out.reserve(num_labels_);
  for (uint32_t i = 0; i < num_labels_; ++i) out.push_back(Label{*symbols_[2 * i], *symbols_[2 * i + 1]});
  return Labels::FromSortedUnchecked(std::move(out));
}

bool MemSeries::LabelsEqual(const Labels& labels) const {
  if (labels.size() != num_labels_) return false;
  for (uint32_t i = 0; i < num_labels_; ++i) {
    if (labels[i].name != *symbols_[2 * i] || labels[i].value != *symbols_[2 * i + 1]) return false;
  }
  return true;
}

int64_t ChunkRangeEnd(int64_t t, int64_t width) {
  const int64_t start = (t / width) * width;
  // Saturate instead of overflowing for timestamps near the end of int64.
  return start > std::numeric_limits<int64_t>::max() - width ? std::numeric_limits<int64_t>::max() : start + width;
}

int64_t ComputeChunkEndTime(int64_t start, int64_t cur, int64_t max, double ratio_to_full) {
  const double n = static_cast<double>(max - start) / (static_cast<double>(cur - start + 1) * ratio_to_full);
  if (n <= 1) return max;
  return static_cast<int64_t>(static_cast<double>(start) + static_cast<double>(max - start) / std::floor(n));
}

MemSeries::AppendCheck MemSeries::Check(int64_t t, double v) const {
  if (hist_ != nullptr && !hist_->Empty() && t <= hist_->MaxTime()) {
    // A histogram holds the newest time: a float at it is a duplicate.
    if (chunks_.empty() || hist_->MaxTime() > chunks_.back().max_time) {
      return t == hist_->MaxTime() ? AppendCheck::kDuplicate : AppendCheck::kOutOfOrder;
    }
  }
  if (chunks_.empty()) return AppendCheck::kOk;
  const int64_t last_t = app_.last_t();
  if (t > last_t) return AppendCheck::kOk;
  if (t < last_t) return AppendCheck::kOutOfOrder;
  // Same timestamp: compare bits, so NaN == NaN and stale markers match.
  return std::bit_cast<uint64_t>(v) == app_.last_value_bits() ? AppendCheck::kSameSample : AppendCheck::kDuplicate;
}

void MemSeries::CutNewChunk(int64_t t, const ChunkCutOptions& opts) {
  size_t expected_bytes = 0;
  if (!chunks_.empty()) {
    expected_bytes = chunks_.back().chunk.SizeBytes();
    chunks_.back().chunk.Shrink();  // closed: drop spare capacity
    if (opts.files != nullptr) SpillChunk(chunks_.size() - 1, opts.files);
  }
  chunks_.push_back(MemChunk{XorChunk(), t, t});
  // A series' chunks have similar sizes: sized like the previous one (and
  // 1/8 more), the new chunk neither doubles its buffer on the way (copying
  // it each time, 8% of WAL replay in a profile) nor keeps up to half of it
  // spare, as doubling does.
  if (expected_bytes > 0) chunks_.back().chunk.Reserve(expected_bytes + expected_bytes / 8);
  app_ = XorAppender(&chunks_.back().chunk);  // vector may have moved: rebind
  next_at_ = ChunkRangeEnd(t, opts.chunk_range_ms);
}

bool MemSeries::Append(int64_t t, double v, const ChunkCutOptions& opts) {
  bool cut = false;
  // Histograms since the open chunk's last float: a new chunk, so the
  // series' chunks never overlap in time (Prometheus cuts on type change).
  const bool type_changed = hist_ != nullptr && !chunks_.empty() && hist_->MaxTime() > chunks_.back().max_time;
  if (chunks_.empty() || type_changed ||
      chunks_.back().chunk.SizeBytes() > kMaxBytesPerXorChunk - kMaxBytesPerXorSample) {
    cut = true;
  } else {
    const MemChunk& c = chunks_.back();
    const int n = c.chunk.NumSamples();
    // At a quarter of the target, predict the end so the rest of the range
    // splits into evenly filled chunks.
    if (n == opts.samples_per_chunk / 4) next_at_ = ComputeChunkEndTime(c.min_time, c.max_time, next_at_, 4);
    // Samples arriving faster than predicted: cut at twice the target.
    cut = t >= next_at_ || n >= opts.samples_per_chunk * 2;
  }
  if (cut) CutNewChunk(t, opts);
  app_.Append(t, v);
  chunks_.back().max_time = t;
  return cut;
}

int64_t MemSeries::MinTime() const {
  int64_t min = kMaxTime;
  for (const MemChunk& c : chunks_) {
    if (c.chunk.NumSamples() > 0) {  // skip placeholders
      min = c.min_time;
      break;
    }
  }
  return hist_ != nullptr && !hist_->Empty() ? std::min(min, hist_->MinTime()) : min;
}
int64_t MemSeries::MaxTime() const {
  const int64_t max = chunks_.empty() ? kMinTime : chunks_.back().max_time;
  return hist_ != nullptr && !hist_->Empty() ? std::max(max, hist_->MaxTime()) : max;
}

void MemSeries::ChunkMetas(int64_t mint, int64_t maxt, std::vector<ChunkMeta>* out) const {
  const size_t begin = out->size();
  for (size_t i = 0; i < chunks_.size(); ++i) {
    const MemChunk& c = chunks_[i];
    if (c.max_time < mint || c.min_time > maxt) continue;
    if (c.chunk.NumSamples() == 0) continue;  // placeholder left by a delete
    out->push_back(ChunkMeta{PackHeadChunkRef(ref_, (first_chunk_id_ + i) & kChunkIdMask23), c.min_time, c.max_time});
  }
  if (hist_ == nullptr) return;
  const size_t floats_end = out->size();
  hist_->ChunkMetas(ref_, mint, maxt, out);
  // The two lists never overlap in time (a type change cuts a chunk), so
  // ordering by start time interleaves them correctly.
  if (floats_end != begin && floats_end != out->size()) {
    std::sort(out->begin() + static_cast<ptrdiff_t>(begin), out->end(),
              [](const ChunkMeta& a, const ChunkMeta& b) { return a.min_time < b.min_time; });
  }
}

bool MemSeries::CopyChunk(uint64_t chunk_id, const HeadChunkFiles* files, std::string* bytes) const {
  // Ids are stored modulo 2^23 in refs; resolve relative to the first chunk.
  if ((chunk_id & kHistogramChunkIdFlag) != 0) return false;  // a histogram chunk: see CopyAnyChunk
  const uint64_t mask = kChunkIdMask23;
  const uint64_t index = (chunk_id - first_chunk_id_) & mask;
  if (index >= chunks_.size()) {
    // Just past the tail: a chunk a delete emptied and popped (ids ahead of
    // the tail are handed out only after it). Before the first chunk (a
    // "negative" index): truncated away, which is NotFound.
    if (index >= (mask >> 1)) return false;
    bytes->assign(XorChunk().Bytes());
    return true;
  }
  std::string_view view;
  if (chunks_[index].on_disk()) return ChunkBytes(index, files, bytes, &view);
  bytes->assign(chunks_[index].chunk.Bytes());
  return true;
}

uint64_t MemSeries::MemChunk::file_ref() const {
  uint64_t ref = 0;
  for (char b : chunk.Bytes().substr(kXorChunkHeaderSize)) ref = (ref << 8) | static_cast<uint8_t>(b);
  return ref;
}

void MemSeries::SpillChunk(size_t i, HeadChunkFiles* files) {
  MemChunk& c = chunks_[i];
  if (c.on_disk() || c.chunk.NumSamples() == 0) return;
  const std::string_view bytes = c.chunk.Bytes();
  Result<uint64_t> ref = files->Append(ref_, c.min_time, c.max_time, bytes);
  if (!ref.ok()) return;  // logged and counted by the files; stays in the heap
  // Keep just the header (the sample count) and the ref: short enough for
  // the string's inline buffer, so the chunk holds no heap memory.
  std::string stub(bytes.substr(0, kXorChunkHeaderSize));
  for (int shift = 56; shift >= 0; shift -= 8) stub.push_back(static_cast<char>((*ref >> shift) & 0xff));
  Result<XorChunk> header = XorChunk::FromBytes(std::move(stub));
  if (!header.ok()) return;
  // Not move-assignment: assigning a short string keeps the old buffer.
  std::destroy_at(&c.chunk);
  std::construct_at(&c.chunk, std::move(*header));
}

bool MemSeries::ChunkBytes(size_t i, const HeadChunkFiles* files, std::string* scratch, std::string_view* out) const {
  const MemChunk& c = chunks_[i];
  if (!c.on_disk()) {
    *out = c.chunk.Bytes();
    return true;
  }
  const uint64_t file_ref = c.file_ref();
  Status st = files != nullptr ? files->Read(file_ref, scratch)
                               : Status::FailedPrecondition("chunk ref " + std::to_string(file_ref) +
                                                            " is on disk, but no head chunk files were given");
  if (!st.ok()) {
    LogError("tsdb", "reading head chunk {} of series {}: {}", first_chunk_id_ + i, ref_, st.ToString());
    return false;
  }
  *out = *scratch;
  return true;
}

bool MemSeries::LoadChunk(size_t i, const HeadChunkFiles* files) {
  if (!chunks_[i].on_disk()) return true;
  // Re-encoded rather than adopted, so the encoder's bit position is right.
  std::vector<Sample> samples;
  if (!DecodeChunk(i, files, &samples) || samples.empty()) return false;
  RewriteChunk(i, samples);
  return true;
}

size_t MemSeries::NumChunksOnDisk() const {
  size_t n = 0;
  for (const MemChunk& c : chunks_) n += c.on_disk() ? 1 : 0;
  return n;
}

size_t MemSeries::ChunkHeapBytes() const {
  size_t n = 0;
  for (const MemChunk& c : chunks_) {
    if (c.chunk.MemoryBytes() > 15) n += c.chunk.MemoryBytes();  // beyond libstdc++'s inline buffer
  }
  return n;
}

}  // namespace promethium::tsdb
