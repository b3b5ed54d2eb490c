// The storage interfaces: the only way data goes into and comes out of the
// TSDB. scrape writes through Appender; promql and web read through Querier.
// Neither links the engine: they see only these interfaces (Prometheus's
// storage package plays the same role).
//
// Ownership and lifetimes:
//  - Appendable::NewAppender returns an Appender owned by the caller. Samples
//    become visible to queries only after Commit(); Rollback() discards them.
//  - Queryable::NewQuerier returns a Querier owned by the caller. SeriesSets,
//    Series and iterators obtained from it borrow from it and must be
//    destroyed before it.
// Thread-safety: Appendable and Queryable are safe to use from any thread.
// A single Appender, Querier, SeriesSet or iterator is used by one thread at
// a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tsdb/api/labels.h"
#include "tsdb/api/matcher.h"
#include "tsdb/api/sample.h"
#include "tsdb/base/result.h"
#include "tsdb/histogram/float_histogram.h"
#include "tsdb/histogram/histogram.h"

namespace promethium {

// Opaque reference to a series inside the storage, returned by Append so the
// next append for the same labels can skip the label lookup. 0 means unknown.
using SeriesRef = uint64_t;

// An exemplar: a sample of a trace or request attached to a series sample
// (OpenMetrics `# {trace_id="x"} 1.5 1600000000.123`), as Prometheus's
// exemplar.Exemplar. The labels' total length (names and values, in UTF-8
// runes) is at most kExemplarMaxLabelSetLength.
struct Exemplar {
  Labels labels;
  double value = 0;
  int64_t ts = 0;  // ms
  friend bool operator==(const Exemplar& a, const Exemplar& b) {
    return a.ts == b.ts && a.labels == b.labels && (a.value == b.value || (a.value != a.value && b.value != b.value));
  }
};
inline constexpr size_t kExemplarMaxLabelSetLength = 128;

class Appender {
 public:
  virtual ~Appender() = default;
  // Appends one sample. `ref` is a previous return value for the same labels
  // or 0. The labels must be sorted and valid. Returns the series ref, or an
  // error (OutOfOrder, OutOfBounds, Duplicate, ResourceExhausted, IOError);
  // an error on one sample does not invalidate the rest of the batch.
  // With a non-zero `ref` the labels may be empty, so callers that cache
  // refs need not keep Labels at hand: if the appender does not know `ref`
  // (any more, e.g. the series was deleted), it returns NotFound and the
  // caller retries with the labels.
  virtual Result<SeriesRef> Append(SeriesRef ref, const Labels& labels, int64_t t, double v) = 0;
  // Attaches an exemplar to the series `series_labels` (whose sample was
  // appended in this batch; `ref` is what Append returned). It becomes
  // visible with the samples at Commit(). Errors: OutOfOrder ("out of order
  // exemplar"), Duplicate (the series' newest exemplar; harmless),
  // InvalidArgument (label set too long), Unsupported (no exemplar storage).
  virtual Result<SeriesRef> AppendExemplar(SeriesRef ref, const Labels& series_labels, const Exemplar& e) {
    (void)ref;
    (void)series_labels;
    (void)e;
    return Status::Unsupported("exemplar storage");
  }
  // Appends one native-histogram sample: exactly one of `h` (integer
  // counts) and `fh` (float counts) is non-null, and it must Validate().
  // Same contract as Append otherwise. Storage that cannot keep histograms
  // (yet) returns Unsupported: the caller reports it, nothing is dropped
  // silently.
  virtual Result<SeriesRef> AppendHistogram(SeriesRef ref, const Labels& labels, int64_t t, const Histogram* h,
                                            const FloatHistogram* fh) {
    (void)ref;
    (void)labels;
    (void)t;
    (void)h;
    (void)fh;
    return Status::Unsupported("native histograms in this storage");
  }
  // Makes every appended sample durable (per the WAL policy) and visible.
  virtual Status Commit() = 0;
  virtual Status Rollback() = 0;
};

class Appendable {
 public:
  virtual ~Appendable() = default;
  virtual std::unique_ptr<Appender> NewAppender() = 0;
};

// What the current sample of a SampleIterator holds (Prometheus's
// chunkenc.ValueType, same numbers).
enum class ValueType { kNone = 0, kFloat = 1, kHistogram = 2, kFloatHistogram = 3 };

// Iterates the samples of one series in increasing timestamp order. A
// series may switch between floats and histograms from one sample to the
// next; Next/Seek say which the current sample is.
class SampleIterator {
 public:
  virtual ~SampleIterator() = default;
  // Advances; returns kNone when exhausted (or on error: check Err()).
  virtual ValueType Next() = 0;
  // Advances to the first sample with timestamp >= t. If the current sample
  // already satisfies that, stays. Returns kNone when there is none.
  virtual ValueType Seek(int64_t t) = 0;
  // The current float sample; valid only after Next/Seek returned kFloat.
  virtual Sample At() const = 0;
  // The current histogram sample: *h is overwritten (its buffers reused),
  // and the timestamp returned. Valid only after kHistogram.
  virtual int64_t AtHistogram(Histogram* h) const {
    *h = Histogram{};
    return At().t;
  }
  // The current histogram sample with float counts; valid after kHistogram
  // (the integer histogram is converted) or kFloatHistogram.
  virtual int64_t AtFloatHistogram(FloatHistogram* fh) const {
    *fh = FloatHistogram{};
    return At().t;
  }
  // The current sample's timestamp, whatever its type.
  virtual int64_t AtT() const { return At().t; }
  virtual Status Err() const = 0;
};

class Series {
 public:
  virtual ~Series() = default;
  virtual const Labels& labels() const = 0;
  // A fresh iterator positioned before the first sample. `reuse` may be an
  // iterator from an earlier call, to recycle its buffers; it may be null.
  virtual std::unique_ptr<SampleIterator> Iterator(std::unique_ptr<SampleIterator> reuse) const = 0;
};

class SeriesSet {
 public:
  virtual ~SeriesSet() = default;
  virtual bool Next() = 0;
  // The current series; valid until the next call to Next().
  virtual const Series& At() const = 0;
  virtual Status Err() const = 0;
  virtual std::vector<std::string> Warnings() const { return {}; }
};

// Hints a query engine gives the storage about what it will read (as
// Prometheus's storage.SelectHints). Storage may ignore them.
struct SelectHints {
  int64_t start = kMinTime;  // ms, inclusive
  int64_t end = kMaxTime;    // ms, inclusive
  int64_t step = 0;          // ms, 0 for instant queries
  int64_t range = 0;         // ms, range selector length
  std::string func;          // surrounding function, e.g. "rate"
  std::vector<std::string> grouping;
  bool by = false;
};

class Querier {
 public:
  virtual ~Querier() = default;
  // Series matching all matchers (at least one matcher must not match the
  // empty string), with samples restricted to the querier's [mint, maxt].
  // With sorted=true series come in Labels order.
  virtual std::unique_ptr<SeriesSet> Select(bool sorted, const SelectHints* hints, const Matchers& matchers) = 0;
  // Sorted, unique values of `name` among series matching the matchers (all
  // series when empty), answered from the index without decoding samples.
  virtual Result<std::vector<std::string>> LabelValues(std::string_view name, const Matchers& matchers) = 0;
  virtual Result<std::vector<std::string>> LabelNames(const Matchers& matchers) = 0;
};

class Queryable {
 public:
  virtual ~Queryable() = default;
  // A querier over samples with mint <= t <= maxt (ms).
  virtual Result<std::unique_ptr<Querier>> NewQuerier(int64_t mint, int64_t maxt) = 0;
};

// The exemplars of one series, oldest first (Prometheus's
// exemplar.QueryResult).
struct ExemplarSeries {
  Labels series_labels;
  std::vector<Exemplar> exemplars;
};

class ExemplarQueryable {
 public:
  virtual ~ExemplarQueryable() = default;
  // The exemplars with start <= ts <= end (ms) of the series that match all
  // matchers of at least one of `selectors`, series sorted by labels.
  virtual Result<std::vector<ExemplarSeries>> SelectExemplars(int64_t start, int64_t end,
                                                              const std::vector<Matchers>& selectors) const = 0;
};

}  // namespace promethium
