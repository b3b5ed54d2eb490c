#include "web/connection_metrics.h"

#include <cstddef>
#include <iterator>

namespace promethium::web {

namespace {

constexpr const char* kReasonNames[] = {"idle_timeout", "header_timeout", "body_timeout",     "body_too_slow",
                                        "evicted",      "refused",        "header_too_large", "body_too_large"};
static_assert(std::size(kReasonNames) == static_cast<size_t>(ConnectionLimit::kCount));

}  // namespace

ConnectionMetrics::ConnectionMetrics(MetricsRegistry* registry) {
  if (registry == nullptr) return;
  const MetricLabels listener = {{"listener_name", "http"}};
  accepted_ = registry->GetCounter("net_conntrack_listener_conn_accepted_total",
                                   "Total number of connections opened to the listener of a given name.", listener);
  closed_ = registry->GetCounter("net_conntrack_listener_conn_closed_total",
                                 "Total number of connections closed that were made to the listener of a given name.",
                                 listener);
  open_ = registry->GetGauge("promethium_web_connections_open", "Connections to the web server currently open.");
  for (size_t i = 0; i < std::size(kReasonNames); ++i) {
    hits_[i] = registry->GetCounter("promethium_web_connections_closed_total",
                                    "Connections the web server closed or refused because of a limit or timeout.",
                                    {{"reason", kReasonNames[i]}});
  }
}

void ConnectionMetrics::Accepted() {
  if (accepted_ == nullptr) return;
  accepted_->Inc();
  open_->Add(1);
}

void ConnectionMetrics::Closed() {
  if (closed_ == nullptr) return;
  closed_->Inc();
  open_->Add(-1);
}

void ConnectionMetrics::Hit(ConnectionLimit limit) {
  if (Counter* c = hits_[static_cast<int>(limit)]) c->Inc();
}

}  // namespace promethium::web
