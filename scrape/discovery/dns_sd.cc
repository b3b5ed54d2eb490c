#include "scrape/discovery/dns_sd.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdlib>
#include <set>

#include "tsdb/base/logging.h"

namespace promethium::scrape {
namespace {

constexpr std::string_view kNameLabel = "__meta_dns_name";
constexpr std::string_view kSrvTargetLabel = "__meta_dns_srv_record_target";
constexpr std::string_view kSrvPortLabel = "__meta_dns_srv_record_port";

std::string JoinHostPort(const std::string& host, int port) {
  if (host.find(':') != std::string::npos) return fmt::format("[{}]:{}", host, port);
  return fmt::format("{}:{}", host, port);
}

Result<std::vector<TargetGroup>> LookupAddresses(const std::string& name, const DnsSDConfig& config) {
  addrinfo hints{};
  hints.ai_family = config.type == "AAAA" ? AF_INET6 : AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int rc = ::getaddrinfo(name.c_str(), nullptr, &hints, &res);
  if (rc != 0) return Status::IOError(fmt::format("lookup {} ({}): {}", name, config.type, ::gai_strerror(rc)));
  std::set<std::string> seen;
  TargetGroup group;
  group.source = name;
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    char buf[INET6_ADDRSTRLEN] = {};
    const void* addr = ai->ai_family == AF_INET6
                           ? static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(ai->ai_addr)->sin6_addr)
                           : static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(ai->ai_addr)->sin_addr);
    if (::inet_ntop(ai->ai_family, addr, buf, sizeof(buf)) == nullptr) continue;
    if (seen.insert(buf).second) group.targets.push_back(JoinHostPort(buf, config.port));
  }
  ::freeaddrinfo(res);
  group.labels = Labels({{kNameLabel, name}});
  return std::vector<TargetGroup>{std::move(group)};
}

Result<std::vector<TargetGroup>> LookupSrv(const std::string& name, const std::string& nameserver) {
  struct __res_state state {};
  if (::res_ninit(&state) != 0) return Status::IOError("res_ninit failed");
  if (!nameserver.empty()) {
    size_t colon = nameserver.rfind(':');
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    int port = colon == std::string::npos ? 0 : std::atoi(nameserver.c_str() + colon + 1);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    if (port <= 0 || port > 65535 || ::inet_pton(AF_INET, nameserver.substr(0, colon).c_str(), &addr.sin_addr) != 1) {
      ::res_nclose(&state);
      return Status::InvalidArgument(fmt::format("bad nameserver {}", nameserver));
    }
    state.nsaddr_list[0] = addr;
    state.nscount = 1;
  }
  std::vector<unsigned char> answer(64 * 1024);
  int len = ::res_nquery(&state, name.c_str(), ns_c_in, ns_t_srv, answer.data(), static_cast<int>(answer.size()));
  ::res_nclose(&state);
  if (len < 0) return Status::IOError(fmt::format("lookup {} (SRV): no such host or no answer", name));
  ns_msg msg;
  if (::ns_initparse(answer.data(), len, &msg) != 0) return Status::IOError(fmt::format("lookup {}: bad answer", name));
  std::vector<TargetGroup> out;
  for (int i = 0; i < ns_msg_count(msg, ns_s_an); ++i) {
    ns_rr rr;
    if (::ns_parserr(&msg, ns_s_an, i, &rr) != 0 || ns_rr_type(rr) != ns_t_srv || ns_rr_rdlen(rr) < 7) continue;
    const unsigned char* rd = ns_rr_rdata(rr);
    int port = (rd[4] << 8) | rd[5];
    char target[NS_MAXDNAME];
    if (::dn_expand(ns_msg_base(msg), ns_msg_end(msg), rd + 6, target, sizeof(target)) < 0) continue;
    std::string host = target;
    std::string fqdn = host.ends_with('.') ? host : host + ".";
    while (host.ends_with('.')) host.pop_back();
    TargetGroup g;
    g.source = name;
    g.targets = {JoinHostPort(host, port)};
    g.labels = Labels({{kNameLabel, name}, {kSrvTargetLabel, fqdn}, {kSrvPortLabel, std::to_string(port)}});
    out.push_back(std::move(g));
  }
  return out;
}

}  // namespace

Result<std::vector<TargetGroup>> LookupDnsGroups(const std::string& name, const DnsSDConfig& config) {
  return LookupDnsGroupsVia(name, config, "");
}

Result<std::vector<TargetGroup>> LookupDnsGroupsVia(const std::string& name, const DnsSDConfig& config,
                                                    const std::string& nameserver) {
  if (config.type == "A" || config.type == "AAAA") return LookupAddresses(name, config);
  if (config.type == "SRV") return LookupSrv(name, nameserver);
  return Status::Unsupported(fmt::format("dns_sd_configs type {}", config.type));
}

DnsDiscoverer::DnsDiscoverer(DnsSDConfig config, Counter* failures) : config_(std::move(config)), failures_(failures) {}

std::optional<std::vector<TargetGroup>> DnsDiscoverer::Poll(int64_t now_ms) {
  if (refreshed_once_ && now_ms - last_refresh_ms_ < config_.refresh_interval_ms) return std::nullopt;
  refreshed_once_ = true;
  last_refresh_ms_ = now_ms;
  for (const std::string& name : config_.names) {
    Result<std::vector<TargetGroup>> groups = LookupDnsGroups(name, config_);
    if (!groups.ok()) {
      LogError("discovery", "Error refreshing DNS targets: name={} err=\"{}\"", name, groups.status().message());
      if (failures_) failures_->Inc();
      continue;
    }
    groups_[name] = std::move(*groups);
  }
  std::vector<TargetGroup> out;
  for (const std::string& name : config_.names) {
    auto it = groups_.find(name);
    if (it != groups_.end()) out.insert(out.end(), it->second.begin(), it->second.end());
  }
  return out;
}

}  // namespace promethium::scrape
