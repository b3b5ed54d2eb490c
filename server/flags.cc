#include "server/flags.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <set>
#include <string_view>

#include "server/config.h"
#include "tsdb/base/duration.h"

namespace promethium::server {
namespace {

enum class Kind { kString, kDuration, kInt, kBool, kLogLevel, kBytes };

// One flag: its name, help and where its value lives in ServerFlags. Exactly
// the member pointer matching `kind` is set.
struct FlagSpec {
  std::string_view name;
  std::string_view help;
  Kind kind;
  std::string ServerFlags::*str = nullptr;
  int64_t ServerFlags::*num = nullptr;  // kDuration (ms), kInt and kBytes
  bool ServerFlags::*boolean = nullptr;
  LogLevel ServerFlags::*level = nullptr;
};

FlagSpec StringFlag(std::string_view name, std::string_view help, std::string ServerFlags::*field) {
  return FlagSpec{name, help, Kind::kString, field};
}
FlagSpec DurationFlag(std::string_view name, std::string_view help, int64_t ServerFlags::*field) {
  return FlagSpec{name, help, Kind::kDuration, nullptr, field};
}
FlagSpec IntFlag(std::string_view name, std::string_view help, int64_t ServerFlags::*field) {
  return FlagSpec{name, help, Kind::kInt, nullptr, field};
}
FlagSpec BytesFlag(std::string_view name, std::string_view help, int64_t ServerFlags::*field) {
  return FlagSpec{name, help, Kind::kBytes, nullptr, field};
}
FlagSpec BoolFlag(std::string_view name, std::string_view help, bool ServerFlags::*field) {
  return FlagSpec{name, help, Kind::kBool, nullptr, nullptr, field};
}

// The flag table, in --help order (Prometheus's order).
const std::vector<FlagSpec>& Specs() {
  static const std::vector<FlagSpec>* specs = new std::vector<FlagSpec>{
      StringFlag("config.file", "Promethium configuration file path.", &ServerFlags::config_file),
      StringFlag("web.listen-address", "Address to listen on for UI, API, and telemetry.",
                 &ServerFlags::web_listen_address),
      StringFlag("web.config.file",
                 "Path to a web configuration file (exporter-toolkit format) that enables TLS, basic authentication "
                 "and extra response headers. Re-read on reload.",
                 &ServerFlags::web_config_file),
      DurationFlag("web.read-timeout",
                   "Maximum duration for reading a whole request, header and body, counted from its first byte.",
                   &ServerFlags::web_read_timeout_ms),
      IntFlag("web.max-connections",
              "Maximum number of simultaneous connections. At the limit a new connection replaces the longest-idle "
              "one.",
              &ServerFlags::web_max_connections),
      DurationFlag("web.read-header-timeout",
                   "Maximum duration for reading a request's header (from the connection's accept for its first "
                   "request). Promethium's own flag.",
                   &ServerFlags::web_read_header_timeout_ms),
      IntFlag("web.min-body-rate",
              "Minimum average rate, in bytes per second, at which a request body must arrive after a grace of "
              "--web.read-header-timeout; slower clients are disconnected. 0 disables. Promethium's own flag.",
              &ServerFlags::web_min_body_rate),
      DurationFlag("web.idle-timeout",
                   "Maximum duration a kept-alive connection may wait for its next request. Promethium's own flag.",
                   &ServerFlags::web_idle_timeout_ms),
      StringFlag(
          "web.external-url",
          "The URL under which Promethium is externally reachable (for example, if Promethium is served via a "
          "reverse proxy). If the URL has a path portion, it will be used to prefix all HTTP endpoints served by "
          "Promethium. If omitted, relevant URL components will be derived automatically.",
          &ServerFlags::web_external_url),
      StringFlag("web.route-prefix",
                 "Prefix for the internal routes of web endpoints. Defaults to path of --web.external-url.",
                 &ServerFlags::web_route_prefix),
      BoolFlag("web.enable-lifecycle", "Enable shutdown and reload via HTTP request.",
               &ServerFlags::web_enable_lifecycle),
      BoolFlag("web.enable-admin-api", "Enable API endpoints for admin control actions.",
               &ServerFlags::web_enable_admin_api),
      BoolFlag("web.enable-remote-write-receiver", "Enable API endpoint accepting remote write requests.",
               &ServerFlags::web_enable_remote_write_receiver),
      IntFlag("web.remote-write-receiver.label-name-length-limit",
              "Longest label name, in bytes, the remote write receiver accepts; a series with a longer one is "
              "refused with 400. 0 means no limit. Promethium's own flag.",
              &ServerFlags::web_remote_write_receiver_label_name_length_limit),
      IntFlag("web.remote-write-receiver.label-value-length-limit",
              "Longest label value, in bytes, the remote write receiver accepts; a series with a longer one is "
              "refused with 400. 0 means no limit. Promethium's own flag.",
              &ServerFlags::web_remote_write_receiver_label_value_length_limit),
      StringFlag("web.cors.origin",
                 "Regex for CORS origin. It is fully anchored. Example: 'https?://(domain1|domain2)\\.com'",
                 &ServerFlags::web_cors_origin),
      StringFlag("storage.tsdb.path", "Base path for metrics storage.", &ServerFlags::storage_tsdb_path),
      DurationFlag("storage.tsdb.retention.time",
                   "How long to retain samples in storage. If neither this flag nor \"storage.tsdb.retention.size\" "
                   "is set, the retention time defaults to 15d. Units Supported: y, w, d, h, m, s, ms.",
                   &ServerFlags::storage_tsdb_retention_time_ms),
      BytesFlag("storage.tsdb.retention.size",
                "Maximum number of bytes that can be stored for blocks. A unit is required, supported units: B, KB, "
                "MB, GB, TB, PB, EB. Ex: \"512MB\". Based on powers-of-2, so 1KB is 1024B.",
                &ServerFlags::storage_tsdb_retention_size_bytes),
      DurationFlag("storage.tsdb.min-block-duration",
                   "Minimum duration of a data block before being persisted (the head's block range).",
                   &ServerFlags::storage_tsdb_min_block_duration_ms),
      DurationFlag("storage.tsdb.max-block-duration",
                   "Maximum duration compacted blocks may span. 0s means 10% of the retention time, at most 31d.",
                   &ServerFlags::storage_tsdb_max_block_duration_ms),
      BoolFlag("storage.tsdb.wal-compression", "Compress the tsdb WAL.", &ServerFlags::storage_tsdb_wal_compression),
      StringFlag("storage.tsdb.wal-compression-type",
                 "Compression algorithm for the tsdb WAL (snappy or zstd); used only with "
                 "--storage.tsdb.wal-compression.",
                 &ServerFlags::storage_tsdb_wal_compression_type),
      StringFlag("storage.tsdb.block-format",
                 "On-disk format of the blocks Promethium writes: promethium (smaller; the default) or prometheus "
                 "(Prometheus's index v2 and chunk files, readable by promtool, Thanos, vmctl and Prometheus). "
                 "Blocks of either format are always read. Promethium's own flag.",
                 &ServerFlags::storage_tsdb_block_format),
      DurationFlag("storage.remote.flush-deadline", "How long to wait flushing sample on shutdown or config reload.",
                   &ServerFlags::storage_remote_flush_deadline_ms),
      IntFlag("storage.remote.read-sample-limit",
              "Maximum overall number of samples to return via the remote read interface, in a single query. 0 "
              "means no limit. This limit is ignored for streamed response types.",
              &ServerFlags::storage_remote_read_sample_limit),
      IntFlag("storage.remote.read-concurrent-limit",
              "Maximum number of concurrent remote read calls. 0 means no limit.",
              &ServerFlags::storage_remote_read_concurrent_limit),
      IntFlag("storage.remote.read-max-bytes-in-frame",
              "Maximum number of bytes in a single frame for streaming remote read response types before "
              "marshalling. Note that client might have limit on frame size as well. 1MB as recommend by protobuf "
              "by default.",
              &ServerFlags::storage_remote_read_max_bytes_in_frame),
      DurationFlag("rules.alert.for-outage-tolerance",
                   "Max time to tolerate prometheus outage for restoring \"for\" state of alert.",
                   &ServerFlags::rules_alert_for_outage_tolerance_ms),
      DurationFlag("rules.alert.for-grace-period",
                   "Minimum duration between alert and restored \"for\" state. This is maintained only for alerts "
                   "with configured \"for\" time greater than grace period.",
                   &ServerFlags::rules_alert_for_grace_period_ms),
      DurationFlag("rules.alert.resend-delay",
                   "Minimum amount of time to wait before resending an alert to "
                   "Alertmanager.",
                   &ServerFlags::rules_alert_resend_delay_ms),
      IntFlag("alertmanager.notification-queue-capacity",
              "The capacity of the queue for pending Alertmanager notifications.",
              &ServerFlags::alertmanager_notification_queue_capacity),
      IntFlag("alertmanager.notification-batch-size",
              "The maximum number of notifications per batch to send to the Alertmanager.",
              &ServerFlags::alertmanager_notification_batch_size),
      BoolFlag("alertmanager.drain-notification-queue-on-shutdown",
               "Send any outstanding Alertmanager notifications when shutting down. If false, any outstanding "
               "Alertmanager notifications will be dropped when shutting down.",
               &ServerFlags::alertmanager_drain_notification_queue_on_shutdown),
      DurationFlag("query.lookback-delta",
                   "The maximum lookback duration for retrieving metrics during expression evaluations.",
                   &ServerFlags::query_lookback_delta_ms),
      DurationFlag("query.timeout", "Maximum time a query may take before being aborted.",
                   &ServerFlags::query_timeout_ms),
      IntFlag("query.max-concurrency", "Maximum number of queries executed concurrently.",
              &ServerFlags::query_max_concurrency),
      IntFlag("query.max-samples",
              "Maximum number of samples a single query can load into memory. Queries that would load more fail.",
              &ServerFlags::query_max_samples),
      BytesFlag("query.max-memory",
                "Maximum bytes a single query may hold in memory (samples, series, label sets, intermediate "
                "results). Queries that would hold more fail. 0 means no limit. Not in Prometheus.",
                &ServerFlags::query_max_memory_bytes),
      StringFlag("enable-feature",
                 "Comma separated feature names to enable. Supported: promql-experimental-functions, "
                 "promql-delayed-name-removal.",
                 &ServerFlags::enable_feature),
      BoolFlag("agent", "Run Promethium in 'Agent mode'.", &ServerFlags::agent),
      StringFlag("storage.agent.path", "Base path for metrics storage.", &ServerFlags::storage_agent_path),
      BytesFlag("storage.agent.wal-segment-size", "Size at which to split WAL segment files. Example: 100MB",
                &ServerFlags::storage_agent_wal_segment_size_bytes),
      BoolFlag("storage.agent.wal-compression",
               "Compress the agent WAL. If false, the --storage.agent.wal-compression-type flag is ignored.",
               &ServerFlags::storage_agent_wal_compression),
      StringFlag("storage.agent.wal-compression-type",
                 "Compression algorithm for the agent WAL (snappy or zstd), used when --storage.agent.wal-compression "
                 "is true.",
                 &ServerFlags::storage_agent_wal_compression_type),
      DurationFlag("storage.agent.wal-truncate-frequency",
                   "The frequency at which to truncate the WAL and remove old data. 0s means 2h.",
                   &ServerFlags::storage_agent_wal_truncate_frequency_ms),
      DurationFlag("storage.agent.retention.min-time",
                   "Minimum age samples may be before being considered for deletion when the WAL is truncated",
                   &ServerFlags::storage_agent_retention_min_time_ms),
      DurationFlag("storage.agent.retention.max-time",
                   "Maximum age samples may be before being forcibly deleted when the WAL is truncated",
                   &ServerFlags::storage_agent_retention_max_time_ms),
      BoolFlag("storage.agent.no-lockfile", "Do not create lockfile in data directory.",
               &ServerFlags::storage_agent_no_lockfile),
      FlagSpec{"log.level", "Only log messages with the given severity or above. One of: [debug, info, warn, error]",
               Kind::kLogLevel, nullptr, nullptr, nullptr, &ServerFlags::log_level},
  };
  return *specs;
}

// Flags Prometheus's main.go declares with serverOnlyFlag: rejected with
// --agent. Its agentOnlyFlag ones are the storage.agent.* flags.
bool IsServerOnly(std::string_view name) {
  static constexpr std::string_view kPrefixes[] = {"storage.tsdb.", "storage.remote.read-", "rules.", "alertmanager.",
                                                   "query."};
  return std::any_of(std::begin(kPrefixes), std::end(kPrefixes),
                     [&](std::string_view p) { return name.starts_with(p); });
}
bool IsAgentOnly(std::string_view name) { return name.starts_with("storage.agent."); }

const FlagSpec* FindSpec(std::string_view name) {
  for (const FlagSpec& s : Specs()) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

constexpr std::pair<std::string_view, int> kByteUnits[] = {{"EB", 60}, {"PB", 50}, {"TB", 40}, {"GB", 30},
                                                           {"MB", 20}, {"KB", 10}, {"B", 0}};

}  // namespace

// kingpin's Base2Bytes rendering: the largest unit that divides exactly.
std::string FormatBase2Bytes(int64_t bytes) {
  if (bytes == 0) return "0B";
  for (const auto& [name, shift] : kByteUnits) {
    if (shift == 0) break;
    if (bytes % (int64_t{1} << shift) == 0) {
      return std::to_string(bytes >> shift) + std::string(name.substr(0, 1)) + "iB";
    }
  }
  return std::to_string(bytes) + "B";
}

namespace {

// The current value of a (non-bool) flag as text, as --help shows defaults
// and /api/v1/status/flags shows values.
std::string ValueText(const FlagSpec& spec, const ServerFlags& f) {
  switch (spec.kind) {
    case Kind::kString: return f.*spec.str;
    case Kind::kDuration: return FormatDuration(f.*spec.num);
    case Kind::kInt: return std::to_string(f.*spec.num);
    case Kind::kBool: return f.*spec.boolean ? "true" : "false";
    case Kind::kLogLevel: return std::string(LogLevelName(f.*spec.level));
    case Kind::kBytes: return FormatBase2Bytes(f.*spec.num);
  }
  return "";
}

// Stores `value` into the flag; returns an error message or "".
std::string SetValue(const FlagSpec& spec, std::string_view value, ServerFlags* f) {
  switch (spec.kind) {
    case Kind::kString: f->*spec.str = std::string(value); return "";
    case Kind::kDuration: {
      Result<int64_t> ms = ParseDuration(value);
      if (!ms.ok()) return ms.status().message();
      f->*spec.num = *ms;
      return "";
    }
    case Kind::kInt: {
      int64_t n = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc() || end != value.data() + value.size() || n < 0) {
        return fmt::format("invalid value \"{}\" for flag '--{}': expected a non-negative integer", value, spec.name);
      }
      f->*spec.num = n;
      return "";
    }
    case Kind::kLogLevel:
      if (!ParseLogLevel(value, &(f->*spec.level))) return fmt::format("unrecognized log level \"{}\"", value);
      return "";
    case Kind::kBytes: {
      Result<uint64_t> bytes = ParseByteSize(value);
      if (!bytes.ok() || *bytes > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return fmt::format("invalid value \"{}\" for flag '--{}': {}", value, spec.name,
                           bytes.ok() ? std::string("too large") : bytes.status().message());
      }
      f->*spec.num = static_cast<int64_t>(*bytes);
      return "";
    }
    case Kind::kBool: break;  // handled by the parser: bools take no value
  }
  return "internal: bad flag kind";
}

// Walks the arguments. Stops at the first error, leaving it in `out`.
class Parser {
 public:
  explicit Parser(const std::vector<std::string>& args) : args_(args) {}

  CommandLine Run() {
    for (pos_ = 0; pos_ < args_.size() && out_.action != CommandLine::Action::kFail; ++pos_) {
      const std::string& arg = args_[pos_];
      if (arg == "--") {
        if (pos_ + 1 < args_.size()) Fail(1, "unexpected " + args_[pos_ + 1]);
        break;
      }
      if (arg.starts_with("--")) {
        LongFlag(std::string_view(arg).substr(2));
      } else if (arg == "-h") {
        help_ = true;
      } else if (arg.size() > 1 && arg[0] == '-') {
        Fail(1, fmt::format("unknown short flag '-{}'", arg[1]));
      } else {
        Fail(1, "unexpected " + arg);
      }
    }
    if (out_.action != CommandLine::Action::kFail && !help_ && !version_) CheckModeFlags();
    if (out_.action != CommandLine::Action::kFail) {
      if (help_) {
        out_.action = CommandLine::Action::kPrintHelp;
      } else if (version_) {
        out_.action = CommandLine::Action::kPrintVersion;
      }
    }
    return std::move(out_);
  }

 private:
  void Fail(int exit_code, std::string message) {
    out_.action = CommandLine::Action::kFail;
    out_.exit_code = exit_code;
    out_.error = std::move(message);
  }

  // As Prometheus's main.go: flags of the other mode, in command-line order,
  // formatted like Go's %q of a []string.
  void CheckModeFlags() {
    const bool agent = out_.flags.agent;
    std::string list;
    for (std::string_view name : order_) {
      if (agent ? !IsServerOnly(name) : !IsAgentOnly(name)) continue;
      list += list.empty() ? "" : " ";
      list += fmt::format("\"--{}\"", name);
    }
    if (list.empty()) return;
    Fail(3, fmt::format("The following flag(s) {}: [{}]",
                        agent ? "can not be used in agent mode" : "can only be used in agent mode", list));
  }

  void LongFlag(std::string_view body) {
    size_t eq = body.find('=');
    std::string_view name = body.substr(0, eq);
    bool has_value = eq != std::string_view::npos;
    std::string_view inline_value = has_value ? body.substr(eq + 1) : std::string_view();
    if (name == "help" || name == "version") {
      if (has_value) return Fail(1, "unexpected " + std::string(inline_value));
      (name == "help" ? help_ : version_) = true;
      return;
    }
    bool negated = false;
    const FlagSpec* spec = FindSpec(name);
    if (spec == nullptr && name.starts_with("no-")) {
      spec = FindSpec(name.substr(3));
      negated = spec != nullptr;
      if (negated && spec->kind != Kind::kBool) spec = nullptr;
    }
    if (spec == nullptr) return Fail(1, fmt::format("unknown long flag '--{}'", name));
    if (!seen_.insert(spec->name).second) {
      return Fail(2, fmt::format("flag '{}' cannot be repeated", spec->name));
    }
    order_.push_back(spec->name);
    if (spec->kind == Kind::kBool) {
      // kingpin treats "--flag=x" as the flag followed by a stray argument.
      if (has_value) return Fail(1, "unexpected " + std::string(inline_value));
      out_.flags.*spec->boolean = !negated;
      return;
    }
    std::string value;
    if (has_value) {
      value = std::string(inline_value);
    } else if (pos_ + 1 < args_.size() && !args_[pos_ + 1].starts_with("-")) {
      value = args_[++pos_];
    } else {
      return Fail(1, fmt::format("expected argument for flag '--{}'", spec->name));
    }
    std::string err = SetValue(*spec, value, &out_.flags);
    if (!err.empty()) Fail(2, std::move(err));
  }

  const std::vector<std::string>& args_;
  size_t pos_ = 0;
  bool help_ = false;
  bool version_ = false;
  std::set<std::string_view> seen_;
  std::vector<std::string_view> order_;  // flags given, in command-line order
  CommandLine out_;
};

// kingpin's two-column layout: the flag (with its default) on the left,
// padded to a fixed width, or alone on its line when too wide.
void AppendHelpRow(std::string* out, std::string_view left, std::string_view help) {
  constexpr size_t kLeftWidth = 33;
  out->append(left);
  if (left.size() + 2 > kLeftWidth) {
    out->append("\n");
    out->append(kLeftWidth, ' ');
  } else {
    out->append(kLeftWidth - left.size(), ' ');
  }
  out->append(help);
  out->append("\n");
}

}  // namespace

CommandLine ParseCommandLine(const std::vector<std::string>& args) { return Parser(args).Run(); }

std::string HelpText(const std::string& program) {
  std::string out = fmt::format(
      "usage: {} [<flags>]\n\nPromethium: a Prometheus-compatible metrics scraper and time-series database.\n\n"
      "Flags:\n",
      program);
  AppendHelpRow(&out, "  -h, --help", "Show context-sensitive help.");
  AppendHelpRow(&out, "      --version", "Show application version.");
  const ServerFlags defaults;
  for (const FlagSpec& spec : Specs()) {
    std::string left = fmt::format("      --{}", spec.name);
    if (spec.kind == Kind::kString) {
      left += fmt::format("=\"{}\"", ValueText(spec, defaults));
    } else if (spec.kind != Kind::kBool) {
      left += '=';
      left += ValueText(spec, defaults);
    }
    AppendHelpRow(&out, left, spec.help);
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> FlagValues(const ServerFlags& flags) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const FlagSpec& spec : Specs()) out.emplace_back(std::string(spec.name), ValueText(spec, flags));
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace promethium::server
