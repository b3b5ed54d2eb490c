// ConnectionMetrics: the web server's connection self-metrics.
//
//   net_conntrack_listener_conn_accepted_total{listener_name="http"}  Prometheus's name: connections admitted
//   net_conntrack_listener_conn_closed_total{listener_name="http"}    Prometheus's name: admitted ones closed since
//   promethium_web_connections_open                                   ours: admitted and not closed yet
//   promethium_web_connections_closed_total{reason}                   ours: closed or refused by a limit
//
// The reasons of the last family (docs/SECURITY.md, "Limits and timeouts"):
// idle_timeout, header_timeout, body_timeout, body_too_slow (under
// --web.min-body-rate), evicted (an idle connection
// gave its slot to a new one at --web.max-connections), refused (at the
// limit with nothing idle to evict), header_too_large (431) and
// body_too_large (413).
//
// Ownership: the registry owns the metrics; without a registry nothing is
// counted. Thread-safety: every method is safe from any thread (atomics).
#pragma once

#include "tsdb/base/metrics.h"

namespace promethium::web {

enum class ConnectionLimit {
  kIdleTimeout,
  kHeaderTimeout,
  kBodyTimeout,
  kBodyTooSlow,
  kEvicted,
  kRefused,
  kHeaderTooLarge,
  kBodyTooLarge,
  kCount,  // not a reason: the number of reasons
};

class ConnectionMetrics {
 public:
  explicit ConnectionMetrics(MetricsRegistry* registry);  // null: counts nothing

  void Accepted();
  void Closed();
  void Hit(ConnectionLimit limit);

 private:
  Counter* accepted_ = nullptr;
  Counter* closed_ = nullptr;
  Gauge* open_ = nullptr;
  Counter* hits_[static_cast<int>(ConnectionLimit::kCount)] = {};
};

}  // namespace promethium::web
