// MemSeries editing: truncation, deletion and out-of-order inserts.
//
// Edits decode a chunk, change its sample list and re-encode it in place
// (chunks hold at most a few hundred samples, so this costs microseconds).
// Invariants kept for readers: chunks stay sorted and non-overlapping, the
// last chunk is never empty, and chunk ids never shift. A chunk emptied by a
// delete stays as an empty placeholder (skipped by ChunkMetas, served as an
// empty chunk to a reader that listed it before) unless it is at the tail,
// which is popped (a reader asking for a popped tail chunk gets an empty
// chunk, see CopyChunk). Only truncation removes chunks from the front
// (first_chunk_id_ grows; it waits for readers), and a chunk is added in
// front only by decrementing first_chunk_id_. A full chunk in the chunk
// files is read back (ChunkBytes) to be edited; the edited chunk stays in
// the heap, and so does a chunk on disk that a delete turns back into the
// open one (LoadChunk).
#include <algorithm>
#include <bit>

#include "tsdb/base/logging.h"
#include "tsdb/head/mem_series.h"

namespace promethium::tsdb {

bool MemSeries::DecodeChunk(size_t i, const HeadChunkFiles* files, std::vector<Sample>* out) const {
  std::string scratch;
  std::string_view bytes;
  if (!ChunkBytes(i, files, &scratch, &bytes)) return false;
  out->clear();
  XorIterator it(bytes);
  out->reserve(static_cast<size_t>(chunks_[i].chunk.NumSamples()));
  while (it.Next() != ValueType::kNone) out->push_back(it.At());
  return true;
}

void MemSeries::RewriteChunk(size_t i, const std::vector<Sample>& samples) {
  MemChunk& c = chunks_[i];
  XorChunk fresh;
  XorAppender app(&fresh);
  for (const Sample& s : samples) app.Append(s.t, s.v);
  fresh.Shrink();
  c.chunk = std::move(fresh);  // a rewritten chunk lives in the heap
  if (!samples.empty()) {
    c.min_time = samples.front().t;
    c.max_time = samples.back().t;
  }
}

size_t MemSeries::DropEmptyTail(bool rebind, const ChunkCutOptions& opts) {
  size_t dropped = 0;
  for (;;) {
    while (!chunks_.empty() && chunks_.back().chunk.NumSamples() == 0) {
      chunks_.pop_back();
      ++dropped;
    }
    // A full chunk on disk becoming the open one again comes back to the
    // heap; one that cannot be read (corrupt, logged) is dropped as well.
    if (chunks_.empty() || LoadChunk(chunks_.size() - 1, opts.files)) break;
    chunks_.pop_back();
    ++dropped;
  }
  if (chunks_.empty()) {
    app_ = XorAppender();
    return dropped;
  }
  if (rebind || dropped > 0) {
    // The last chunk moved or changed: restore the encoder state from its
    // bytes (they were produced by our own encoder, so this cannot fail).
    auto resumed = XorAppender::Resume(&chunks_.back().chunk);
    app_ = resumed.ok() ? *resumed : XorAppender(&chunks_.back().chunk);
  }
  // A closed chunk became the open one again: it may grow to its range end
  // (the size limit still cuts it).
  if (dropped > 0) next_at_ = ChunkRangeEnd(chunks_.back().min_time, opts.chunk_range_ms);
  return dropped;
}

size_t MemSeries::TruncateChunksBefore(int64_t mint) {
  size_t hist_dropped = 0;
  if (hist_ != nullptr) {
    hist_dropped = hist_->TruncateBefore(mint);
    if (hist_->Empty()) hist_.reset();
  }
  return hist_dropped + TruncateFloatChunksBefore(mint);
}

size_t MemSeries::TruncateFloatChunksBefore(int64_t mint) {
  size_t n = 0, dropped = 0;
  for (; n < chunks_.size() && chunks_[n].max_time < mint; ++n) {
    if (chunks_[n].chunk.NumSamples() > 0) ++dropped;  // placeholders were counted when emptied
  }
  if (n == 0) return 0;
  chunks_.erase(chunks_.begin(), chunks_.begin() + static_cast<std::ptrdiff_t>(n));
  first_chunk_id_ += static_cast<uint32_t>(n);
  if (chunks_.capacity() > 2 * chunks_.size() + 2) chunks_.shrink_to_fit();
  // The open chunk itself is unchanged (the tail is never empty), it only
  // moved: point the appender at it, keeping its state and next_at_.
  if (chunks_.empty()) {
    app_ = XorAppender();
  } else {
    app_.Rebind(&chunks_.back().chunk);
  }
  return dropped;
}

size_t MemSeries::DeleteRange(int64_t mint, int64_t maxt, const ChunkCutOptions& opts, size_t* chunks_removed) {
  size_t removed = 0, emptied = 0;
  bool last_changed = false;
  for (size_t i = 0; i < chunks_.size(); ++i) {
    const MemChunk& c = chunks_[i];
    if (c.max_time < mint || c.min_time > maxt || c.chunk.NumSamples() == 0) continue;
    std::vector<Sample> samples;
    if (!DecodeChunk(i, opts.files, &samples)) continue;  // unreadable (logged): nothing to delete from
    const size_t before = samples.size();
    std::erase_if(samples, [&](const Sample& s) { return s.t >= mint && s.t <= maxt; });
    if (samples.size() == before) continue;
    removed += before - samples.size();
    RewriteChunk(i, samples);
    if (samples.empty()) ++emptied;
    if (i + 1 == chunks_.size()) last_changed = true;
  }
  DropEmptyTail(last_changed, opts);
  *chunks_removed = emptied;  // dropped now or left as placeholders
  if (hist_ != nullptr) {
    Result<size_t> hist_removed = hist_->DeleteRange(mint, maxt, chunks_removed);
    if (hist_removed.ok()) {
      removed += *hist_removed;
    } else {
      // Only when the remaining samples of one histogram chunk would need
      // several chunks; the chunk then keeps them all.
      LogError("tsdb", "unsupported: deleting [{}, {}] from the histograms of series {}: {}", mint, maxt, ref_,
               hist_removed.status().ToString());
    }
  }
  return removed;
}

size_t MemSeries::OutOfOrderTarget(int64_t t, int64_t width) const {
  // The last (non-empty) chunk starting at or before t.
  size_t target = chunks_.size();
  for (size_t i = chunks_.size(); i-- > 0;) {
    if (chunks_[i].chunk.NumSamples() > 0 && chunks_[i].min_time <= t) {
      target = i;
      break;
    }
  }
  if (target == chunks_.size()) {
    // Older than the whole series: the first chunk if t is in its chunk
    // range, else a chunk of its own in front (chunks keep to chunk-range,
    // that is block, boundaries).
    size_t first = 0;
    while (chunks_[first].chunk.NumSamples() == 0) ++first;  // the tail is never empty
    return ChunkRangeEnd(t, width) == ChunkRangeEnd(chunks_[first].min_time, width) ? first : chunks_.size();
  }
  // In a gap after `target` but in the next chunk's range: that chunk.
  // Otherwise a gap sample joins `target`, which then straddles a boundary
  // (the range view clips it).
  if (target + 1 < chunks_.size() && chunks_[target + 1].chunk.NumSamples() > 0 &&
      t >= ChunkRangeEnd(chunks_[target].min_time, width) &&
      ChunkRangeEnd(t, width) == ChunkRangeEnd(chunks_[target + 1].min_time, width)) {
    return target + 1;
  }
  return target;
}

MemSeries::AppendCheck MemSeries::CheckOutOfOrder(int64_t t, double v, const ChunkCutOptions& opts) const {
  // Out-of-order floats could land inside a histogram chunk's time range;
  // a series that holds histograms takes floats in order only.
  if (hist_ != nullptr && !hist_->Empty()) return AppendCheck::kOutOfOrder;
  for (size_t i = 0; i < chunks_.size(); ++i) {
    const MemChunk& c = chunks_[i];
    if (t < c.min_time || t > c.max_time || c.chunk.NumSamples() == 0) continue;
    std::string scratch;
    std::string_view bytes;
    if (!ChunkBytes(i, opts.files, &scratch, &bytes)) return AppendCheck::kOutOfOrder;  // unreadable: reject
    XorIterator it(bytes);
    if (it.Seek(t) != ValueType::kNone && it.At().t == t) {
      return it.value_bits() == std::bit_cast<uint64_t>(v) ? AppendCheck::kSameSample : AppendCheck::kDuplicate;
    }
  }
  // A chunk's sample count is 16 bits, and chunks cannot be split without
  // shifting ids: a full chunk takes no more out-of-order samples.
  const size_t target = OutOfOrderTarget(t, opts.chunk_range_ms);
  if (target < chunks_.size() && chunks_[target].chunk.NumSamples() >= kMaxOutOfOrderChunkSamples) {
    return AppendCheck::kOutOfOrder;
  }
  // InsertOutOfOrder must be able to read the chunk it edits.
  if (target < chunks_.size() && chunks_[target].on_disk()) {
    std::string scratch;
    std::string_view bytes;
    if (!ChunkBytes(target, opts.files, &scratch, &bytes)) return AppendCheck::kOutOfOrder;
  }
  return AppendCheck::kOk;
}

bool MemSeries::InsertOutOfOrder(int64_t t, double v, const ChunkCutOptions& opts) {
  const int64_t width = opts.chunk_range_ms;
  const size_t target = OutOfOrderTarget(t, width);
  if (target == chunks_.size()) {
    XorChunk fresh;
    XorAppender(&fresh).Append(t, v);
    chunks_.insert(chunks_.begin(), MemChunk{std::move(fresh), t, t});
    --first_chunk_id_;
    DropEmptyTail(/*rebind=*/true, opts);  // the vector may have moved
    return true;
  }
  std::vector<Sample> samples;
  if (!DecodeChunk(target, opts.files, &samples)) return false;  // CheckOutOfOrder read it a moment ago
  auto pos = std::lower_bound(samples.begin(), samples.end(), t, [](const Sample& s, int64_t x) { return s.t < x; });
  samples.insert(pos, Sample{t, v});
  RewriteChunk(target, samples);
  if (target + 1 == chunks_.size()) DropEmptyTail(/*rebind=*/true, opts);
  return false;
}

}  // namespace promethium::tsdb
