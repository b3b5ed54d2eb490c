// ApiDeps: what the HTTP API reads from the rest of the process.
//
// Ownership: every pointer is borrowed; the pointees must outlive the
// ApiHandler/WebServer that holds the ApiDeps. storage, engine and metrics
// may be null (the endpoints that need them then answer 503/500 errors).
// Thread-safety: the callbacks are invoked from server threads, concurrently;
// they must be thread-safe.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "tsdb/api/labels.h"
#include "tsdb/api/matcher.h"
#include "tsdb/base/result.h"
#include "tsdb/base/status.h"
#include "web/alertmanager_info.h"
#include "web/metadata_info.h"
#include "web/remote/read_handler.h"
#include "web/remote/write_handler.h"
#include "web/rules_info.h"
#include "web/target_info.h"
#include "web/tsdb_status.h"

namespace promethium {
class Appendable;
class ExemplarQueryable;
class MetricsRegistry;
class Queryable;
}  // namespace promethium

namespace promethium::promql {
class Engine;
}

namespace promethium::web {

struct ApiDeps {
  // --agent: the endpoints Prometheus's agent refuses (queries, labels,
  // series, rules, alerts, alertmanagers, status/tsdb, admin) answer 422
  // "unavailable with Prometheus Agent".
  bool agent_mode = false;
  Queryable* storage = nullptr;
  // What PromQL, /api/v1/series and the label endpoints read: local storage
  // merged with the remote_read endpoints (Prometheus's fanout storage).
  // Null: `storage`. Federation and the remote read endpoint read `storage`
  // only, as in Prometheus. See QueryStorage().
  Queryable* query_storage = nullptr;
  // /api/v1/query_exemplars reads exemplars here; null answers an empty list.
  ExemplarQueryable* exemplars = nullptr;
  promql::Engine* engine = nullptr;
  MetricsRegistry* metrics = nullptr;
  std::function<bool()> ready;                       // /-/ready; null means ready
  std::function<std::vector<TargetInfo>()> targets;  // /api/v1/targets; may be null
  // Targets that relabeling dropped (only scrape_pool and discovered_labels
  // are meaningful); may be null.
  std::function<std::vector<TargetInfo>()> dropped_targets;
  std::function<std::string()> config_yaml;                // /api/v1/status/config; may be null
  std::vector<std::pair<std::string, std::string>> flags;  // /api/v1/status/flags

  // /api/v1/status/tsdb: head statistics with top-`limit` cardinality lists.
  // Null answers 503 unavailable.
  std::function<TsdbStatus(size_t limit)> tsdb_status;

  // Lifecycle (/-/reload, /-/quit), behind --web.enable-lifecycle. reload
  // re-reads the config and reports the outcome; quit asks the process to
  // shut down and returns at once (the answer is sent before the stop); it
  // returns false when termination was already requested.
  bool enable_lifecycle = false;
  std::function<Status()> reload;
  std::function<bool()> quit;

  // --web.enable-admin-api: the /api/v1/admin/* endpoints. Each action
  // calls its callback; a null callback answers 501 "unsupported: ...".
  bool enable_admin_api = false;
  // Deletes the samples in [start, end] (ms, inclusive) of the series that
  // match any of the matcher sets. The sets are parsed and validated before
  // the call, so a bad request deletes nothing.
  std::function<Status(const std::vector<Matchers>& matcher_sets, int64_t start, int64_t end)> delete_series;
  std::function<Status()> clean_tombstones;
  // Writes a snapshot (without the head when skip_head) and returns its
  // name, the directory under <storage.tsdb.path>/snapshots.
  std::function<Result<std::string>(bool skip_head)> snapshot;

  // Metadata of the active targets for /api/v1/metadata and
  // /api/v1/targets/metadata. `metric` non-empty asks only for that metric
  // family (an optimisation: web filters again). Null serves no metadata.
  std::function<std::vector<TargetMetadataInfo>(const std::string& metric)> target_metadata;

  // --web.external-url, as computed by ComputeWebUrls (web/web_urls.h), and
  // --web.route-prefix: "/" or a path such as "/prom" without trailing
  // slash. Every endpoint is served under route_prefix; requests outside it
  // get 404 (and "/" a redirect to the prefix).
  std::string external_url;
  std::string route_prefix = "/";

  // --web.cors.origin: an RE2 regex, fully anchored when used. API answers
  // to requests with an Origin header carry CORS headers; the origin is
  // allowed when it matches ("*" for the default ".*").
  std::string cors_origin = ".*";

  // POST /api/v1/write (remote write 1.0 and 2.0 receiver): null means
  // disabled (--web.enable-remote-write-receiver not given).
  Appendable* remote_write_appendable = nullptr;
  // The receiver's label length bounds
  // (--web.remote-write-receiver.label-{name,value}-length-limit).
  RemoteWriteLimits remote_write_limits;
  // POST /api/v1/read (remote read server, always on, over `storage`):
  // the --storage.remote.read-* limits.
  RemoteReadOptions remote_read;

  // global.external_labels of the current config, attached by /federate to
  // series that lack them. Read per request so reloads take effect; null
  // means none.
  std::function<Labels()> external_labels;
  // /api/v1/rules and /api/v1/alerts (rules_info.h); null answers no rules.
  std::function<std::vector<RuleGroupInfo>()> rule_groups;
  std::function<std::vector<AlertInfo>()> alerts;
  // /api/v1/alertmanagers (alertmanager_info.h); null answers none.
  std::function<AlertmanagersInfo()> alertmanagers;
};

// deps.query_storage, or deps.storage when the server set none.
inline Queryable* QueryStorage(const ApiDeps& deps) {
  return deps.query_storage != nullptr ? deps.query_storage : deps.storage;
}

}  // namespace promethium::web
