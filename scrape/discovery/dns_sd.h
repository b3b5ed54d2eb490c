// DnsDiscoverer: dns_sd_configs. Every refresh_interval it resolves each
// configured name into groups whose source is the name, as
// Prometheus's discovery/dns does:
//   - A / AAAA: targets <ip>:<port> from the system resolver (getaddrinfo);
//   - SRV: targets <target without trailing dot>:<srv port> (res_query),
//     with __meta_dns_srv_record_target and __meta_dns_srv_record_port.
// Every target has __meta_dns_name = the queried name. A name that fails to
// resolve logs an error, counts prometheus_sd_dns_lookup_failures_total and
// keeps its previous targets; the other names are unaffected.
//
// Ownership: `failures` is borrowed (may be null) and must outlive the
// discoverer. Thread-safety: as Discoverer (one polling thread). Lookups
// block on the system resolver, whose own timeouts bound them.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "scrape/discovery/discoverer.h"
#include "tsdb/base/metrics.h"
#include "tsdb/base/result.h"

namespace promethium::scrape {

// Resolves one name under `config`: one group for A/AAAA, one group per
// record for SRV (its labels differ per record).
Result<std::vector<TargetGroup>> LookupDnsGroups(const std::string& name, const DnsSDConfig& config);
// The same, asking only `nameserver` (an IPv4 "a.b.c.d:port") for SRV
// records; for tests with a fake DNS server.
Result<std::vector<TargetGroup>> LookupDnsGroupsVia(const std::string& name, const DnsSDConfig& config,
                                                    const std::string& nameserver);

class DnsDiscoverer final : public Discoverer {
 public:
  DnsDiscoverer(DnsSDConfig config, Counter* failures);
  std::optional<std::vector<TargetGroup>> Poll(int64_t now_ms) override;

 private:
  const DnsSDConfig config_;
  Counter* const failures_;
  bool refreshed_once_ = false;
  int64_t last_refresh_ms_ = 0;
  std::map<std::string, std::vector<TargetGroup>> groups_;  // by name: last good answer
};

}  // namespace promethium::scrape
