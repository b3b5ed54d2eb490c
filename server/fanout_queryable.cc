// FanoutQueryable: local storage merged with the remote_read endpoints (see
// fanout_queryable.h).
#include "server/fanout_queryable.h"

#include "remote/read/remote_querier.h"
#include "tsdb/querier/merge_querier.h"

namespace promethium::server {

void FanoutQueryable::SetRemotes(std::vector<std::shared_ptr<Queryable>> remotes) {
  auto next = std::make_shared<const RemoteList>(std::move(remotes));
  MutexLock lock(&mu_);
  remotes_ = std::move(next);
}

Result<std::unique_ptr<Querier>> FanoutQueryable::NewQuerier(int64_t mint, int64_t maxt) {
  std::shared_ptr<const RemoteList> remotes;
  {
    MutexLock lock(&mu_);
    remotes = remotes_;
  }
  PROMETHIUM_ASSIGN_OR_RETURN(std::unique_ptr<Querier> local, local_->NewQuerier(mint, maxt));
  if (remotes->empty()) return local;
  std::vector<std::unique_ptr<Querier>> queriers;
  queriers.reserve(remotes->size() + 1);
  queriers.push_back(std::move(local));
  for (const std::shared_ptr<Queryable>& remote : *remotes) {
    PROMETHIUM_ASSIGN_OR_RETURN(std::unique_ptr<Querier> q, remote->NewQuerier(mint, maxt));
    queriers.push_back(remote::NewSecondaryQuerier(std::move(q)));
  }
  std::vector<std::shared_ptr<const void>> keep_alive = {remotes};
  return std::unique_ptr<Querier>(std::make_unique<tsdb::MergeQuerier>(std::move(queriers), std::move(keep_alive)));
}

}  // namespace promethium::server
