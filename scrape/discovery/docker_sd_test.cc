// docker_sd: the label translation on Docker Engine API answers, and the
// fetch against a fake Engine API on a unix socket and on 127.0.0.1.
#include "scrape/discovery/docker_sd.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "scrape/discovery/docker_api_client.h"
#include "scrape/discovery/test_http_server.h"
#include "scrape/discovery/test_socket_util.h"

namespace promethium::scrape {
namespace {

// Shaped as dockerd 20.10 answers GET /containers/json: a bridge container
// with a published and an unexposed port, a host-network container without
// ports, a container sharing the first one's network stack, a container on
// two networks, and one with no name (skipped).
constexpr const char* kContainers = R"([
 {"Id":"c1aaaa","Names":["/web"],"Image":"nginx","ImageID":"sha256:1","Command":"nginx","Created":1700000000,
  "Ports":[{"IP":"0.0.0.0","PrivatePort":80,"PublicPort":8080,"Type":"tcp"},
           {"PrivatePort":9113,"Type":"tcp"},{"PrivatePort":53,"Type":"udp"}],
  "Labels":{"com.docker.compose.project":"shop","prometheus.io/port":"9113"},
  "State":"running","Status":"Up 2 minutes","HostConfig":{"NetworkMode":"default"},
  "NetworkSettings":{"Networks":{"bridge":{"IPAMConfig":null,"Links":null,"Aliases":null,"NetworkID":"n-bridge",
    "EndpointID":"e1","Gateway":"172.17.0.1","IPAddress":"172.17.0.2","IPPrefixLen":16,"IPv6Gateway":"",
    "GlobalIPv6Address":"","GlobalIPv6PrefixLen":0,"MacAddress":"02:42:ac:11:00:02","DriverOpts":null}}},
  "Mounts":[]},
 {"Id":"c2bbbb","Names":["/exporter"],"Ports":[],"Labels":{"prom_port":"9100"},
  "HostConfig":{"NetworkMode":"host"},
  "NetworkSettings":{"Networks":{"host":{"NetworkID":"n-host","IPAddress":""}}}},
 {"Id":"c3cccc","Names":["/sidecar"],"Ports":[],"Labels":{},
  "HostConfig":{"NetworkMode":"container:c1aaaa"},"NetworkSettings":{"Networks":{}}},
 {"Id":"c4dddd","Names":["/multi","/alias"],"Ports":null,"Labels":null,
  "HostConfig":{"NetworkMode":"zeta"},
  "NetworkSettings":{"Networks":{"zeta":{"NetworkID":"n-zeta","IPAddress":"10.0.1.5"},
                                 "alpha":{"NetworkID":"n-alpha","IPAddress":"10.0.0.5"}}}},
 {"Id":"c5eeee","Names":[],"HostConfig":{"NetworkMode":"default"}}
])";

constexpr const char* kNetworks = R"([
 {"Name":"bridge","Id":"n-bridge","Created":"2023-01-01T00:00:00Z","Scope":"local","Driver":"bridge",
  "EnableIPv6":false,"IPAM":{"Driver":"default","Options":null,"Config":[{"Subnet":"172.17.0.0/16"}]},
  "Internal":false,"Attachable":false,"Ingress":false,"ConfigFrom":{"Network":""},"ConfigOnly":false,
  "Containers":{},"Options":{},"Labels":{}},
 {"Name":"host","Id":"n-host","Scope":"local","Driver":"host","Internal":false,"Ingress":false,"Labels":{}},
 {"Name":"alpha","Id":"n-alpha","Scope":"swarm","Driver":"overlay","Internal":true,"Ingress":false,
  "Labels":{"com.example.tier":"back-end"}},
 {"Name":"zeta","Id":"n-zeta","Scope":"local","Driver":"bridge","Internal":false,"Ingress":false,"Labels":null}
])";

const TargetGroup* FindTarget(const std::vector<TargetGroup>& groups, const std::string& address) {
  for (const TargetGroup& g : groups) {
    if (g.targets.size() == 1 && g.targets[0] == address) return &g;
  }
  return nullptr;
}

TEST(DockerSdTest, TranslatesContainersAsPrometheus) {
  DockerSDConfig config;
  config.host = "unix:///x";
  config.host_networking_host = "127.0.0.1";
  auto groups = DockerTargetGroups(kContainers, kNetworks, config);
  ASSERT_TRUE(groups.ok()) << groups.status().ToString();
  // web: 2 tcp ports; exporter: host; sidecar: borrows web's bridge (port 80
  // default); multi: first network only.
  ASSERT_EQ(groups->size(), 5u);

  const TargetGroup* published = FindTarget(*groups, "172.17.0.2:80");
  ASSERT_NE(published, nullptr);
  EXPECT_EQ(published->source, "Docker");
  EXPECT_EQ(published->labels, Labels({{"__meta_docker_container_id", "c1aaaa"},
                                       {"__meta_docker_container_label_com_docker_compose_project", "shop"},
                                       {"__meta_docker_container_label_prometheus_io_port", "9113"},
                                       {"__meta_docker_container_name", "/web"},
                                       {"__meta_docker_container_network_mode", "default"},
                                       {"__meta_docker_network_id", "n-bridge"},
                                       {"__meta_docker_network_ingress", "false"},
                                       {"__meta_docker_network_internal", "false"},
                                       {"__meta_docker_network_ip", "172.17.0.2"},
                                       {"__meta_docker_network_name", "bridge"},
                                       {"__meta_docker_network_scope", "local"},
                                       {"__meta_docker_port_private", "80"},
                                       {"__meta_docker_port_public", "8080"},
                                       {"__meta_docker_port_public_ip", "0.0.0.0"}}));

  const TargetGroup* unpublished = FindTarget(*groups, "172.17.0.2:9113");
  ASSERT_NE(unpublished, nullptr);
  EXPECT_EQ(unpublished->labels.Get("__meta_docker_port_private"), "9113");
  EXPECT_FALSE(unpublished->labels.Has("__meta_docker_port_public"));
  EXPECT_FALSE(unpublished->labels.Has("__meta_docker_port_public_ip"));

  const TargetGroup* host = FindTarget(*groups, "127.0.0.1");
  ASSERT_NE(host, nullptr);
  EXPECT_EQ(host->labels.Get("__meta_docker_container_name"), "/exporter");
  EXPECT_EQ(host->labels.Get("__meta_docker_container_network_mode"), "host");
  EXPECT_EQ(host->labels.Get("__meta_docker_container_label_prom_port"), "9100");
  EXPECT_EQ(host->labels.Get("__meta_docker_network_name"), "host");
  EXPECT_EQ(host->labels.Get("__meta_docker_network_ip"), "");
  EXPECT_FALSE(host->labels.Has("__meta_docker_port_private"));

  const TargetGroup* sidecar = FindTarget(*groups, "172.17.0.2:80");
  ASSERT_NE(sidecar, nullptr);
  int at_80 = 0;
  for (const TargetGroup& g : *groups) {
    if (g.targets[0] == "172.17.0.2:80") {
      ++at_80;
      if (g.labels.Get("__meta_docker_container_name") == "/sidecar") {
        EXPECT_EQ(g.labels.Get("__meta_docker_container_network_mode"), "container:c1aaaa");
        EXPECT_EQ(g.labels.Get("__meta_docker_network_name"), "bridge");
        EXPECT_FALSE(g.labels.Has("__meta_docker_port_private"));
      }
    }
  }
  EXPECT_EQ(at_80, 2);

  const TargetGroup* multi = FindTarget(*groups, "10.0.0.5:80");
  ASSERT_NE(multi, nullptr);
  EXPECT_EQ(multi->labels.Get("__meta_docker_container_name"), "/multi");
  EXPECT_EQ(multi->labels.Get("__meta_docker_network_name"), "alpha");
  EXPECT_EQ(multi->labels.Get("__meta_docker_network_internal"), "true");
  EXPECT_EQ(multi->labels.Get("__meta_docker_network_scope"), "swarm");
  EXPECT_EQ(multi->labels.Get("__meta_docker_network_label_com_example_tier"), "back-end");
  EXPECT_EQ(FindTarget(*groups, "10.0.1.5:80"), nullptr);
}

// Verbatim answers of dockerd 20.10.24 (Debian 12 docker.io) for a
// `docker run --network host` busybox container, as the e2e test runs it.
constexpr const char* kRealHostContainers =
    R"([{"Id":"973b0341bbe28b67538606a3dbeff86b95396c2ba4a1c6d9a79952682ada951a","Names":["/pm-e2e-a"],)"
    R"("Image":"promethium-e2e-busybox:1","ImageID":"sha256:70dbb2930f149e82919a7b239aff1f2b930b0242e7b69f070e5703cba718131e",)"
    R"("Command":"/bin/busybox httpd -f -p 127.0.0.1:39049 -h /www","Created":1795313860,"Ports":[],)"
    R"("Labels":{"app":"pm-e2e-a","prometheus.io/path":"/metrics","prometheus.io/port":"39049","prometheus.io/scrape":"true"},)"
    R"("State":"running","Status":"Up Less than a second","HostConfig":{"NetworkMode":"host"},)"
    R"("NetworkSettings":{"Networks":{"host":{"IPAMConfig":null,"Links":null,"Aliases":null,)"
    R"("NetworkID":"c2801a36eff4eac487d7e6e30bc9c7824406aeec9d162963f993b43598f7423b",)"
    R"("EndpointID":"da9aa3b388bb6022aca4f5e685282a73de70ea4fa4c58e31e9f187896ac07d4b","Gateway":"","IPAddress":"",)"
    R"("IPPrefixLen":0,"IPv6Gateway":"","GlobalIPv6Address":"","GlobalIPv6PrefixLen":0,"MacAddress":"","DriverOpts":null}}},)"
    R"("Mounts":[{"Type":"bind","Source":"/tmp/pm-dk-cl90/www-pm-e2e-a","Destination":"/www","Mode":"ro","RW":false,)"
    R"("Propagation":"rprivate"}]}])";
constexpr const char* kRealNetworks =
    R"([{"Name":"none","Id":"0d2b1df61791852635d5fa6c9979d493684cf8e189712fea1e9b84338c43b7f2",)"
    R"("Created":"2026-11-22T02:17:40.704114654Z","Scope":"local","Driver":"null","EnableIPv6":false,)"
    R"("IPAM":{"Driver":"default","Options":null,"Config":[]},"Internal":false,"Attachable":false,"Ingress":false,)"
    R"("ConfigFrom":{"Network":""},"ConfigOnly":false,"Containers":{},"Options":{},"Labels":{}},)"
    R"({"Name":"host","Id":"c2801a36eff4eac487d7e6e30bc9c7824406aeec9d162963f993b43598f7423b",)"
    R"("Created":"2026-11-22T02:17:40.718028061Z","Scope":"local","Driver":"host","EnableIPv6":false,)"
    R"("IPAM":{"Driver":"default","Options":null,"Config":[]},"Internal":false,"Attachable":false,"Ingress":false,)"
    R"("ConfigFrom":{"Network":""},"ConfigOnly":false,"Containers":{},"Options":{},"Labels":{}}])";

TEST(DockerSdTest, RealDockerdHostNetworkAnswer) {
  DockerSDConfig config;
  config.host_networking_host = "127.0.0.1";
  auto groups = DockerTargetGroups(kRealHostContainers, kRealNetworks, config);
  ASSERT_TRUE(groups.ok()) << groups.status().ToString();
  ASSERT_EQ(groups->size(), 1u);
  EXPECT_EQ((*groups)[0].targets, std::vector<std::string>{"127.0.0.1"});
  EXPECT_EQ((*groups)[0].labels,
            Labels({{"__meta_docker_container_id", "973b0341bbe28b67538606a3dbeff86b95396c2ba4a1c6d9a79952682ada951a"},
                    {"__meta_docker_container_label_app", "pm-e2e-a"},
                    {"__meta_docker_container_label_prometheus_io_path", "/metrics"},
                    {"__meta_docker_container_label_prometheus_io_port", "39049"},
                    {"__meta_docker_container_label_prometheus_io_scrape", "true"},
                    {"__meta_docker_container_name", "/pm-e2e-a"},
                    {"__meta_docker_container_network_mode", "host"},
                    {"__meta_docker_network_id", "c2801a36eff4eac487d7e6e30bc9c7824406aeec9d162963f993b43598f7423b"},
                    {"__meta_docker_network_ingress", "false"},
                    {"__meta_docker_network_internal", "false"},
                    {"__meta_docker_network_ip", ""},
                    {"__meta_docker_network_name", "host"},
                    {"__meta_docker_network_scope", "local"}}));
}

TEST(DockerSdTest, AllNetworksWithoutMatchFirstNetwork) {
  DockerSDConfig config;
  config.match_first_network = false;
  config.port = 9000;
  auto groups = DockerTargetGroups(kContainers, kNetworks, config);
  ASSERT_TRUE(groups.ok());
  EXPECT_EQ(groups->size(), 6u);
  EXPECT_NE(FindTarget(*groups, "10.0.0.5:9000"), nullptr);
  EXPECT_NE(FindTarget(*groups, "10.0.1.5:9000"), nullptr);
  EXPECT_NE(FindTarget(*groups, "localhost"), nullptr);  // default host_networking_host
}

TEST(DockerSdTest, IPv6AddressesAreBracketed) {
  const char* containers = R"([{"Id":"x","Names":["/v6"],"Ports":[{"PrivatePort":80,"Type":"tcp"}],
    "HostConfig":{"NetworkMode":"default"},
    "NetworkSettings":{"Networks":{"v6":{"NetworkID":"n","IPAddress":"fd00::2"}}}}])";
  auto groups = DockerTargetGroups(containers, "[]", DockerSDConfig{});
  ASSERT_TRUE(groups.ok());
  ASSERT_EQ(groups->size(), 1u);
  EXPECT_EQ((*groups)[0].targets[0], "[fd00::2]:80");
  EXPECT_FALSE((*groups)[0].labels.Has("__meta_docker_network_name"));  // unknown network id
}

TEST(DockerSdTest, RejectsMalformedAnswers) {
  EXPECT_FALSE(DockerTargetGroups("{", "[]", DockerSDConfig{}).ok());
  EXPECT_FALSE(DockerTargetGroups("[]", "{}", DockerSDConfig{}).ok());
}

TEST(DockerSdTest, FiltersJsonIsDockerFormat) {
  EXPECT_EQ(DockerFiltersJson({}), "{}");
  EXPECT_EQ(DockerFiltersJson({{"label", {"a=b", "c"}}, {"status", {"running"}}}),
            R"({"label":{"a=b":true,"c":true},"status":{"running":true}})");
}

TEST(DockerSdTest, ParsesHosts) {
  auto unix_ep = ParseDockerHost("unix:///var/run/docker.sock");
  ASSERT_TRUE(unix_ep.ok());
  EXPECT_TRUE(unix_ep->is_unix);
  EXPECT_EQ(unix_ep->socket_path, "/var/run/docker.sock");
  auto tcp_ep = ParseDockerHost("tcp://127.0.0.1:2375");
  ASSERT_TRUE(tcp_ep.ok());
  EXPECT_EQ(tcp_ep->host, "127.0.0.1");
  EXPECT_EQ(tcp_ep->port, "2375");
  auto http_ep = ParseDockerHost("http://docker:2375/prefix/");
  ASSERT_TRUE(http_ep.ok());
  EXPECT_EQ(http_ep->base_path, "/prefix");
  auto https = ParseDockerHost("https://docker:2376");
  ASSERT_FALSE(https.ok());
  EXPECT_EQ(https.status().code(), Status::Code::kUnsupported);
  EXPECT_FALSE(ParseDockerHost("unix://relative.sock").ok());
}

// A fake Engine API on a unix socket: answers by path, records requests.
class FakeDockerApi {
 public:
  explicit FakeDockerApi(std::map<std::string, std::string> bodies) : bodies_(std::move(bodies)) {
    dir_ = std::filesystem::temp_directory_path() / ("docker_sd_test." + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "docker.sock").string();
    server_.ListenUnix(path_);
    server_.Start([this](int c) { Serve(c); });
  }
  ~FakeDockerApi() {
    server_.Stop();
    std::filesystem::remove_all(dir_);
  }
  std::string host() const { return "unix://" + path_; }
  std::vector<std::string> requests() {
    std::lock_guard<std::mutex> l(mu_);
    return requests_;
  }

 private:
  void Serve(int c) {
    std::string req = ReadRequestHead(c, 40);
    std::string target = req.substr(4, req.find(' ', 4) - 4);
    std::string path = target.substr(0, target.find('?'));
    std::string resp;
    {
      std::lock_guard<std::mutex> l(mu_);
      requests_.push_back(target);
      auto it = bodies_.find(path);
      std::string body = it != bodies_.end() ? it->second : R"({"message":"page not found"})";
      resp = HttpCloseResponse(it != bodies_.end() ? "200 OK" : "404 Not Found", "application/json", body);
    }
    (void)!::write(c, resp.data(), resp.size());
  }
  std::map<std::string, std::string> bodies_;
  std::filesystem::path dir_;
  std::string path_;
  std::mutex mu_;
  std::vector<std::string> requests_;
  TestSocketServer server_;
};

TEST(DockerSdTest, FetchesOverUnixSocketWithFilters) {
  FakeDockerApi api({{"/containers/json", kContainers}, {"/networks", kNetworks}});
  DockerSDConfig config;
  config.host = api.host();
  config.filters = {{"label", {"prometheus.io/scrape=true"}}};
  auto groups = FetchDockerTargetGroups(config, 5'000);
  ASSERT_TRUE(groups.ok()) << groups.status().ToString();
  EXPECT_EQ(groups->size(), 5u);
  auto reqs = api.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0], "/containers/json?filters=%7B%22label%22%3A%7B%22prometheus.io%2Fscrape%3Dtrue%22%3Atrue%7D%7D");
  EXPECT_EQ(reqs[1], "/networks");
}

TEST(DockerSdTest, DaemonErrorKeepsPreviousTargets) {
  auto api = std::make_unique<FakeDockerApi>(
      std::map<std::string, std::string>{{"/containers/json", kContainers}, {"/networks", kNetworks}});
  Counter failures;
  DockerSDConfig config;
  config.host = api->host();
  DockerDiscoverer d(config, &failures);
  auto first = d.Poll(0);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->size(), 5u);
  EXPECT_FALSE(d.Poll(59'999).has_value());

  api.reset();  // the socket is gone: connection refused / no such file
  auto failed = d.Poll(60'000);
  ASSERT_TRUE(failed.has_value());
  EXPECT_EQ(failed->size(), 5u);
  EXPECT_EQ(failures.Value(), 1);
}

TEST(DockerSdTest, NotFoundAnswerCarriesDockerMessage) {
  FakeDockerApi api(std::map<std::string, std::string>{{"/containers/json", "[]"}});  // no /networks
  DockerSDConfig config;
  config.host = api.host();
  auto groups = FetchDockerTargetGroups(config, 5'000);
  ASSERT_FALSE(groups.ok());
  EXPECT_NE(groups.status().message().find("error while computing network labels"), std::string::npos);
  EXPECT_NE(groups.status().message().find("page not found"), std::string::npos);
}

TEST(DockerSdTest, FetchesOverTcp) {
  // TestHttpServer answers every path alike: an empty container list makes
  // both answers valid ("[]" is also a valid network list).
  TestHttpServer server("[]", "application/json");
  DockerSDConfig config;
  config.host = "tcp://" + server.address();
  auto groups = FetchDockerTargetGroups(config, 5'000);
  ASSERT_TRUE(groups.ok()) << groups.status().ToString();
  EXPECT_TRUE(groups->empty());
  EXPECT_EQ(server.requests(), 2);
}

}  // namespace
}  // namespace promethium::scrape
