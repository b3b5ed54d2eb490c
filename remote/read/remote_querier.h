// RemoteQueryable: the storage view of one remote_read endpoint
// (Prometheus's storage/remote read.go sampleAndChunkQueryableClient and
// querier), and SecondaryQuerier, which makes a querier best-effort as
// Prometheus's fanout treats remote storage (storage/secondary.go).
//
// RemoteQueryable::NewQuerier applies read_recent: when false, a query
// starting after the local storage's start time asks the remote nothing, and
// a query reaching past it asks the remote only up to it
// (preferLocalStorage). The start time comes from a callback (the server
// passes the oldest block's min time, or now without blocks, plus twice the
// minimum block duration, as Prometheus does).
//
// RemoteQuerier::Select:
//  - asks nothing when the selector lacks one of required_matchers (each
//    must appear as an equality matcher with the same name and value);
//  - adds every external label the selector does not already constrain as
//    an equality matcher, and removes those labels from the answer;
//  - reads through the RemoteReader and returns the series sorted by
//    labels. A failed read is the set's error, prefixed "remote_read: ".
// LabelNames/LabelValues are answered from a Select with the same matchers
// (all series, {__name__=~".+"}, when none are given) and the "series" hint,
// since the remote read protocol has no label queries.
//
// SecondaryQuerier turns errors into warnings: a failed Select yields no
// series and the error text as a warning; a failed label query yields no
// values (logged, since label queries carry no warnings here).
//
// Ownership: queriers share their RemoteReader (shared_ptr) and own the
// series they answer. Thread-safety: RemoteQueryable may be used from any
// thread; a querier by one thread at a time.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "remote/read/read_client.h"
#include "tsdb/api/storage.h"

namespace promethium::remote {

// The local storage's start time in ms (see above), or an error while it is
// not known yet.
using LocalStartTimeFn = std::function<Result<int64_t>()>;

struct RemoteQueryOptions {
  // Empty when filter_external_labels is false.
  Labels external_labels;
  Labels required_matchers;
  bool read_recent = false;
};

class RemoteQueryable final : public Queryable {
 public:
  RemoteQueryable(std::shared_ptr<RemoteReader> reader, RemoteQueryOptions options, LocalStartTimeFn local_start)
      : reader_(std::move(reader)), options_(std::move(options)), local_start_(std::move(local_start)) {}

  Result<std::unique_ptr<Querier>> NewQuerier(int64_t mint, int64_t maxt) override;

 private:
  std::shared_ptr<RemoteReader> reader_;
  const RemoteQueryOptions options_;
  LocalStartTimeFn local_start_;
};

// The queryable of one remote_read entry: its ReadClient, and the external
// labels applied when filter_external_labels is set.
Result<std::shared_ptr<Queryable>> NewRemoteQueryable(const RemoteReadConfig& config, const Labels& external_labels,
                                                      LocalStartTimeFn local_start,
                                                      ReadClientOptions client_options = {});

// A querier that answers nothing (the remote is not needed for the range).
std::unique_ptr<Querier> NewEmptyQuerier();

// Wraps `q` so that its errors become warnings.
std::unique_ptr<Querier> NewSecondaryQuerier(std::unique_ptr<Querier> q);

}  // namespace promethium::remote
