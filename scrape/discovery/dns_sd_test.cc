// dns_sd against the system resolver: localhost resolves through
// /etc/hosts; an invalid name fails without dropping the other names.
#include "scrape/discovery/dns_sd.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace promethium::scrape {
namespace {

TEST(DnsSdTest, ALookupOfLocalhost) {
  DnsSDConfig config;
  config.type = "A";
  config.port = 9100;
  auto groups = LookupDnsGroups("localhost", config);
  ASSERT_TRUE(groups.ok()) << groups.status().ToString();
  ASSERT_EQ(groups->size(), 1u);
  const TargetGroup& g = (*groups)[0];
  EXPECT_EQ(g.source, "localhost");
  EXPECT_EQ(g.labels, Labels({{"__meta_dns_name", "localhost"}}));
  ASSERT_FALSE(g.targets.empty());
  EXPECT_EQ(g.targets[0], "127.0.0.1:9100");
}

TEST(DnsSdTest, UnknownNameFailsAndKeepsOthers) {
  DnsSDConfig config;
  config.type = "A";
  config.port = 80;
  config.names = {"localhost", "no-such-host.invalid"};
  EXPECT_FALSE(LookupDnsGroups("no-such-host.invalid", config).ok());
  Counter failures;
  DnsDiscoverer d(config, &failures);
  auto groups = d.Poll(0);
  ASSERT_TRUE(groups.has_value());
  ASSERT_EQ(groups->size(), 1u);
  EXPECT_EQ((*groups)[0].source, "localhost");
  EXPECT_EQ(failures.Value(), 1);
  EXPECT_FALSE(d.Poll(29'999).has_value());  // refresh_interval 30s
  EXPECT_TRUE(d.Poll(30'000).has_value());
  EXPECT_EQ(failures.Value(), 2);
}

// A UDP DNS server on 127.0.0.1 answering every query with two SRV records:
// 10 5 9100 node-a.example. and 10 5 9200 node-b.example.
class FakeSrvServer {
 public:
  FakeSrvServer() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) std::abort();
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Loop(); });
  }
  ~FakeSrvServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  static void AppendName(std::vector<unsigned char>* out, const std::string& dotted) {
    size_t start = 0;
    while (start < dotted.size()) {
      size_t dot = dotted.find('.', start);
      if (dot == std::string::npos) dot = dotted.size();
      out->push_back(static_cast<unsigned char>(dot - start));
      out->insert(out->end(), dotted.begin() + static_cast<long>(start), dotted.begin() + static_cast<long>(dot));
      start = dot + 1;
    }
    out->push_back(0);
  }
  static void AppendSrv(std::vector<unsigned char>* out, int port, const std::string& target) {
    std::vector<unsigned char> rdata = {
        0, 10, 0, 5, static_cast<unsigned char>(port >> 8), static_cast<unsigned char>(port & 0xff)};
    AppendName(&rdata, target);
    // Name: pointer to the question (offset 12), type SRV, class IN, TTL 60.
    const unsigned char fixed[] = {0xc0, 12, 0, 33, 0, 1, 0, 0, 0, 60};
    out->insert(out->end(), std::begin(fixed), std::end(fixed));
    out->push_back(static_cast<unsigned char>(rdata.size() >> 8));
    out->push_back(static_cast<unsigned char>(rdata.size() & 0xff));
    out->insert(out->end(), rdata.begin(), rdata.end());
  }
  void Loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      unsigned char buf[512];
      sockaddr_in from{};
      socklen_t from_len = sizeof(from);
      ssize_t n = ::recvfrom(fd_, buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&from), &from_len);
      if (n < 12) continue;
      // Header: same id, response + recursion available, 1 question, 2 answers.
      std::vector<unsigned char> resp = {buf[0], buf[1], 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0};
      resp.insert(resp.end(), buf + 12, buf + n);  // the question as asked
      AppendSrv(&resp, 9100, "node-a.example");
      AppendSrv(&resp, 9200, "node-b.example");
      ::sendto(fd_, resp.data(), resp.size(), 0, reinterpret_cast<sockaddr*>(&from), from_len);
    }
  }
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST(DnsSdTest, SrvRecordsBecomeTargets) {
  FakeSrvServer dns;
  DnsSDConfig config;  // SRV
  auto groups = LookupDnsGroupsVia("_node._tcp.example", config, dns.address());
  ASSERT_TRUE(groups.ok()) << groups.status().ToString();
  ASSERT_EQ(groups->size(), 2u);
  EXPECT_EQ((*groups)[0].source, "_node._tcp.example");
  EXPECT_EQ((*groups)[0].targets, std::vector<std::string>{"node-a.example:9100"});
  EXPECT_EQ((*groups)[0].labels, Labels({{"__meta_dns_name", "_node._tcp.example"},
                                         {"__meta_dns_srv_record_port", "9100"},
                                         {"__meta_dns_srv_record_target", "node-a.example."}}));
  EXPECT_EQ((*groups)[1].targets, std::vector<std::string>{"node-b.example:9200"});
  EXPECT_EQ((*groups)[1].labels.Get("__meta_dns_srv_record_port"), "9200");
}

TEST(DnsSdTest, SrvLookupFailureIsAnError) {
  DnsSDConfig config;  // SRV by default
  auto groups = LookupDnsGroups("_prometheus._tcp.no-such-host.invalid", config);
  EXPECT_FALSE(groups.ok());
  config.type = "MX";
  auto mx = LookupDnsGroups("localhost", config);
  ASSERT_FALSE(mx.ok());
  EXPECT_EQ(mx.status().code(), Status::Code::kUnsupported);
}

}  // namespace
}  // namespace promethium::scrape
