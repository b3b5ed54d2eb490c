#include "web/connection_table.h"

namespace promethium::web {

ConnectionTable::Admission ConnectionTable::Admit(Closer closer) {
  MutexLock lock(&mu_);
  Admission out;
  if (entries_.size() >= limit_) {
    if (idle_.empty()) return out;
    auto oldest = idle_.begin();
    auto victim = entries_.find(oldest->second);
    out.evicted = std::move(victim->second.closer);
    entries_.erase(victim);
    idle_.erase(oldest);
  }
  out.admitted = true;
  out.id = next_id_++;
  Entry& entry = entries_[out.id];
  entry.closer = std::move(closer);
  entry.idle_since = next_idle_seq_++;
  idle_.emplace(entry.idle_since, out.id);
  return out;
}

void ConnectionTable::SetIdle(uint64_t id, bool idle) {
  MutexLock lock(&mu_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  Entry& entry = it->second;
  if (idle == (entry.idle_since != 0)) return;
  if (idle) {
    entry.idle_since = next_idle_seq_++;
    idle_.emplace(entry.idle_since, id);
  } else {
    idle_.erase({entry.idle_since, id});
    entry.idle_since = 0;
  }
}

bool ConnectionTable::Remove(uint64_t id) {
  MutexLock lock(&mu_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return false;
  if (it->second.idle_since != 0) idle_.erase({it->second.idle_since, id});
  entries_.erase(it);
  return true;
}

size_t ConnectionTable::size() const {
  MutexLock lock(&mu_);
  return entries_.size();
}

size_t ConnectionTable::idle() const {
  MutexLock lock(&mu_);
  return idle_.size();
}

}  // namespace promethium::web
