// Server: the promethium process, wired together.
//
// Owns, in construction order, the self-metrics registry, the storage
// (tsdb::DB), the PromQL engine, the scrape manager, the notifier, the rules
// manager and the web server, and drives their lifecycle:
//   Start():  load config and --web.config.file -> open DB -> engine -> web
//             server -> apply scrape, alerting and rules config -> start
//             notifier and rules -> ready.
//   Reload(): re-read --web.config.file (TLS, basic auth) and the config
//             file and apply it to the scrape manager,
//             the notifier and the rules (SIGHUP); a failed reload keeps the
//             old config running.
//   Stop():   unready -> stop web -> stop scrape -> stop rules -> stop
//             notifier (draining its queue) -> close DB.
// The signals thread (see main.cc) calls Reload/Stop; the web server's
// /-/reload calls Reload too (serialized by reload_mu_), and /-/quit calls
// RequestQuit, which signals the process rather than stopping it inline.
//
// Ownership: the Server owns every component; the registry outlives them
// all, since their callback metrics read them until they are destroyed.
// Thread-safety: Start, Reload and Stop are called from one controlling
// thread. The callbacks handed to the web server (ready, targets, config)
// are thread-safe.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "server/config.h"
#include "server/flags.h"
#include "tsdb/api/storage.h"
#include "tsdb/base/metrics.h"
#include "tsdb/base/status.h"
#include "tsdb/base/thread_annotations.h"

namespace promethium::tsdb {
class DB;
}
namespace promethium::tsdb::agent {
class AgentDB;
}
namespace promethium::promql {
class Engine;
}
namespace promethium::scrape {
class ScrapeManager;
}
namespace promethium::rules {
class Manager;
class Notifier;
}  // namespace promethium::rules
namespace promethium::web {
class WebAccess;
class WebServer;
}  // namespace promethium::web
namespace promethium::remote {
class WalRetention;
class WriteStorage;
}  // namespace promethium::remote

namespace promethium::server {

class FanoutQueryable;

class Server {
 public:
  explicit Server(ServerFlags flags);
  ~Server();  // calls Stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Brings every component up. On error the process should exit 1; the
  // Status says what failed ("Error loading config ...", "opening storage
  // ...", the web server's bind error, ...).
  Status Start();
  // Reloads the config file; logs and records the outcome in
  // prometheus_config_last_reload_successful.
  Status Reload() EXCLUDES(reload_mu_);
  // Shuts down in order. Idempotent.
  void Stop();

  // /-/quit: asks the process to stop (SIGTERM to itself, which main.cc's
  // signals thread turns into Stop()); false when already requested.
  // Thread-safe.
  bool RequestQuit();
  // Replaces the SIGTERM in RequestQuit (tests). Set before Start().
  void SetQuitHookForTesting(std::function<void()> hook) { quit_hook_ = std::move(hook); }

  // The bound web port (after Start), useful with port 0.
  uint16_t web_port() const;
  bool ready() const { return ready_.load(); }

 private:
  Status LoadAndApplyConfig(bool initial);
  // Loads the config's rule_files into the rules manager (a bad file keeps
  // the rules that run, and fails).
  Status ApplyRules(const Config& cfg);
  // Builds the remote_read clients and hands them to fanout_
  // (server_remote_read.cc); a bad entry keeps the old ones, and fails.
  Status ApplyRemoteRead(const Config& cfg);
  // Where local storage starts, for remote_read's read_recent: false.
  Result<int64_t> LocalStartTime() const;
  Status StartWeb();
  // Re-reads --web.config.file (no-op without it); a bad file keeps the
  // current TLS and auth settings, and fails.
  Status ReloadWebConfig();
  void RegisterServerMetrics();
  std::string CurrentConfigYaml() const EXCLUDES(config_mu_);

  // Full mode: DB, engine, scrape manager, notifier and rules (Start).
  Status StartServerMode(const Config* cfg);
  // Agent mode (--agent, server/server_agent.cc): the WAL-only storage
  // instead of the DB, no engine, rules or notifier.
  Status StartAgentStorage(const Config& cfg);
  Appendable* appendable() const;
  // The WAL the remote write queues read: <storage.tsdb.path>/wal, or
  // <storage.agent.path>/wal in agent mode (the same record format).
  std::string wal_dir() const;
  // Remote write (server_remote_write.cc): InitRemoteWrite builds the WAL
  // retention floor and the (empty) WriteStorage before the storage opens;
  // ApplyRemoteWrite starts, keeps or restarts the queues of
  // cfg.remote_write; StopRemoteWrite flushes and stops them.
  void InitRemoteWrite();
  Status ApplyRemoteWrite(const Config& cfg);
  void MarkConfigLoaded(const Config& cfg) EXCLUDES(config_mu_);
  void StopRemoteWrite();

  const ServerFlags flags_;
  MetricsRegistry registry_;  // first member: destroyed last
  // The lowest WAL segment the remote write queues still need (e.g.
  // remote::WalRetention::SegmentFloor); storage truncation keeps what it
  // asks for. Set before the storage opens; null means no queue.
  std::function<std::optional<uint64_t>()> wal_segment_floor_;
  // The floors of the remote write queues; outlives the storage and remote_write_.
  std::unique_ptr<remote::WalRetention> wal_retention_;
  std::unique_ptr<tsdb::DB> db_;                    // null in agent mode
  std::unique_ptr<tsdb::agent::AgentDB> agent_db_;  // only in agent mode
  // What queries and rules read: db_ merged with remote_read (server mode).
  std::unique_ptr<FanoutQueryable> fanout_;
  std::unique_ptr<promql::Engine> engine_;
  std::unique_ptr<scrape::ScrapeManager> scrape_;
  std::unique_ptr<rules::Notifier> notifier_;  // before rules_: the groups send through it
  std::unique_ptr<rules::Manager> rules_;
  std::unique_ptr<web::WebAccess> web_access_;  // --web.config.file; before web_, which borrows it
  std::unique_ptr<web::WebServer> web_;
  std::unique_ptr<remote::WriteStorage> remote_write_;  // stopped before the storage closes

  std::atomic<bool> ready_{false};
  std::atomic<bool> quit_requested_{false};
  std::function<void()> quit_hook_;
  Mutex reload_mu_;  // serializes Reload() between SIGHUP and /-/reload
  bool stopped_ = false;
  mutable Mutex config_mu_;
  std::string config_yaml_ GUARDED_BY(config_mu_);  // effective config for /api/v1/status/config
  Labels external_labels_ GUARDED_BY(config_mu_);   // global.external_labels, for /federate
  std::string external_url_;                        // set by StartWeb: alert templates' $externalURL
  Gauge* reload_success_ = nullptr;
  Gauge* reload_success_time_ = nullptr;
  Gauge* ready_gauge_ = nullptr;
};

}  // namespace promethium::server
