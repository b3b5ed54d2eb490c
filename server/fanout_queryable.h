// FanoutQueryable: what PromQL, /api/v1/series, the label endpoints and the
// rule manager read: local storage merged with the remote_read endpoints
// (Prometheus's fanout storage with the remote storage as its secondary).
//
// NewQuerier opens the local querier and one querier per remote (a remote
// that cannot open one, e.g. while the local start time is unknown, fails
// the call, as in Prometheus) and merges them with tsdb::MergeQuerier, local
// first: series with the same labels become one series whose samples are the
// union by timestamp, the local sample winning a tie. Remote queriers are
// secondaries: their errors become warnings of the answer (Select) or are
// logged (label queries), and local data is still answered.
//
// Ownership: borrows `local`, which must outlive it; shares the remote
// queryables with the queriers it hands out, so SetRemotes never pulls one
// out from under a running query.
// Thread-safety: NewQuerier and SetRemotes may be called from any thread.
#pragma once

#include <memory>
#include <vector>

#include "tsdb/api/storage.h"
#include "tsdb/base/thread_annotations.h"

namespace promethium::server {

class FanoutQueryable final : public Queryable {
 public:
  explicit FanoutQueryable(Queryable* local) : local_(local) {}

  // Replaces the remote queryables (config load and reload).
  void SetRemotes(std::vector<std::shared_ptr<Queryable>> remotes);

  Result<std::unique_ptr<Querier>> NewQuerier(int64_t mint, int64_t maxt) override;

 private:
  using RemoteList = std::vector<std::shared_ptr<Queryable>>;
  Queryable* const local_;
  mutable Mutex mu_;
  std::shared_ptr<const RemoteList> remotes_ GUARDED_BY(mu_) = std::make_shared<const RemoteList>();
};

}  // namespace promethium::server
