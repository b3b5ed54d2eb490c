// Head: the in-memory, appendable part of the TSDB. It owns every series
// (MemSeries) and the postings index over their labels, hands out
// Appenders (head_append.cc) and reads like a block through an IndexReader
// and a ChunkReader (head_read.cc), so the same BlockQuerier will serve the
// head and persisted blocks alike.
//
// Series registry: series live in N lock stripes keyed by ref (which own
// them) and are found by label hash in N stripes of hash -> series, with a
// collision list for the rare distinct label sets that share a hash. Refs
// are assigned from a monotonically increasing counter and never reused.
//
// Ownership: the Head owns its series, postings and (when none is given) a
// private MetricsRegistry. MemSeries pointers stay valid for the Head's
// lifetime (series are never removed yet: no head truncation/GC so far).
// Thread-safety: all public methods are safe to call concurrently. There is
// no global lock on the append path: a stripe lock guards lookups/creation
// and each series' own lock guards its chunks.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "tsdb/api/storage.h"
#include "tsdb/base/metrics.h"
#include "tsdb/base/result.h"
#include "tsdb/base/thread_annotations.h"
#include "tsdb/head/mem_series.h"
#include "tsdb/index/index_reader.h"
#include "tsdb/index/mem_postings.h"

namespace promethium::tsdb {

struct HeadOptions {
  ChunkCutOptions cut;
  size_t max_label_count = 0;  // 0: unlimited
  size_t stripe_count = 4096;  // rounded up to a power of two
};

class Head {
 public:
  // `metrics` may be null; the Head then keeps its metrics privately.
  Head(const HeadOptions& opts, MetricsRegistry* metrics);
  ~Head();
  Head(const Head&) = delete;
  Head& operator=(const Head&) = delete;

  // --- series registry (head.cc)
  // The series with this ref, or null.
  MemSeries* GetByRef(SeriesRef ref) const;
  // The series with these labels, created (and indexed) when new. Fails with
  // InvalidArgument for an empty label set and ResourceExhausted above
  // max_label_count.
  Result<MemSeries*> GetOrCreate(const Labels& labels);

  // --- appends (head_append.cc)
  std::unique_ptr<Appender> NewAppender();

  // --- reads (head_read.cc)
  std::unique_ptr<IndexReader> NewIndexReader();
  std::unique_ptr<ChunkReader> NewChunkReader();
  std::unique_ptr<Querier> NewQuerier(int64_t mint, int64_t maxt);

  // Marks the head closed; later appends fail. Reads keep working.
  void Close() { closed_.store(true, std::memory_order_release); }
  bool closed() const { return closed_.load(std::memory_order_acquire); }

  uint64_t NumSeries() const { return num_series_.load(std::memory_order_relaxed); }
  uint64_t NumChunks() const { return num_chunks_.load(std::memory_order_relaxed); }
  // INT64_MAX / INT64_MIN while the head holds no sample (as Prometheus).
  int64_t MinTime() const { return min_time_.load(std::memory_order_relaxed); }
  int64_t MaxTime() const { return max_time_.load(std::memory_order_relaxed); }

  const HeadOptions& options() const { return opts_; }
  // Cardinality statistics of the head's index (for /api/v1/status/tsdb).
  PostingsStats CardinalityStats(size_t limit) const { return postings_.Stats(kMetricName, limit); }

 private:
  friend class HeadAppender;
  friend class HeadIndexReader;

  struct RefStripe {
    mutable Mutex mu;
    std::unordered_map<SeriesRef, std::unique_ptr<MemSeries>> series GUARDED_BY(mu);
  };
  struct HashStripe {
    mutable Mutex mu;
    std::unordered_map<uint64_t, MemSeries*> unique GUARDED_BY(mu);
    // Label sets whose hash collides with one in `unique`.
    std::unordered_map<uint64_t, std::vector<MemSeries*>> conflicts GUARDED_BY(mu);
  };
  struct Metrics {
    Gauge* series;
    Counter* series_created;
    Counter* samples_appended;
    Counter* out_of_order;
    Counter* out_of_bound;
    Gauge* chunks;
    Counter* chunks_created;
    Gauge* min_time;
    Gauge* max_time;
  };

  MemSeries* FindByHash(const HashStripe& stripe, uint64_t hash, const Labels& labels) const REQUIRES_SHARED(stripe.mu);
  // Called by appenders after a commit.
  void OnCommitted(int64_t batch_min_t, int64_t batch_max_t, uint64_t samples, uint64_t chunks_cut,
                   uint64_t out_of_order);

  const HeadOptions opts_;
  const size_t stripe_mask_;
  std::unique_ptr<RefStripe[]> ref_stripes_;
  std::unique_ptr<HashStripe[]> hash_stripes_;
  MemPostings postings_;

  std::atomic<SeriesRef> last_ref_{0};
  std::atomic<uint64_t> num_series_{0};
  std::atomic<uint64_t> num_chunks_{0};
  std::atomic<int64_t> min_time_;
  std::atomic<int64_t> max_time_;
  std::atomic<bool> closed_{false};

  std::unique_ptr<MetricsRegistry> own_metrics_;
  Metrics metrics_;
};

}  // namespace promethium::tsdb
