// The span-widening arithmetic of histogram_meta.h: how a chunk's bucket
// layout and a new sample's are reconciled (Prometheus's
// expandIntSpansAndBuckets, expandFloatSpansAndBuckets, expandSpansBothWays,
// insert and adjustForInserts).
#include "tsdb/chunkenc/histogram_meta.h"

namespace promethium::tsdb {
namespace {

// Extends a run of inserts at bucket `other_index`, starting a new insert
// when the run is not contiguous.
void AddToInsert(std::vector<BucketInsert>* inserts, BucketInsert* current, int64_t other_index) {
  if (current->num == 0) {
    current->bucket_index = other_index;
  } else if (current->bucket_index + current->num != other_index) {
    inserts->push_back(*current);
    current->num = 0;
    current->bucket_index = other_index;
  }
  ++current->num;
}

// One side of the comparison: its bucket indexes, its absolute count at the
// current bucket, and the insert run being collected for it.
template <typename Count>
struct Side {
  explicit Side(std::span<const HistogramSpan> spans) : it(spans) {}
  BucketIndexIterator it;
  int64_t index = 0;
  bool ok = false;
  size_t pos = 0;  // position in the bucket list
  Count count{};
  BucketInsert pending;
};

// Shared by the integer (delta-encoded) and float (absolute) variants:
// `absolute(prev, value)` turns the stored bucket value into an absolute
// count given the previous bucket's absolute count.
template <typename Count, typename Absolute>
SpanExpansion ExpandSpansAndBuckets(std::span<const HistogramSpan> a_spans, std::span<const HistogramSpan> b_spans,
                                    std::span<const Count> a_buckets, std::span<const Count> b_buckets,
                                    Absolute absolute) {
  SpanExpansion out;
  Side<Count> a(a_spans), b(b_spans);
  auto load = [&](Side<Count>& s, std::span<const Count> buckets) {
    s.ok = s.it.Next(&s.index) && s.pos < buckets.size();
    if (s.ok) s.count = absolute(s.count, buckets[s.pos]);
  };
  // Inserts into a make up for b's new buckets; inserts into b for a's
  // buckets that b lacks (allowed only while they are empty).
  auto advance = [&](Side<Count>& s, std::span<const Count> buckets, std::vector<BucketInsert>* inserts) {
    if (s.pending.num > 0) {
      inserts->push_back(s.pending);
      s.pending.num = 0;
    }
    ++s.pos;
    ++s.pending.pos;
    load(s, buckets);
  };
  load(a, a_buckets);
  load(b, b_buckets);
  while (a.ok || b.ok) {
    if (a.ok && b.ok && a.index == b.index) {
      if (a.count > b.count) return SpanExpansion{{}, {}, false};  // a bucket decreased
      advance(a, a_buckets, &out.forward);
      advance(b, b_buckets, &out.backward);
    } else if (a.ok && (!b.ok || a.index < b.index)) {
      // b lacks a's bucket: fine only when it was empty in a.
      if (a.count != 0) return SpanExpansion{{}, {}, false};
      AddToInsert(&out.backward, &b.pending, a.index);
      advance(a, a_buckets, &out.forward);
    } else {
      // a lacks b's bucket: the chunk must be widened.
      AddToInsert(&out.forward, &a.pending, b.index);
      advance(b, b_buckets, &out.backward);
    }
  }
  if (a.pending.num > 0) out.forward.push_back(a.pending);
  if (b.pending.num > 0) out.backward.push_back(b.pending);
  return out;
}

// Appends bucket index `bucket` to spans being built in order.
void AddBucketToSpans(std::vector<HistogramSpan>* spans, int64_t* last_bucket, int64_t bucket) {
  int64_t offset = bucket - *last_bucket - 1;
  if (offset == 0 && !spans->empty()) {
    ++spans->back().length;
  } else {
    if (spans->empty()) ++offset;  // the first offset is the absolute index
    spans->push_back(HistogramSpan{static_cast<int32_t>(offset), 1});
  }
  *last_bucket = bucket;
}

template <typename V>
std::vector<V> InsertImpl(std::span<const V> in, std::span<const BucketInsert> inserts, bool deltas) {
  size_t total = in.size();
  for (const BucketInsert& ins : inserts) total += static_cast<size_t>(ins.num);
  std::vector<V> out;
  out.reserve(total);
  V v{};  // the absolute value of the last input bucket (deltas only)
  size_t ii = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    const V d = in[i];
    bool first_insert = true;
    for (; ii < inserts.size() && static_cast<size_t>(inserts[ii].pos) == i; ++ii) {
      // The first inserted delta brings the running value to 0; the rest stay 0.
      out.push_back(deltas && first_insert ? -v : V{});
      first_insert = false;
      for (int x = 1; x < inserts[ii].num; ++x) out.push_back(V{});
    }
    // After an insert the next delta is relative to 0, so it becomes absolute.
    out.push_back(deltas && !first_insert ? d + v : d);
    v += d;
  }
  for (; ii < inserts.size(); ++ii) {  // empty buckets after the last one
    out.push_back(deltas ? -v : V{});
    for (int x = 1; x < inserts[ii].num; ++x) out.push_back(V{});
    v = V{};
  }
  return out;
}

}  // namespace

SpanExpansion ExpandIntSpansAndBuckets(std::span<const HistogramSpan> a, std::span<const HistogramSpan> b,
                                       std::span<const int64_t> a_buckets, std::span<const int64_t> b_buckets) {
  return ExpandSpansAndBuckets<int64_t>(a, b, a_buckets, b_buckets,
                                        [](int64_t prev, int64_t delta) { return prev + delta; });
}

SpanExpansion ExpandFloatSpansAndBuckets(std::span<const HistogramSpan> a, std::span<const HistogramSpan> b,
                                         std::span<const double> a_buckets, std::span<const double> b_buckets) {
  return ExpandSpansAndBuckets<double>(a, b, a_buckets, b_buckets, [](double, double value) { return value; });
}

BothWaysExpansion ExpandSpansBothWays(std::span<const HistogramSpan> a_spans, std::span<const HistogramSpan> b_spans) {
  BothWaysExpansion out;
  BucketIndexIterator ai(a_spans), bi(b_spans);
  int64_t last_bucket = 0;
  BucketInsert f_pending, b_pending;
  int64_t av = 0, bv = 0;
  bool a_ok = ai.Next(&av), b_ok = bi.Next(&bv);
  auto flush = [](std::vector<BucketInsert>* inserts, BucketInsert* pending) {
    if (pending->num > 0) {
      inserts->push_back(*pending);
      pending->num = 0;
    }
  };
  while (a_ok || b_ok) {
    if (a_ok && b_ok && av == bv) {
      flush(&out.forward, &f_pending);
      flush(&out.backward, &b_pending);
      AddBucketToSpans(&out.merged, &last_bucket, av);
      a_ok = ai.Next(&av);
      b_ok = bi.Next(&bv);
      ++f_pending.pos;
      ++b_pending.pos;
    } else if (a_ok && (!b_ok || av < bv)) {  // b lacks a's bucket
      ++b_pending.num;
      if (b_ok) flush(&out.forward, &f_pending);
      AddBucketToSpans(&out.merged, &last_bucket, av);
      if (b_ok) ++f_pending.pos;
      a_ok = ai.Next(&av);
    } else {  // a lacks b's bucket
      ++f_pending.num;
      if (a_ok) flush(&out.backward, &b_pending);
      AddBucketToSpans(&out.merged, &last_bucket, bv);
      if (a_ok) ++b_pending.pos;
      b_ok = bi.Next(&bv);
    }
  }
  flush(&out.forward, &f_pending);
  flush(&out.backward, &b_pending);
  return out;
}

std::vector<int64_t> InsertBuckets(std::span<const int64_t> in, std::span<const BucketInsert> inserts, bool deltas) {
  return InsertImpl<int64_t>(in, inserts, deltas);
}

std::vector<double> InsertBuckets(std::span<const double> in, std::span<const BucketInsert> inserts) {
  return InsertImpl<double>(in, inserts, false);
}

std::vector<HistogramSpan> AdjustSpansForInserts(std::span<const HistogramSpan> spans,
                                                 std::span<const BucketInsert> inserts) {
  if (inserts.empty()) return {spans.begin(), spans.end()};
  std::vector<HistogramSpan> merged;
  int64_t last_bucket = 0;
  size_t i = 0;
  int64_t insert_index = inserts[0].bucket_index;
  int insert_left = inserts[0].num;
  auto consume_insert = [&] {
    if (--insert_left == 0) {
      if (++i < inserts.size()) {
        insert_index = inserts[i].bucket_index;
        insert_left = inserts[i].num;
      }
    } else {
      ++insert_index;
    }
  };
  BucketIndexIterator it(spans);
  int64_t bucket = 0;
  bool ok = it.Next(&bucket);
  while (ok) {
    if (i < inserts.size() && insert_index < bucket) {
      AddBucketToSpans(&merged, &last_bucket, insert_index);
      consume_insert();
    } else {
      AddBucketToSpans(&merged, &last_bucket, bucket);
      ok = it.Next(&bucket);
    }
  }
  while (i < inserts.size()) {
    AddBucketToSpans(&merged, &last_bucket, insert_index);
    consume_insert();
  }
  return merged;
}

}  // namespace promethium::tsdb
