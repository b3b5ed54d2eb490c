#include "server/process_metrics.h"

#include <unistd.h>

#include <chrono>
#include <sstream>
#include <string>
#include <vector>

#include "server/build_info.h"
#include "tsdb/base/env.h"
#include "tsdb/base/metrics.h"

namespace promethium::server {
namespace {

// Fields of /proc/self/stat after the parenthesised command name (which may
// itself contain spaces and parentheses). fields[0] is field 3, "state".
std::vector<std::string> StatFieldsAfterComm(const std::string& stat) {
  std::vector<std::string> fields;
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return fields;
  std::istringstream in(stat.substr(close + 1));
  for (std::string f; in >> f;) fields.push_back(f);
  return fields;
}

// Boot time (Unix seconds) from the "btime" line of /proc/stat.
std::optional<double> BootTimeSeconds() {
  Result<std::string> text = ReadFileToString(Env::Default(), "/proc/stat");
  if (!text.ok()) return std::nullopt;
  std::istringstream in(*text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("btime ", 0) == 0) return std::stod(line.substr(6));
  }
  return std::nullopt;
}

double NowSeconds() {
  using namespace std::chrono;
  return duration_cast<duration<double>>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

std::optional<ProcessStats> ReadProcessStats() {
  Result<std::string> text = ReadFileToString(Env::Default(), "/proc/self/stat");
  if (!text.ok()) return std::nullopt;
  std::vector<std::string> f = StatFieldsAfterComm(*text);
  // Field n of proc(5) is f[n - 3]: utime 14, stime 15, starttime 22, vsize 23, rss 24.
  if (f.size() < 22) return std::nullopt;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  ProcessStats s;
  try {
    s.cpu_seconds = (std::stod(f[11]) + std::stod(f[12])) / ticks;
    s.virtual_memory_bytes = std::stod(f[20]);
    s.resident_memory_bytes = std::stod(f[21]) * page;
    std::optional<double> boot = BootTimeSeconds();
    s.start_time_seconds = boot ? *boot + std::stod(f[19]) / ticks : 0;
  } catch (const std::exception&) {  // std::stod on a malformed field
    return std::nullopt;
  }
  return s;
}

void RegisterProcessMetrics(MetricsRegistry* registry) {
  // The start time never changes; read it once (falling back to "now").
  std::optional<ProcessStats> first = ReadProcessStats();
  const double start = first && first->start_time_seconds > 0 ? first->start_time_seconds : NowSeconds();
  registry->RegisterCounterFunc("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", [] {
    auto s = ReadProcessStats();
    return s ? s->cpu_seconds : 0.0;
  });
  registry->RegisterGaugeFunc("process_resident_memory_bytes", "Resident memory size in bytes.", [] {
    auto s = ReadProcessStats();
    return s ? s->resident_memory_bytes : 0.0;
  });
  registry->RegisterGaugeFunc("process_virtual_memory_bytes", "Virtual memory size in bytes.", [] {
    auto s = ReadProcessStats();
    return s ? s->virtual_memory_bytes : 0.0;
  });
  registry->RegisterGaugeFunc("process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
                              [start] { return start; });
  registry->RegisterGaugeFunc("process_open_fds", "Number of open file descriptors.", [] {
    Result<std::vector<std::string>> fds = Env::Default()->GetChildren("/proc/self/fd");
    return fds.ok() ? static_cast<double>(fds->size()) : 0.0;
  });
}

void RegisterBuildInfo(MetricsRegistry* registry) {
  const BuildInfo& b = GetBuildInfo();
  registry
      ->GetGauge("prometheus_build_info",
                 "A metric with a constant '1' value labeled by version, revision, branch, and goversion (the "
                 "compiler) from which promethium was built.",
                 {{"branch", b.branch},
                  {"goversion", b.compiler},
                  {"revision", b.revision},
                  {"tags", ""},
                  {"version", b.version}})
      ->Set(1);
}

}  // namespace promethium::server
