// ConnectionTable: the web server's open connections and its connection
// limit (--web.max-connections), with each connection marked idle (waiting
// for the first byte of its next request, or of its first one) or busy.
//
// Why: a limit that simply refuses connections lets anybody who opens that
// many idle sockets lock every other client out until the sockets time out.
// Here a new connection at the limit takes the slot of the connection that
// has been idle longest: the table forgets that one at once and hands its
// closer back to the caller, who runs it (outside the table's lock). Only
// when no connection is idle (every slot is reading a request, running one
// or writing an answer) is the new connection refused. Busy connections are
// bounded by the header, body and write timeouts instead.
//
// The table holds no sockets: a closer is an opaque callback that makes the
// connection's owner close it (the HTTP server posts to the connection's
// strand). A closer may run after the connection was removed; it must cope.
//
// Ownership: the table owns the closers until they are removed or returned.
// Thread-safety: every method may be called from any thread (one mutex).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <utility>

#include "tsdb/base/thread_annotations.h"

namespace promethium::web {

class ConnectionTable {
 public:
  using Closer = std::function<void()>;

  struct Admission {
    bool admitted = false;  // false: at the limit with no idle connection to evict
    uint64_t id = 0;        // the new connection's id (when admitted)
    Closer evicted;         // when set, closes the idle connection whose slot was taken
  };

  explicit ConnectionTable(size_t limit) : limit_(limit) {}

  // Registers a new connection, idle (it has not sent a request yet).
  Admission Admit(Closer closer) EXCLUDES(mu_);
  // Marks the connection idle (waiting for a request) or busy. Unknown ids
  // (already evicted) are ignored.
  void SetIdle(uint64_t id, bool idle) EXCLUDES(mu_);
  // Forgets the connection; returns false when it was evicted before.
  bool Remove(uint64_t id) EXCLUDES(mu_);
  size_t size() const EXCLUDES(mu_);
  size_t idle() const EXCLUDES(mu_);

 private:
  struct Entry {
    Closer closer;
    uint64_t idle_since = 0;  // the idle_ key while idle; 0 when busy
  };

  const size_t limit_;
  mutable Mutex mu_;
  uint64_t next_id_ GUARDED_BY(mu_) = 1;
  uint64_t next_idle_seq_ GUARDED_BY(mu_) = 1;
  std::map<uint64_t, Entry> entries_ GUARDED_BY(mu_);             // by id
  std::set<std::pair<uint64_t, uint64_t>> idle_ GUARDED_BY(mu_);  // (idle_since, id), oldest first
};

}  // namespace promethium::web
