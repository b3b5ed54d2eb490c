// Process self-metrics: the process_* families Prometheus's client library
// exports (CPU time, resident memory, start time, open fds, read from
// /proc/self), plus prometheus_build_info.
//
// Ownership: the registry keeps callbacks that read /proc at render time;
// they capture nothing but a start-time constant, so they are safe for the
// registry's whole life.
// Thread-safety: the callbacks may run on any thread (whichever renders
// /metrics); they only read /proc.
#pragma once

#include <optional>

namespace promethium {
class MetricsRegistry;
}

namespace promethium::server {

// What /proc/self/stat and /proc/stat tell about this process.
struct ProcessStats {
  double cpu_seconds = 0;  // user + system CPU time
  double resident_memory_bytes = 0;
  double virtual_memory_bytes = 0;
  double start_time_seconds = 0;  // Unix time the process started
};

// Reads the current stats; nullopt when /proc is unavailable or malformed.
std::optional<ProcessStats> ReadProcessStats();

// Registers process_cpu_seconds_total, process_resident_memory_bytes,
// process_virtual_memory_bytes, process_start_time_seconds and
// process_open_fds.
void RegisterProcessMetrics(MetricsRegistry* registry);

// Registers prometheus_build_info{version,revision,branch,goversion,tags} 1,
// with goversion naming the C++ compiler (the label is kept for dashboards).
void RegisterBuildInfo(MetricsRegistry* registry);

}  // namespace promethium::server
