#include "tsdb/exemplar/circular_exemplar_storage.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

namespace promethium::tsdb {
namespace {

// UTF-8 runes in s: bytes that are not continuation bytes.
size_t RuneCount(std::string_view s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

bool MatchesAll(const Labels& lset, const Matchers& ms) {
  return std::all_of(ms.begin(), ms.end(), [&](const Matcher& m) { return m.Matches(lset.Get(m.name())); });
}

}  // namespace

CircularExemplarStorage::CircularExemplarStorage(size_t max_exemplars, MetricsRegistry* metrics)
    : ring_capacity_(max_exemplars) {
  // The ring grows as exemplars arrive (up to its capacity), so a server
  // whose targets expose none pays nothing for it.
  if (metrics == nullptr) {
    own_registry_ = std::make_unique<MetricsRegistry>();
    metrics = own_registry_.get();
  }
  appended_ =
      metrics->GetCounter("prometheus_tsdb_exemplar_exemplars_appended_total", "Total number of appended exemplars.");
  out_of_order_ = metrics->GetCounter("prometheus_tsdb_exemplar_out_of_order_exemplars_total",
                                      "Total number of out of order exemplar ingestion failed attempts.");
  in_storage_ = metrics->GetGauge("prometheus_tsdb_exemplar_exemplars_in_storage",
                                  "Number of exemplars currently in circular storage.");
  series_ = metrics->GetGauge("prometheus_tsdb_exemplar_series_with_exemplars_in_storage",
                              "Number of series with exemplars currently in circular storage.");
  last_ts_ = metrics->GetGauge("prometheus_tsdb_exemplar_last_exemplars_timestamp_seconds",
                               "The timestamp of the oldest exemplar stored in circular storage. Useful to check for "
                               "what timerange the current exemplar buffer limit allows. This usually means the last "
                               "timestamp for all exemplars for a typical setup. This is not true though if one of "
                               "the series timestamp is in future compared to rest series.");
  max_ = metrics->GetGauge("prometheus_tsdb_exemplar_max_exemplars",
                           "Total number of exemplars the exemplar storage can store, resizeable.");
  max_->Set(static_cast<double>(max_exemplars));
}

size_t CircularExemplarStorage::size() const {
  MutexLock l(&mu_);
  return stored_;
}

Status CircularExemplarStorage::ValidateLocked(const IndexEntry* idx, const Exemplar& e) const {
  if (ring_capacity_ == 0) {
    return Status::Unsupported("exemplar storage is disabled or max exemplars is less than or equal to 0");
  }
  // Names and values only: quotes, '=' and ',' of the text form don't count.
  size_t len = 0;
  for (const Label& l : e.labels) len += RuneCount(l.name) + RuneCount(l.value);
  if (len > kExemplarMaxLabelSetLength) {
    return Status::InvalidArgument(
        fmt::format("label length for exemplar exceeds maximum of {} UTF-8 characters", kExemplarMaxLabelSetLength));
  }
  if (idx == nullptr) return Status::OK();
  const Exemplar& newest = ring_[static_cast<size_t>(idx->newest)].exemplar;
  if (newest == e) return Status::Duplicate("duplicate exemplar");
  // Equal timestamps are allowed when value or labels order after the
  // newest (several buckets of one histogram), as Prometheus.
  if (e.ts < newest.ts || (e.ts == newest.ts && e.value < newest.value) ||
      (e.ts == newest.ts && e.value == newest.value && e.labels < newest.labels)) {
    return Status::OutOfOrder("out of order exemplar");
  }
  return Status::OK();
}

Status CircularExemplarStorage::Validate(const Labels& series, const Exemplar& e) const {
  MutexLock l(&mu_);
  auto it = index_.find(series);
  return ValidateLocked(it == index_.end() ? nullptr : it->second.get(), e);
}

void CircularExemplarStorage::EvictLocked(int64_t i) {
  Slot& slot = ring_[static_cast<size_t>(i)];
  IndexEntry* owner = slot.series;
  // The ring overwrites in insertion order, so slot i is its series' oldest.
  owner->oldest = slot.next;
  if (owner->oldest == kNone) index_.erase(index_.find(*owner->series));  // destroys *owner
  slot.series = nullptr;
  slot.next = kNone;
  --stored_;
}

Status CircularExemplarStorage::Add(const Labels& series, Exemplar e) {
  MutexLock l(&mu_);
  auto it = index_.find(series);
  IndexEntry* idx = it == index_.end() ? nullptr : it->second.get();
  Status st = ValidateLocked(idx, e);
  if (!st.ok()) {
    if (st.code() == Status::Code::kOutOfOrder) out_of_order_->Inc();
    return st;
  }
  const auto slot_i = static_cast<int64_t>(next_);
  if (next_ == ring_.size()) ring_.emplace_back();  // still filling the ring
  if (ring_[next_].series != nullptr) {
    bool own_only = ring_[next_].series == idx && idx->oldest == idx->newest;
    EvictLocked(slot_i);
    if (own_only) idx = nullptr;  // the entry was erased with its last exemplar
  }
  if (idx == nullptr) {
    auto inserted = index_.emplace(series, std::make_unique<IndexEntry>()).first;
    idx = inserted->second.get();
    idx->series = &inserted->first;
  }
  Slot& slot = ring_[next_];
  slot.exemplar = std::move(e);
  slot.next = kNone;
  slot.series = idx;
  if (idx->newest == kNone || idx->oldest == kNone) {
    idx->oldest = slot_i;
  } else {
    ring_[static_cast<size_t>(idx->newest)].next = slot_i;
  }
  idx->newest = slot_i;
  ++stored_;
  next_ = (next_ + 1) % ring_capacity_;
  appended_->Inc();
  UpdateGaugesLocked();
  return Status::OK();
}

void CircularExemplarStorage::UpdateGaugesLocked() {
  in_storage_->Set(static_cast<double>(stored_));
  series_->Set(static_cast<double>(index_.size()));
  // The oldest exemplar in the ring is the slot about to be overwritten, or
  // slot 0 while the ring has not wrapped yet.
  if (ring_.empty()) return;
  const Slot& oldest = next_ < ring_.size() && ring_[next_].series != nullptr ? ring_[next_] : ring_[0];
  if (oldest.series != nullptr) last_ts_->Set(static_cast<double>(oldest.exemplar.ts) / 1000.0);
}

Result<std::vector<ExemplarSeries>> CircularExemplarStorage::SelectExemplars(
    int64_t start, int64_t end, const std::vector<Matchers>& selectors) const {
  std::vector<ExemplarSeries> out;
  MutexLock l(&mu_);
  for (const auto& entry : index_) {
    const IndexEntry* idx = entry.second.get();
    if (idx->oldest == kNone) continue;
    // Exemplars of a series are in time order: skip series outside the range.
    if (ring_[static_cast<size_t>(idx->oldest)].exemplar.ts > end) continue;
    if (ring_[static_cast<size_t>(idx->newest)].exemplar.ts < start) continue;
    bool matched = std::any_of(selectors.begin(), selectors.end(),
                               [&](const Matchers& ms) { return MatchesAll(*idx->series, ms); });
    if (!matched) continue;
    ExemplarSeries s;
    for (int64_t i = idx->oldest; i != kNone; i = ring_[static_cast<size_t>(i)].next) {
      const Exemplar& e = ring_[static_cast<size_t>(i)].exemplar;
      if (e.ts > end) break;
      if (e.ts >= start) s.exemplars.push_back(e);
    }
    if (s.exemplars.empty()) continue;
    s.series_labels = *idx->series;
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(),
            [](const ExemplarSeries& a, const ExemplarSeries& b) { return a.series_labels < b.series_labels; });
  return out;
}

}  // namespace promethium::tsdb
