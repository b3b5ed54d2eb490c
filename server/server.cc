#include "server/server.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <random>
#include <utility>
#include <vector>

#include "promql/engine/engine.h"
#include "remote/write/wal_retention.h"
#include "remote/write/write_storage.h"
#include "rules/manager/manager.h"
#include "rules/notifier/notifier.h"
#include "rules/rulefmt/rulefmt.h"
#include "scrape/scrape_manager.h"
#include "server/agent_mode.h"
#include "server/build_info.h"
#include "server/fanout_queryable.h"
#include "server/features.h"
#include "server/process_metrics.h"
#include "server/rules_view.h"
#include "tsdb/agent/agent_db.h"
#include "tsdb/base/duration.h"
#include "tsdb/base/logging.h"
#include "tsdb/db.h"
#include "web/web_access.h"
#include "web/web_server.h"
#include "web/web_urls.h"

namespace promethium::server {
namespace {

constexpr std::string_view kLog = "main";

double NowSeconds() {
  using namespace std::chrono;
  return duration_cast<duration<double>>(system_clock::now().time_since_epoch()).count();
}

// The web module never links scrape: it gets plain TargetInfo values.
std::vector<web::TargetInfo> ToTargetInfos(const std::vector<scrape::TargetStatus>& targets) {
  std::vector<web::TargetInfo> out;
  out.reserve(targets.size());
  for (const scrape::TargetStatus& t : targets) {
    web::TargetInfo info;
    info.scrape_pool = t.scrape_pool;
    info.scrape_url = t.scrape_url;
    info.health = t.health;
    info.last_error = t.last_error;
    info.labels = t.labels;
    info.discovered_labels = t.discovered_labels;
    info.last_scrape_ms = t.last_scrape_ms;
    info.last_scrape_duration_seconds = t.last_scrape_duration_seconds;
    info.interval_ms = t.interval_ms;
    info.timeout_ms = t.timeout_ms;
    out.push_back(std::move(info));
  }
  return out;
}

// The DB options the storage flags ask for.
Result<tsdb::DBOptions> ToDBOptions(const ServerFlags& flags) {
  tsdb::DBOptions opts;
  opts.chunk_range_ms = flags.storage_tsdb_min_block_duration_ms;
  opts.max_block_duration_ms = flags.storage_tsdb_max_block_duration_ms;
  opts.retention_ms = flags.storage_tsdb_retention_time_ms;
  opts.retention_bytes = flags.storage_tsdb_retention_size_bytes;
  if (!flags.storage_tsdb_wal_compression) {
    opts.wal_compression = tsdb::DBOptions::WalCompression::kNone;
  } else if (flags.storage_tsdb_wal_compression_type == "snappy") {
    opts.wal_compression = tsdb::DBOptions::WalCompression::kSnappy;
  } else if (flags.storage_tsdb_wal_compression_type == "zstd") {
    opts.wal_compression = tsdb::DBOptions::WalCompression::kZstd;
  } else {
    return Status::InvalidArgument(fmt::format("invalid --storage.tsdb.wal-compression-type \"{}\" (snappy or zstd)",
                                               flags.storage_tsdb_wal_compression_type));
  }
  if (flags.storage_tsdb_block_format == "prometheus") {
    opts.block_format = tsdb::BlockFormat::kPrometheus;
  } else if (flags.storage_tsdb_block_format != "promethium") {
    return Status::InvalidArgument(fmt::format("invalid --storage.tsdb.block-format \"{}\" (promethium or prometheus)",
                                               flags.storage_tsdb_block_format));
  }
  return opts;
}

// Per-target metadata for /api/v1/metadata and /api/v1/targets/metadata:
// the scrape manager's flat list grouped by target (entries of one target
// are adjacent in it), optionally only one metric family.
std::vector<web::TargetMetadataInfo> ToTargetMetadataInfos(const std::vector<scrape::TargetMetadata>& in,
                                                           const std::string& metric) {
  std::vector<web::TargetMetadataInfo> out;
  const scrape::TargetMetadata* prev = nullptr;
  for (const scrape::TargetMetadata& m : in) {
    if (!metric.empty() && m.metric != metric) continue;
    if (prev == nullptr || prev->scrape_pool != m.scrape_pool || prev->target != m.target) {
      out.push_back(web::TargetMetadataInfo{m.target, {}});
    }
    out.back().metadata.push_back(web::MetricMetadataInfo{m.metric, m.type, m.help, m.unit});
    prev = &m;
  }
  return out;
}

// Prometheus's snapshot name: UTC time, a dash, 16 random hex digits.
std::string NewSnapshotName() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char when[32];
  std::strftime(when, sizeof(when), "%Y%m%dT%H%M%SZ", &tm);
  std::random_device rd;
  const uint64_t r = (uint64_t{rd()} << 32 | rd()) & 0x7fffffffffffffffULL;
  return fmt::format("{}-{:016x}", when, r);
}

web::TsdbStatus ToTsdbStatus(const tsdb::DB& db, size_t limit) {
  auto convert = [](const std::vector<tsdb::PostingsStats::Stat>& in) {
    std::vector<web::TsdbStat> out;
    out.reserve(in.size());
    for (const auto& s : in) out.push_back(web::TsdbStat{s.name, s.count});
    return out;
  };
  tsdb::DB::HeadStats head = db.Stats();
  tsdb::PostingsStats card = db.CardinalityStats(limit);
  web::TsdbStatus out;
  out.num_series = head.num_series;
  out.chunk_count = static_cast<int64_t>(head.num_chunks);
  out.min_time = head.min_time;
  out.max_time = head.max_time;
  out.num_label_pairs = card.num_label_pairs;
  out.series_count_by_metric_name = convert(card.series_count_by_metric_name);
  out.label_value_count_by_label_name = convert(card.label_value_count_by_label_name);
  out.memory_in_bytes_by_label_name = convert(card.memory_in_bytes_by_label_name);
  out.series_count_by_label_value_pair = convert(card.series_count_by_label_value_pair);
  return out;
}

}  // namespace

Server::Server(ServerFlags flags) : flags_(std::move(flags)) {}

Server::~Server() { Stop(); }

void Server::RegisterServerMetrics() {
  RegisterBuildInfo(&registry_);
  RegisterProcessMetrics(&registry_);
  reload_success_ = registry_.GetGauge("prometheus_config_last_reload_successful",
                                       "Whether the last configuration reload attempt was successful.");
  reload_success_time_ = registry_.GetGauge("prometheus_config_last_reload_success_timestamp_seconds",
                                            "Timestamp of the last successful configuration reload.");
  ready_gauge_ = registry_.GetGauge("prometheus_ready",
                                    "Whether Prometheus startup was fully completed and the "
                                    "server is ready for normal operation.");
}

Status Server::Start() {
  const BuildInfo& b = GetBuildInfo();
  LogInfo(kLog, "Starting Promethium Server: version={} branch={} revision={}", b.version, b.branch, b.revision);
  RegisterServerMetrics();

  // Validate the config before touching storage, as Prometheus does.
  LogInfo(kLog, "Loading configuration file: filename={}", flags_.config_file);
  Result<Config> cfg = LoadConfigFile(flags_.config_file);
  if (!cfg.ok()) {
    reload_success_->Set(0);
    return Status::InvalidArgument(
        fmt::format("Error loading config (--config.file={}): {}", flags_.config_file, cfg.status().message()));
  }

  // --web.config.file too is checked before storage is touched.
  web_access_ = std::make_unique<web::WebAccess>();
  if (Status s = web_access_->Load(flags_.web_config_file); !s.ok()) {
    return Status::InvalidArgument(
        fmt::format("Error loading web config (--web.config.file={}): {}", flags_.web_config_file, s.message()));
  }

  InitRemoteWrite();
  if (flags_.agent) {
    PROMETHIUM_RETURN_IF_ERROR(StartAgentStorage(*cfg));
  } else {
    PROMETHIUM_RETURN_IF_ERROR(StartServerMode(&*cfg));
  }
  PROMETHIUM_RETURN_IF_ERROR(StartWeb());

  Status applied = scrape_->ApplyConfig(cfg->scrape_configs);
  if (applied.ok() && notifier_) applied = notifier_->ApplyConfig(cfg->alerting, cfg->global.external_labels);
  if (applied.ok() && rules_) applied = ApplyRules(*cfg);
  if (applied.ok()) applied = ApplyRemoteRead(*cfg);
  if (applied.ok()) applied = ApplyRemoteWrite(*cfg);
  if (!applied.ok()) {
    reload_success_->Set(0);
    return applied.WithContext(fmt::format("Error loading config (--config.file={})", flags_.config_file));
  }
  MarkConfigLoaded(*cfg);
  if (notifier_) notifier_->Start();
  if (rules_) rules_->Start();

  ready_.store(true);
  ready_gauge_->Set(1);
  LogInfo(kLog, "Server is ready to receive web requests.");
  return Status::OK();
}

// Full mode: the DB, the query engine, the scrape manager over the DB, the
// notifier and the rules manager.
Status Server::StartServerMode(const Config* cfg) {
  LogInfo(kLog, "Starting TSDB: path={}", flags_.storage_tsdb_path);
  Result<tsdb::DBOptions> db_opts = ToDBOptions(flags_);
  if (!db_opts.ok()) return db_opts.status();
  db_opts->out_of_order_window_ms = cfg->storage.tsdb.out_of_order_time_window_ms;
  db_opts->max_exemplars = std::max<int64_t>(0, cfg->storage.exemplars.max_exemplars);
  // WAL truncation keeps what the remote write queues have not sent yet.
  db_opts->wal_segment_floor = [this]() -> std::optional<uint64_t> {
    return wal_segment_floor_ ? wal_segment_floor_() : std::nullopt;
  };
  Result<std::unique_ptr<tsdb::DB>> db = tsdb::DB::Open(flags_.storage_tsdb_path, *db_opts, &registry_);
  if (!db.ok()) return db.status().WithContext("opening storage at " + flags_.storage_tsdb_path);
  db_ = std::move(db).value();
  fanout_ = std::make_unique<FanoutQueryable>(db_.get());
  LogInfo(kLog, "TSDB started");

  promql::EngineOptions eopts;
  eopts.lookback_delta_ms = flags_.query_lookback_delta_ms;
  eopts.timeout = std::chrono::milliseconds(flags_.query_timeout_ms);
  eopts.max_samples = flags_.query_max_samples;
  eopts.max_memory_bytes = flags_.query_max_memory_bytes;
  eopts.max_concurrency = static_cast<int>(std::max<int64_t>(1, flags_.query_max_concurrency));
  eopts.default_subquery_step_ms = cfg->global.evaluation_interval_ms;
  eopts.metrics = &registry_;
  for (const std::string& feature : ApplyFeatureFlags(flags_.enable_feature, &eopts)) {
    LogWarn(kLog, "unsupported: --enable-feature={} is not a feature Promethium has; ignoring it", feature);
  }
  engine_ = std::make_unique<promql::Engine>(eopts);

  scrape_ = std::make_unique<scrape::ScrapeManager>(db_.get(), &registry_);
  rules::NotifierOptions nopts;
  nopts.queue_capacity = static_cast<size_t>(std::max<int64_t>(0, flags_.alertmanager_notification_queue_capacity));
  if (flags_.alertmanager_notification_batch_size > 0) {
    nopts.max_batch_size = static_cast<size_t>(flags_.alertmanager_notification_batch_size);
  }
  nopts.drain_on_shutdown = flags_.alertmanager_drain_notification_queue_on_shutdown;
  nopts.metrics = &registry_;
  notifier_ = std::make_unique<rules::Notifier>(nopts);
  rules::ManagerOptions ropts;
  ropts.rules.query = rules::EngineQueryFunc(engine_.get(), fanout_.get());
  ropts.rules.appendable = db_.get();
  ropts.rules.queryable = fanout_.get();
  ropts.rules.metrics = &registry_;
  ropts.rules.resend_delay_ms = flags_.rules_alert_resend_delay_ms;
  ropts.rules.outage_tolerance_ms = flags_.rules_alert_for_outage_tolerance_ms;
  ropts.rules.for_grace_period_ms = flags_.rules_alert_for_grace_period_ms;
  // Groups run only after StartWeb has set external_url_.
  ropts.rules.notify = [this](std::string_view expr, const std::vector<rules::Alert>& alerts) {
    if (!alerts.empty()) notifier_->Send(rules::ToNotifierAlerts(expr, alerts, external_url_));
  };
  rules_ = std::make_unique<rules::Manager>(std::move(ropts));
  return Status::OK();
}

Status Server::StartWeb() {
  web::WebOptions wopts;
  wopts.listen_address = flags_.web_listen_address;
  wopts.max_connections = static_cast<size_t>(flags_.web_max_connections);
  wopts.access = web_access_.get();
  for (auto [name, ms] : {std::pair{"web.read-timeout", flags_.web_read_timeout_ms},
                          std::pair{"web.read-header-timeout", flags_.web_read_header_timeout_ms},
                          std::pair{"web.idle-timeout", flags_.web_idle_timeout_ms}}) {
    if (ms <= 0) return Status::InvalidArgument(fmt::format("--{} must be positive", name));
  }
  wopts.read_timeout = std::chrono::milliseconds(flags_.web_read_timeout_ms);
  wopts.read_header_timeout = std::chrono::milliseconds(flags_.web_read_header_timeout_ms);
  wopts.idle_timeout = std::chrono::milliseconds(flags_.web_idle_timeout_ms);
  if (flags_.web_min_body_rate < 0) return Status::InvalidArgument("--web.min-body-rate must not be negative");
  wopts.min_body_bytes_per_second = static_cast<uint64_t>(flags_.web_min_body_rate);
  web::ApiDeps deps;
  deps.agent_mode = flags_.agent;
  if (flags_.agent) {
    deps.storage = agent_db_.get();  // answers "unsupported operation with WAL-only storage"
  } else {
    deps.storage = db_.get();
    deps.query_storage = fanout_.get();
    deps.exemplars = db_->exemplars();
  }
  deps.engine = engine_.get();
  deps.metrics = &registry_;
  deps.ready = [this] { return ready_.load(); };
  deps.targets = [this] { return ToTargetInfos(scrape_->Targets()); };
  deps.dropped_targets = [this] { return ToTargetInfos(scrape_->DroppedTargets()); };
  deps.config_yaml = [this] { return CurrentConfigYaml(); };
  deps.flags = FlagValues(flags_);
  if (db_) deps.tsdb_status = [this](size_t limit) { return ToTsdbStatus(*db_, limit); };
  deps.enable_lifecycle = flags_.web_enable_lifecycle;
  deps.reload = [this] { return Reload(); };
  deps.quit = [this] { return RequestQuit(); };
  deps.enable_admin_api = flags_.web_enable_admin_api;
  deps.delete_series = [this](const std::vector<Matchers>& selectors, int64_t start, int64_t end) {
    for (const Matchers& matchers : selectors) PROMETHIUM_RETURN_IF_ERROR(db_->Delete(start, end, matchers));
    return Status::OK();
  };
  deps.clean_tombstones = [this] { return db_->CleanTombstones(); };
  deps.target_metadata = [this](const std::string& metric) {
    return ToTargetMetadataInfos(scrape_->TargetsMetadata(), metric);
  };
  deps.snapshot = [this](bool skip_head) -> Result<std::string> {
    const std::string name = NewSnapshotName();
    const std::string dir = flags_.storage_tsdb_path + "/snapshots/" + name;
    PROMETHIUM_RETURN_IF_ERROR(db_->Snapshot(dir, !skip_head));
    return name;
  };
  if (rules_) {
    deps.rule_groups = [this] { return ToRuleGroupInfos(rules_->RuleGroups()); };
    deps.alerts = [this] { return ToAlertInfos(rules_->ActiveAlerts()); };
  }
  if (notifier_) {
    deps.alertmanagers = [this] {
      return web::AlertmanagersInfo{notifier_->Alertmanagers(), notifier_->DroppedAlertmanagers()};
    };
  }
  deps.external_labels = [this] {
    MutexLock lock(&config_mu_);
    return external_labels_;
  };
  if (flags_.web_enable_remote_write_receiver) deps.remote_write_appendable = appendable();
  deps.remote_write_limits.label_name_length_limit =
      static_cast<size_t>(std::max<int64_t>(0, flags_.web_remote_write_receiver_label_name_length_limit));
  deps.remote_write_limits.label_value_length_limit =
      static_cast<size_t>(std::max<int64_t>(0, flags_.web_remote_write_receiver_label_value_length_limit));
  deps.remote_read.sample_limit = flags_.storage_remote_read_sample_limit;
  deps.remote_read.concurrency_limit = flags_.storage_remote_read_concurrent_limit;
  deps.remote_read.max_bytes_in_frame = flags_.storage_remote_read_max_bytes_in_frame;
  PROMETHIUM_RETURN_IF_ERROR(web::CheckCorsOrigin(flags_.web_cors_origin));
  deps.cors_origin = flags_.web_cors_origin;
  char hostname[256] = {};
  std::string host = gethostname(hostname, sizeof(hostname) - 1) == 0 ? hostname : "localhost";
  Result<web::WebUrls> urls =
      web::ComputeWebUrls(flags_.web_external_url, flags_.web_route_prefix, flags_.web_listen_address, host);
  if (!urls.ok()) return urls.status();
  deps.external_url = urls->external_url;
  external_url_ = urls->external_url;
  deps.route_prefix = urls->route_prefix;
  // As Prometheus, /api/v1/status/flags shows the computed route prefix.
  for (auto& [name, value] : deps.flags) {
    if (name == "web.route-prefix") value = urls->route_prefix;
  }
  web_ = std::make_unique<web::WebServer>(wopts, std::move(deps));
  Status s = web_->Start();
  if (!s.ok()) return s.WithContext("starting web server on " + flags_.web_listen_address);
  LogInfo(kLog, "Listening on address={} port={}", flags_.web_listen_address, web_->port());
  return Status::OK();
}

Status Server::ApplyRules(const Config& cfg) {
  Result<std::vector<std::string>> files = rules::ExpandRuleFileGlobs(cfg.rule_files, cfg.config_dir);
  if (!files.ok()) return files.status();
  return rules_->Update(cfg.global.evaluation_interval_ms, *files, cfg.global.external_labels, external_url_,
                        cfg.global.rule_query_offset_ms);
}

// After a configuration was applied in full: what /api/v1/status/config
// shows, the external labels the API adds, and the reload metrics.
void Server::MarkConfigLoaded(const Config& cfg) {
  {
    MutexLock lock(&config_mu_);
    config_yaml_ = ConfigToYaml(cfg);
    external_labels_ = cfg.global.external_labels;
  }
  reload_success_->Set(1);
  reload_success_time_->Set(NowSeconds());
  LogInfo(kLog, "Completed loading of configuration file: filename={}", flags_.config_file);
}

Status Server::Reload() {
  // SIGHUP (signals thread) and /-/reload (web threads) may race.
  MutexLock reload_lock(&reload_mu_);
  // The web config is reloaded on its own: a bad one keeps its previous
  // version whatever prometheus.yml does, and fails the reload.
  Status web_config = ReloadWebConfig();
  LogInfo(kLog, "Loading configuration file: filename={}", flags_.config_file);
  Result<Config> cfg = LoadConfigFile(flags_.config_file);
  Status s = cfg.ok() && flags_.agent ? CheckAgentConfig(*cfg) : cfg.status();
  if (s.ok()) s = scrape_->ApplyConfig(cfg->scrape_configs);
  if (s.ok() && notifier_) s = notifier_->ApplyConfig(cfg->alerting, cfg->global.external_labels);
  if (s.ok() && rules_) s = ApplyRules(*cfg);
  if (s.ok()) s = ApplyRemoteRead(*cfg);
  if (s.ok()) s = ApplyRemoteWrite(*cfg);
  if (cfg.ok() && db_ && std::max<int64_t>(0, cfg->storage.exemplars.max_exemplars) != db_->max_exemplars()) {
    LogWarn(kLog, "unsupported: changing storage.exemplars.max_exemplars on reload; keeping {} until restart",
            db_->max_exemplars());
  }
  if (!s.ok()) {
    reload_success_->Set(0);
    LogError(kLog, "Error reloading config: filename={} err={}", flags_.config_file, s.message());
    return s;
  }
  MarkConfigLoaded(*cfg);
  if (!web_config.ok()) reload_success_->Set(0);
  return web_config;
}

Status Server::ReloadWebConfig() {
  if (flags_.web_config_file.empty() || !web_access_) return Status::OK();
  Status s = web_access_->Load(flags_.web_config_file);
  if (s.ok()) return s;
  LogError(kLog, "Error reloading web config: filename={} err={}", flags_.web_config_file, s.message());
  return s.WithContext("web config (--web.config.file=" + flags_.web_config_file + ")");
}

void Server::Stop() {
  if (stopped_) return;
  stopped_ = true;
  ready_.store(false);
  if (ready_gauge_ != nullptr) ready_gauge_->Set(0);
  if (web_) {
    LogInfo(kLog, "Stopping web server...");
    web_->Stop();
  }
  if (scrape_) {
    LogInfo(kLog, "Stopping scrape manager...");
    scrape_->Stop();
    LogInfo(kLog, "Scrape manager stopped");
  }
  if (rules_) {
    LogInfo(kLog, "Stopping rule manager...");
    rules_->Stop();
    LogInfo(kLog, "Rule manager stopped");
  }
  if (notifier_) {
    LogInfo(kLog, "Stopping notification manager...");
    notifier_->Stop();
  }
  StopRemoteWrite();  // after scrapes and rules stopped writing, before the WAL closes
  if (db_) {
    Status s = db_->Close();
    if (!s.ok()) LogError(kLog, "Error stopping storage: err={}", s.ToString());
  }
  if (agent_db_) {
    Status s = agent_db_->Close();
    if (!s.ok()) LogError(kLog, "Error stopping storage: err={}", s.ToString());
  }
  // Destroy in reverse dependency order while the registry still lives.
  web_.reset();
  remote_write_.reset();
  rules_.reset();
  notifier_.reset();
  scrape_.reset();
  engine_.reset();
  fanout_.reset();
  db_.reset();
  agent_db_.reset();
}

bool Server::RequestQuit() {
  if (quit_requested_.exchange(true)) return false;
  LogWarn(kLog, "Received termination request via web service, exiting gracefully...");
  // main.cc's signals thread turns SIGTERM into an orderly Stop().
  if (quit_hook_) {
    quit_hook_();
  } else {
    ::kill(::getpid(), SIGTERM);
  }
  return true;
}

uint16_t Server::web_port() const { return web_ ? web_->port() : 0; }

std::string Server::CurrentConfigYaml() const {
  MutexLock lock(&config_mu_);
  return config_yaml_;
}

}  // namespace promethium::server
