// Server's agent-mode wiring (--agent): the WAL-only storage of tsdb/agent
// instead of tsdb::DB, and the scrape manager writing into it. No query
// engine, rules or notifier are built; the web API answers the query
// endpoints with Prometheus's agent error (web::ApiDeps::agent_mode).
#include "promql/engine/engine.h"
#include "rules/manager/manager.h"
#include "rules/notifier/notifier.h"
#include "scrape/scrape_manager.h"
#include "server/agent_mode.h"
#include "server/server.h"
#include "tsdb/agent/agent_db.h"
#include "tsdb/base/logging.h"
#include "tsdb/db.h"
#include "web/web_server.h"

namespace promethium::server {

Status Server::StartAgentStorage(const Config& cfg) {
  Status allowed = CheckAgentConfig(cfg);
  if (!allowed.ok()) {
    reload_success_->Set(0);
    return allowed.WithContext(fmt::format("Error loading config (--config.file={})", flags_.config_file));
  }
  Result<tsdb::agent::AgentOptions> opts = AgentOptionsFromFlags(flags_, cfg);
  if (!opts.ok()) return opts.status();
  opts->segment_floor = [this]() -> std::optional<uint64_t> {
    return wal_segment_floor_ ? wal_segment_floor_() : std::nullopt;
  };
  LogInfo("main", "Starting WAL storage ...: path={}", flags_.storage_agent_path);
  Result<std::unique_ptr<tsdb::agent::AgentDB>> db =
      tsdb::agent::AgentDB::Open(Env::Default(), flags_.storage_agent_path, *std::move(opts), &registry_);
  if (!db.ok()) return db.status().WithContext("opening storage at " + flags_.storage_agent_path);
  agent_db_ = std::move(db).value();
  LogInfo("main", "WAL storage started");
  scrape_ = std::make_unique<scrape::ScrapeManager>(agent_db_.get(), &registry_);
  return Status::OK();
}

std::string Server::wal_dir() const {
  return (flags_.agent ? flags_.storage_agent_path : flags_.storage_tsdb_path) + "/wal";
}

Appendable* Server::appendable() const {
  if (agent_db_) return agent_db_.get();
  return db_.get();
}

}  // namespace promethium::server
