#include "tsdb/agent/series_map.h"

#include "tsdb/base/varint.h"

namespace promethium::tsdb::agent {

std::optional<SeriesMap::Found> SeriesMap::ByRef(SeriesRef ref) const {
  RefStripe& rs = RefStripeFor(ref);
  MutexLock lock(&rs.mu);
  auto it = rs.by_ref.find(ref);
  if (it == rs.by_ref.end()) return std::nullopt;
  return Found{ref, it->second->last_ts.load(std::memory_order_relaxed), false};
}

std::string SeriesMap::LabelsKey(const Labels& labels) {
  std::string key;
  for (const Label& l : labels) {
    PutUvarint(&key, l.name.size());
    key += l.name;
    PutUvarint(&key, l.value.size());
    key += l.value;
  }
  key.shrink_to_fit();
  return key;
}

SeriesMap::Series* SeriesMap::FindLocked(HashStripe& hs, uint64_t hash, std::string_view key) {
  auto it = hs.by_hash.find(hash);
  if (it == hs.by_hash.end()) return nullptr;
  for (Series* s = it->second; s != nullptr; s = s->hash_next) {
    if (s->key == key) return s;
  }
  return nullptr;
}

SeriesMap::Series* SeriesMap::InsertLocked(HashStripe& hs, uint64_t hash, SeriesRef ref, std::string key, int64_t ts) {
  auto owned = std::make_unique<Series>(ref, std::move(key), hash, ts);
  Series* s = owned.get();
  Series*& head = hs.by_hash[hash];
  s->hash_next = head;
  head = s;
  RefStripe& rs = RefStripeFor(ref);
  MutexLock lock(&rs.mu);
  rs.by_ref.emplace(ref, std::move(owned));
  size_.fetch_add(1, std::memory_order_relaxed);
  return s;
}

SeriesMap::Found SeriesMap::GetOrCreate(const Labels& labels, const std::function<SeriesRef()>& new_ref,
                                        int64_t initial_ts) {
  const uint64_t hash = labels.Hash();
  HashStripe& hs = HashStripeFor(hash);
  std::string key = LabelsKey(labels);
  MutexLock lock(&hs.mu);
  if (Series* s = FindLocked(hs, hash, key)) return Found{s->ref, s->last_ts.load(std::memory_order_relaxed), false};
  Series* s = InsertLocked(hs, hash, new_ref(), std::move(key), initial_ts);
  return Found{s->ref, initial_ts, true};
}

SeriesRef SeriesMap::AddReplayed(SeriesRef ref, const Labels& labels, int64_t initial_ts) {
  const uint64_t hash = labels.Hash();
  HashStripe& hs = HashStripeFor(hash);
  std::string key = LabelsKey(labels);
  MutexLock lock(&hs.mu);
  if (Series* s = FindLocked(hs, hash, key)) return s->ref;
  if (Contains(ref)) return ref;  // same ref logged twice with other labels: keep the first
  InsertLocked(hs, hash, ref, std::move(key), initial_ts);
  return ref;
}

bool SeriesMap::UpdateTimestamp(SeriesRef ref, int64_t t) {
  RefStripe& rs = RefStripeFor(ref);
  MutexLock lock(&rs.mu);
  auto it = rs.by_ref.find(ref);
  if (it == rs.by_ref.end()) return true;
  int64_t cur = it->second->last_ts.load(std::memory_order_relaxed);
  while (cur < t && !it->second->last_ts.compare_exchange_weak(cur, t, std::memory_order_relaxed)) {
  }
  return cur < t;
}

bool SeriesMap::Contains(SeriesRef ref) const {
  RefStripe& rs = RefStripeFor(ref);
  MutexLock lock(&rs.mu);
  return rs.by_ref.contains(ref);
}

void SeriesMap::UnlinkFromHash(Series* s) {
  const uint64_t hash = s->hash;
  HashStripe& hs = HashStripeFor(hash);
  MutexLock lock(&hs.mu);
  auto it = hs.by_hash.find(hash);
  if (it == hs.by_hash.end()) return;
  Series** link = &it->second;
  while (*link != nullptr && *link != s) link = &(*link)->hash_next;
  if (*link == s) *link = s->hash_next;
  if (it->second == nullptr) hs.by_hash.erase(it);
}

std::vector<SeriesRef> SeriesMap::Gc(int64_t mint) {
  std::vector<SeriesRef> deleted;
  for (RefStripe& rs : ref_stripes_) {
    // Candidates are unlinked from the hash map first (lock order: hash,
    // then ref), then removed from the ref map. An appender still holding
    // one of their refs then gets NotFound and retries with the labels,
    // which creates a fresh series.
    std::vector<Series*> candidates;
    {
      MutexLock lock(&rs.mu);
      for (auto& [ref, s] : rs.by_ref) {
        if (s->last_ts.load(std::memory_order_relaxed) < mint) candidates.push_back(s.get());
      }
    }
    for (Series* s : candidates) UnlinkFromHash(s);
    std::vector<std::unique_ptr<Series>> dead;
    {
      MutexLock lock(&rs.mu);
      for (Series* s : candidates) {
        auto it = rs.by_ref.find(s->ref);
        if (it == rs.by_ref.end()) continue;
        dead.push_back(std::move(it->second));
        rs.by_ref.erase(it);
      }
    }
    for (const auto& s : dead) deleted.push_back(s->ref);
    size_.fetch_sub(dead.size(), std::memory_order_relaxed);
  }
  return deleted;
}

}  // namespace promethium::tsdb::agent
