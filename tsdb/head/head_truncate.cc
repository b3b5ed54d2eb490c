// Head::Truncate: drops chunks wholly before a time and garbage-collects
// series left without chunks, as Prometheus's Head.truncateMemory and gc.
//
// Order matters for concurrent appenders and readers:
//  1. MinValidTime and MinTime are raised to mint first: no append (checked
//     again under the series lock at commit) can add a sample below mint
//     once a series has been truncated, and queriers opened from now on
//     read from mint up.
//  2. Truncate waits (bounded) for queriers and range readers opened before
//     that may read below mint (ReadTracker), so a running query never
//     loses a chunk it listed.
//  3. Chunks are dropped series by series under the ref-stripe (shared) and
//     series locks; then the chunk files delete their segments holding only
//     chunks before mint.
//  4. GC walks the hash stripes; a series is freed only when, under its
//     hash stripe, ref stripe (both exclusive) and own lock, it has no chunk
//     and no pin. Appenders pin under one of those stripe locks, so they
//     either pinned it first (it stays) or can no longer find it. Readers
//     read series under the ref-stripe lock, so never a freed one.
//  5. The freed series' refs leave the postings last; until then a query
//     may see their refs, finds no series and skips them.
#include <algorithm>
#include <chrono>
#include <utility>

#include "tsdb/base/logging.h"
#include "tsdb/head/head.h"

namespace promethium::tsdb {
namespace {

void RaiseTo(std::atomic<int64_t>* v, int64_t to) {
  int64_t cur = v->load(std::memory_order_relaxed);
  while (cur < to && !v->compare_exchange_weak(cur, to)) {
  }
}

}  // namespace

void Head::SetMinValidTime(int64_t t) { RaiseTo(&min_valid_time_, t); }

void Head::CollectGarbage(HashStripe& hstripe, std::vector<MemSeries*>* removed) {
  MutexLock hash_lock(&hstripe.mu);
  std::vector<MemSeries*> candidates;
  hstripe.series.ForEach([&](MemSeries* s) {
    if (s->pinned()) return;
    SeriesLock lock(s->mu());
    if (s->Empty()) candidates.push_back(s);
  });
  for (MemSeries* s : candidates) {
    RefStripe& rstripe = ref_stripes_[s->ref() & stripe_mask_];
    MutexLock ref_lock(&rstripe.mu);
    // Pins are taken under one of the two stripe locks we now hold
    // exclusively, so this check is final.
    if (s->pinned()) continue;
    {
      SeriesLock lock(s->mu());
      if (!s->Empty()) continue;
    }
    rstripe.series.Remove(s, s->ref());
    hstripe.series.Remove(s, s->labels().Hash());
    removed->push_back(s);
  }
}

Status Head::Truncate(int64_t mint) {
  MutexLock truncate_lock(&truncate_mu_);
  metrics_.truncations->Inc();
  const auto start = std::chrono::steady_clock::now();
  SetMinValidTime(mint);
  RaiseTo(&min_time_, mint);
  if (min_time_.load() != std::numeric_limits<int64_t>::max()) RaiseTo(&max_time_, mint);  // as Prometheus
  // Queriers opened from here on start at or above mint; wait for older ones.
  if (!reads_.WaitForReadsBefore(mint, std::chrono::milliseconds(opts_.truncate_reader_wait_ms))) {
    LogWarn("tsdb", "head truncation to {} proceeds with {} reader(s) still open after {}ms", mint, reads_.open(),
            opts_.truncate_reader_wait_ms);
  }

  uint64_t chunks_removed = 0;
  for (size_t i = 0; i <= stripe_mask_; ++i) {
    ReaderMutexLock lock(&ref_stripes_[i].mu);
    ref_stripes_[i].series.ForEach([&](MemSeries* s) {
      SeriesLock series_lock(s->mu());
      chunks_removed += s->TruncateChunksBefore(mint);
    });
  }

  // Every chunk ending before mint is gone from the series now (and no
  // reader below mint is left, or it was warned about above).
  if (opts_.cut.files != nullptr) {
    Status st = opts_.cut.files->Truncate(mint);
    if (!st.ok()) LogWarn("tsdb", "deleting head chunk segments before {}: {}", mint, st.ToString());
  }

  std::vector<MemSeries*> removed;
  for (size_t i = 0; i <= stripe_mask_; ++i) CollectGarbage(hash_stripes_[i], &removed);

  std::vector<SeriesRef> refs;
  // Label pairs as pointers to the interned keys: unique by identity, and
  // sorting groups them by name as MemPostings::Delete wants.
  std::vector<std::pair<const std::string*, const std::string*>> interned;
  refs.reserve(removed.size());
  for (MemSeries* s : removed) {
    refs.push_back(s->ref());
    for (size_t i = 0; i < s->NumLabels(); ++i) interned.emplace_back(s->InternedName(i), s->InternedValue(i));
    delete s;  // unreachable now: no stripe links it and nobody pinned it
  }
  std::sort(refs.begin(), refs.end());
  std::sort(interned.begin(), interned.end());
  interned.erase(std::unique(interned.begin(), interned.end()), interned.end());
  std::vector<MemPostings::LabelPair> affected;
  affected.reserve(interned.size());
  for (const auto& [name, value] : interned) affected.emplace_back(*name, *value);
  postings_.Delete(refs, affected);

  num_series_.fetch_sub(removed.size(), std::memory_order_relaxed);
  num_chunks_.fetch_sub(chunks_removed, std::memory_order_relaxed);
  metrics_.series->Set(static_cast<double>(NumSeries()));
  metrics_.series_removed->Inc(static_cast<double>(removed.size()));
  metrics_.chunks->Set(static_cast<double>(NumChunks()));
  metrics_.chunks_removed->Inc(static_cast<double>(chunks_removed));
  metrics_.min_time->Set(static_cast<double>(MinTime()));
  metrics_.max_time->Set(static_cast<double>(MaxTime()));
  metrics_.gc_duration->Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return Status::OK();
}

}  // namespace promethium::tsdb
