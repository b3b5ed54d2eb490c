// AckTracker: which WAL positions a remote write queue has fully dealt with.
//
// Every WAL record handed to the queue (one Append call) gets a sequence
// number; its items are counted in as they are enqueued and counted out as
// batches are acknowledged by the receiver or dropped (and counted). A
// record is done when it is closed (all its items enqueued) and none is
// outstanding. Acknowledged() is the end of the last record of the longest
// done prefix, so with several shards finishing out of order it never passes
// a record some shard still holds: the lowest unacknowledged position wins.
//
// Memory: one small entry per record still in flight; the queue's capacity
// bounds the items in flight, so it bounds the records too.
// Thread-safety: none; the queue manager guards it with its mutex.
#pragma once

#include <cstdint>
#include <deque>

#include "remote/write/wal_consumer.h"

namespace promethium::remote {

class AckTracker {
 public:
  // Starts the record that ends at `end`; returns its sequence number.
  uint64_t Open(WalPosition end);
  // `n` more items of record `seq` were enqueued.
  void Add(uint64_t seq, uint64_t n);
  // Record `seq` has all its items enqueued.
  void Close(uint64_t seq);
  // `n` items of record `seq` were sent or dropped.
  void Ack(uint64_t seq, uint64_t n);

  // The end of the last record such that it and every record before it are
  // done; {0, 0} before any.
  WalPosition Acknowledged() const { return acknowledged_; }
  // Records not done yet.
  size_t InFlight() const { return records_.size(); }

 private:
  struct Record {
    WalPosition end;
    uint64_t outstanding = 0;
    bool closed = false;
  };
  Record* Find(uint64_t seq);
  void Advance();

  std::deque<Record> records_;  // records_[i] has sequence number first_seq_ + i
  uint64_t first_seq_ = 0;
  WalPosition acknowledged_;
};

}  // namespace promethium::remote
