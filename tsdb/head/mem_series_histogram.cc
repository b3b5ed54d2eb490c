#include "tsdb/head/mem_series_histogram.h"

#include <algorithm>
#include <limits>

#include "tsdb/head/mem_series.h"
#include "tsdb/querier/chunk_rewrite.h"

namespace promethium::tsdb {

int64_t SeriesHistograms::MinTime() const {
  for (const Chunk& c : chunks_) {
    if (c.NumSamples() > 0) return c.min_time;  // skip placeholders
  }
  return std::numeric_limits<int64_t>::max();
}

int64_t SeriesHistograms::MaxTime() const {
  for (auto it = chunks_.rbegin(); it != chunks_.rend(); ++it) {
    if (it->NumSamples() > 0) return it->max_time;
  }
  return std::numeric_limits<int64_t>::min();
}

bool SeriesHistograms::NeedsCut(int64_t t, ChunkEncoding encoding, bool force_cut) const {
  if (chunks_.empty() || force_cut) return true;
  const Chunk& open = chunks_.back();
  if (open.encoding != encoding || open.NumSamples() == 0) return true;
  if (open.SizeBytes() >= kTargetChunkBytes && open.NumSamples() >= kMinSamplesForSizeCut) return true;
  return t >= next_at_;
}

Result<bool> SeriesHistograms::Append(int64_t t, const Histogram* h, const FloatHistogram* fh, int64_t chunk_range_ms,
                                      bool force_cut) {
  const ChunkEncoding encoding = h != nullptr ? ChunkEncoding::kHistogram : ChunkEncoding::kFloatHistogram;
  const bool cut = NeedsCut(t, encoding, force_cut);
  Result<bool> appended = h != nullptr ? AppendInteger(t, *h, cut) : AppendFloat(t, *fh, cut);
  if (!appended.ok()) return appended;
  if (*appended) next_at_ = ChunkRangeEnd(t, chunk_range_ms);
  chunks_.back().max_time = t;
  return appended;
}

// The two typed appends differ only in their chunk and appender types.
// Each returns whether the sample started a new chunk (a forced cut or one
// the appender made).
Result<bool> SeriesHistograms::AppendInteger(int64_t t, const Histogram& h, bool cut) {
  if (cut) {
    auto chunk = std::make_unique<HistogramChunk>();
    HistogramAppender app(chunk.get());
    const bool prev_is_int = !chunks_.empty() && chunks_.back().encoding == ChunkEncoding::kHistogram;
    PROMETHIUM_ASSIGN_OR_RETURN(auto outcome, app.Append(t, h, false, prev_is_int ? &happ_ : nullptr));
    (void)outcome;  // the first sample of an empty chunk goes in place
    happ_ = std::move(app);
    chunks_.push_back(Chunk{ChunkEncoding::kHistogram, std::move(chunk), nullptr, t, t});
    return true;
  }
  PROMETHIUM_ASSIGN_OR_RETURN(auto outcome, happ_.Append(t, h, false));
  if (outcome.kind == AppendKind::kRecoded) chunks_.back().h = std::move(outcome.chunk);
  if (outcome.kind != AppendKind::kNewChunk) return false;
  chunks_.push_back(Chunk{ChunkEncoding::kHistogram, std::move(outcome.chunk), nullptr, t, t});
  return true;
}

Result<bool> SeriesHistograms::AppendFloat(int64_t t, const FloatHistogram& fh, bool cut) {
  if (cut) {
    auto chunk = std::make_unique<FloatHistogramChunk>();
    FloatHistogramAppender app(chunk.get());
    const bool prev_is_float = !chunks_.empty() && chunks_.back().encoding == ChunkEncoding::kFloatHistogram;
    PROMETHIUM_ASSIGN_OR_RETURN(auto outcome, app.Append(t, fh, false, prev_is_float ? &fapp_ : nullptr));
    (void)outcome;
    fapp_ = std::move(app);
    chunks_.push_back(Chunk{ChunkEncoding::kFloatHistogram, nullptr, std::move(chunk), t, t});
    return true;
  }
  PROMETHIUM_ASSIGN_OR_RETURN(auto outcome, fapp_.Append(t, fh, false));
  if (outcome.kind == AppendKind::kRecoded) chunks_.back().fh = std::move(outcome.chunk);
  if (outcome.kind != AppendKind::kNewChunk) return false;
  chunks_.push_back(Chunk{ChunkEncoding::kFloatHistogram, nullptr, std::move(outcome.chunk), t, t});
  return true;
}

void SeriesHistograms::ChunkMetas(SeriesRef series, int64_t mint, int64_t maxt, std::vector<ChunkMeta>* out) const {
  for (size_t i = 0; i < chunks_.size(); ++i) {
    const Chunk& c = chunks_[i];
    if (c.max_time < mint || c.min_time > maxt || c.NumSamples() == 0) continue;
    const uint64_t id = ((first_id_ + i) & kChunkIdMask23) | kHistogramChunkIdFlag;
    out->push_back(ChunkMeta{PackHeadChunkRef(series, id), c.min_time, c.max_time});
  }
}

bool SeriesHistograms::CopyChunk(uint64_t chunk_id, std::string* bytes, ChunkEncoding* encoding) const {
  // As the XOR chunks' ids: modulo 2^23, relative to the first chunk; a
  // "negative" index is a chunk truncated away.
  const uint64_t index = ((chunk_id & kChunkIdMask23) - first_id_) & kChunkIdMask23;
  if (index >= chunks_.size()) return false;
  bytes->assign(chunks_[index].Bytes());
  *encoding = chunks_[index].encoding;
  return true;
}

size_t SeriesHistograms::TruncateBefore(int64_t mint) {
  size_t n = 0;
  // The open chunk stays while it is the last: its appender writes it.
  while (n + 1 < chunks_.size() && chunks_[n].max_time < mint) ++n;
  if (n + 1 == chunks_.size() && chunks_.back().max_time < mint) n = chunks_.size();
  size_t dropped = 0;
  for (size_t i = 0; i < n; ++i) dropped += chunks_[i].NumSamples() > 0 ? 1 : 0;
  chunks_.erase(chunks_.begin(), chunks_.begin() + static_cast<ptrdiff_t>(n));
  first_id_ = static_cast<uint32_t>((first_id_ + n) & kChunkIdMask23);
  return dropped;
}

Status SeriesHistograms::SetChunkBytes(size_t i, ChunkEncoding encoding, std::string bytes) {
  Chunk& c = chunks_[i];
  const bool open = i + 1 == chunks_.size();
  if (encoding == ChunkEncoding::kHistogram) {
    PROMETHIUM_ASSIGN_OR_RETURN(HistogramChunk chunk, HistogramChunk::FromBytes(std::move(bytes)));
    c.h = std::make_unique<HistogramChunk>(std::move(chunk));
    if (open) {
      PROMETHIUM_ASSIGN_OR_RETURN(happ_, HistogramAppender::Resume(c.h.get()));
    }
    return Status::OK();
  }
  PROMETHIUM_ASSIGN_OR_RETURN(FloatHistogramChunk chunk, FloatHistogramChunk::FromBytes(std::move(bytes)));
  c.fh = std::make_unique<FloatHistogramChunk>(std::move(chunk));
  if (open) {
    PROMETHIUM_ASSIGN_OR_RETURN(fapp_, FloatHistogramAppender::Resume(c.fh.get()));
  }
  return Status::OK();
}

Result<size_t> SeriesHistograms::DeleteRange(int64_t mint, int64_t maxt, size_t* chunks_removed) {
  size_t removed = 0;
  for (size_t i = 0; i < chunks_.size(); ++i) {
    Chunk& c = chunks_[i];
    if (c.max_time < mint || c.min_time > maxt || c.NumSamples() == 0) continue;
    const int before = c.NumSamples();
    ChunkEncoding encoding = c.encoding;
    std::string bytes(c.Bytes());
    bool dropped = false;
    PROMETHIUM_RETURN_IF_ERROR(
        FilterChunk([&](int64_t t) { return t < mint || t > maxt; }, &encoding, &bytes, &dropped));
    if (!dropped) continue;
    PROMETHIUM_RETURN_IF_ERROR(SetChunkBytes(i, encoding, std::move(bytes)));
    removed += static_cast<size_t>(before - c.NumSamples());
    if (c.NumSamples() == 0) {
      ++*chunks_removed;
      continue;  // a placeholder keeps its old range: metas skip it
    }
    // The re-encoded chunk's first and last samples.
    std::vector<TypedSample> left;
    bool clipped = false;
    PROMETHIUM_RETURN_IF_ERROR(DecodeTypedChunk(c.encoding, c.Bytes(), INT64_MIN, INT64_MAX, 0, &left, &clipped));
    c.min_time = left.front().t;
    c.max_time = left.back().t;
  }
  return removed;
}

// --- MemSeries' histogram methods (declared in mem_series.h)

MemSeries::AppendCheck MemSeries::CheckHistogram(int64_t t) const {
  const int64_t newest = MaxTime();
  if (Empty() || t > newest) return AppendCheck::kOk;
  return t == newest ? AppendCheck::kDuplicate : AppendCheck::kOutOfOrder;
}

Result<bool> MemSeries::AppendHistogram(int64_t t, const Histogram* h, const FloatHistogram* fh,
                                        const ChunkCutOptions& opts) {
  if (hist_ == nullptr) hist_ = std::make_unique<SeriesHistograms>();
  // Floats since the open histogram chunk's newest sample: a new chunk.
  const bool type_changed = !chunks_.empty() && chunks_.back().max_time > hist_->MaxTime();
  Result<bool> cut = hist_->Append(t, h, fh, opts.chunk_range_ms, type_changed);
  if (!cut.ok() && hist_->Empty()) hist_.reset();
  return cut;
}

bool MemSeries::CopyAnyChunk(uint64_t chunk_id, const HeadChunkFiles* files, std::string* bytes,
                             ChunkEncoding* encoding) const {
  if ((chunk_id & kHistogramChunkIdFlag) != 0) return hist_ != nullptr && hist_->CopyChunk(chunk_id, bytes, encoding);
  *encoding = ChunkEncoding::kXor;
  return CopyChunk(chunk_id, files, bytes);
}

}  // namespace promethium::tsdb
