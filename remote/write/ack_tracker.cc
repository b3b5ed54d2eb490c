#include "remote/write/ack_tracker.h"

namespace promethium::remote {

uint64_t AckTracker::Open(WalPosition end) {
  records_.push_back(Record{.end = end});
  return first_seq_ + records_.size() - 1;
}

AckTracker::Record* AckTracker::Find(uint64_t seq) {
  if (seq < first_seq_ || seq - first_seq_ >= records_.size()) return nullptr;
  return &records_[seq - first_seq_];
}

void AckTracker::Add(uint64_t seq, uint64_t n) {
  if (Record* r = Find(seq)) r->outstanding += n;
}

void AckTracker::Close(uint64_t seq) {
  if (Record* r = Find(seq)) r->closed = true;
  Advance();
}

void AckTracker::Ack(uint64_t seq, uint64_t n) {
  Record* r = Find(seq);
  if (r == nullptr) return;
  r->outstanding = n >= r->outstanding ? 0 : r->outstanding - n;
  Advance();
}

void AckTracker::Advance() {
  while (!records_.empty() && records_.front().closed && records_.front().outstanding == 0) {
    acknowledged_ = records_.front().end;
    records_.pop_front();
    ++first_seq_;
  }
}

}  // namespace promethium::remote
