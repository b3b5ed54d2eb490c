// Postings: iterators over sorted, unique series references, and the
// set-algebra combinators the query path builds from them (intersection,
// union, difference), as Prometheus's index.Postings.
//
// Ownership: ListPostings owns a copy of its refs (so a postings list can be
// read after the lock protecting its source is released). Combinators own
// the iterators they are built from.
// Thread-safety: none; a Postings object is used by one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "tsdb/api/storage.h"

namespace promethium::tsdb {

class Postings {
 public:
  virtual ~Postings() = default;
  // Advances to the next ref; false when exhausted.
  virtual bool Next() = 0;
  // Advances to the first ref >= v. Like SampleIterator::Seek it never moves
  // backwards: if the current ref is already >= v it stays. False when none.
  virtual bool Seek(SeriesRef v) = 0;
  // The current ref; valid after Next/Seek returned true.
  virtual SeriesRef At() const = 0;
};

// Postings over an owned, sorted vector.
class ListPostings final : public Postings {
 public:
  explicit ListPostings(std::vector<SeriesRef> refs) : refs_(std::move(refs)) {}
  bool Next() override;
  bool Seek(SeriesRef v) override;
  SeriesRef At() const override { return refs_[pos_]; }

 private:
  std::vector<SeriesRef> refs_;
  size_t pos_ = 0;
  bool started_ = false;
};

std::unique_ptr<Postings> EmptyPostings();
// Refs present in every input. Empty input yields empty postings.
std::unique_ptr<Postings> Intersect(std::vector<std::unique_ptr<Postings>> its);
// Refs present in any input, each once.
std::unique_ptr<Postings> Merge(std::vector<std::unique_ptr<Postings>> its);
// Refs in `full` that are not in `drop`.
std::unique_ptr<Postings> Without(std::unique_ptr<Postings> full, std::unique_ptr<Postings> drop);
// Drains an iterator into a vector.
std::vector<SeriesRef> ExpandPostings(Postings* p);

}  // namespace promethium::tsdb
