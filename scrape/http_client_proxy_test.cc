// HttpClient through an HTTP proxy: a small in-process proxy on 127.0.0.1
// records each request head and forwards to a fixed loopback backend (plain
// HTTP for absolute-form GETs, a byte relay after CONNECT), so target host
// names need not resolve. Also the ProxySelector rules (no_proxy, the
// environment) and the scrape manager's lastError when the proxy fails.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "scrape/discovery/http_sd.h"
#include "scrape/discovery/test_http_server.h"
#include "scrape/discovery/test_socket_util.h"
#include "scrape/fake_appendable.h"
#include "scrape/http_client.h"
#include "scrape/http_client_config.h"
#include "scrape/scrape_manager.h"
#include "scrape/test_tls_server.h"

namespace promethium::scrape {
namespace {

namespace net = boost::asio;

// Connects to 127.0.0.1:port; -1 on failure.
int DialLoopback(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Copies bytes both ways until either side closes (at most ~10 s).
void Relay(int a, int b) {
  char buf[16384];
  for (int i = 0; i < 200; ++i) {
    pollfd p[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
    if (::poll(p, 2, 50) <= 0) continue;
    for (int k = 0; k < 2; ++k) {
      if (!(p[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = ::read(p[k].fd, buf, sizeof(buf));
      if (n <= 0 || !WriteAll(p[1 - k].fd, std::string_view(buf, static_cast<size_t>(n)))) return;
    }
  }
}

// The proxy. `connect_status` answers CONNECT ("200 Connection established"
// tunnels to the backend; anything else is returned as is).
class TestProxy {
 public:
  explicit TestProxy(int backend_port, std::string connect_status = "200 Connection established")
      : backend_port_(backend_port), connect_status_(std::move(connect_status)) {
    server_.ListenLoopback();
    server_.Start([this](int c) { Serve(c); });
  }
  ~TestProxy() { server_.Stop(); }
  std::string address() const { return "127.0.0.1:" + std::to_string(server_.port()); }
  std::string url() const { return "http://" + address(); }
  std::vector<std::string> heads() {
    std::lock_guard<std::mutex> l(mu_);
    return heads_;
  }

 private:
  void Serve(int c) {
    std::string head = ReadRequestHead(c, 40);
    {
      std::lock_guard<std::mutex> l(mu_);
      heads_.push_back(head);
    }
    const bool connect = head.starts_with("CONNECT ");
    if (connect && !connect_status_.starts_with("200")) {
      WriteAll(c, "HTTP/1.1 " + connect_status_ + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      return;
    }
    int up = DialLoopback(backend_port_);
    if (up < 0) {
      WriteAll(c, HttpCloseResponse("502 Bad Gateway", "text/plain", "no backend"));
      return;
    }
    if (connect) {
      WriteAll(c, "HTTP/1.1 " + connect_status_ + "\r\n\r\n");
    } else {
      WriteAll(up, head);
    }
    Relay(c, up);
    ::close(up);
  }

  int backend_port_;
  std::string connect_status_;
  std::mutex mu_;
  std::vector<std::string> heads_;
  TestSocketServer server_;
};

int PortOf(const std::string& address) { return std::stoi(address.substr(address.rfind(':') + 1)); }

// A port nothing listens on (bound, then closed).
int ClosedPort() {
  TestSocketServer s;
  s.ListenLoopback();
  int port = s.port();
  s.Stop();
  return port;
}

Result<HttpResponse> Get(const HttpGetRequest& req) {
  std::optional<Result<HttpResponse>> out;
  net::io_context io;
  HttpClient client(io.get_executor());
  net::co_spawn(
      io, [&]() -> net::awaitable<void> { out.emplace(co_await client.Get(req)); },
      [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
  io.run();
  return std::move(*out);
}

std::shared_ptr<const ProxySelector> Selector(const ProxyConfig& cfg) {
  auto sel = ProxySelector::Make(cfg, ProxySelector::Environment{});
  EXPECT_TRUE(sel.ok()) << sel.status().ToString();
  return sel.ok() ? *sel : nullptr;
}

HttpGetRequest PlainRequest(const std::string& host, const std::string& port, const ProxyConfig& proxy) {
  HttpGetRequest req;
  req.host = host;
  req.port = port;
  req.target = "/metrics?x=1";
  req.url = "http://" + host + ":" + port + "/metrics?x=1";
  req.timeout_ms = 5'000;
  req.proxy = Selector(proxy);
  return req;
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(HttpClientProxyTest, HttpTargetGetsAbsoluteFormRequest) {
  TestHttpServer backend("up_metric 1\n", "text/plain; version=0.0.4");
  TestProxy proxy(PortOf(backend.address()));
  ProxyConfig cfg;
  cfg.proxy_url = proxy.url();
  // The name need not resolve: only the proxy connects to the target.
  auto res = Get(PlainRequest("target.invalid", "9100", cfg));
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  EXPECT_EQ(res->body, "up_metric 1\n");
  auto heads = proxy.heads();
  ASSERT_EQ(heads.size(), 1u);
  EXPECT_TRUE(heads[0].starts_with("GET http://target.invalid:9100/metrics?x=1 HTTP/1.1\r\n")) << heads[0];
  EXPECT_TRUE(Contains(heads[0], "Host: target.invalid:9100\r\n")) << heads[0];
  EXPECT_FALSE(Contains(heads[0], "Proxy-Authorization")) << heads[0];
  EXPECT_EQ(backend.requests(), 1);
}

TEST(HttpClientProxyTest, ProxyUserInfoBecomesProxyAuthorization) {
  TestHttpServer backend("m 1\n", "text/plain");
  TestProxy proxy(PortOf(backend.address()));
  ProxyConfig cfg;
  cfg.proxy_url = "http://user:p%40ss@" + proxy.address() + "/";
  HttpGetRequest req = PlainRequest("target.invalid", "80", cfg);
  req.authorization = "Bearer target-token";
  auto res = Get(req);
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  auto heads = proxy.heads();
  ASSERT_EQ(heads.size(), 1u);
  // base64("user:p@ss")
  EXPECT_TRUE(Contains(heads[0], "Proxy-Authorization: Basic dXNlcjpwQHNz\r\n")) << heads[0];
  EXPECT_TRUE(Contains(heads[0], "Authorization: Bearer target-token\r\n")) << heads[0];
}

TEST(HttpClientProxyTest, NoProxyTargetIsReachedDirectly) {
  TestHttpServer backend("direct 1\n", "text/plain");
  TestProxy proxy(PortOf(backend.address()));
  ProxyConfig cfg;
  cfg.proxy_url = proxy.url();
  cfg.no_proxy = "10.0.0.0/8,example.com";
  const std::string port = std::to_string(PortOf(backend.address()));
  // With no_proxy set, loopback targets bypass the proxy (httpproxy's rule).
  auto res = Get(PlainRequest("127.0.0.1", port, cfg));
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  EXPECT_EQ(res->body, "direct 1\n");
  EXPECT_TRUE(proxy.heads().empty());
  EXPECT_EQ(backend.requests(), 1);
  // A target not excluded goes through the proxy.
  auto proxied = Get(PlainRequest("metrics.example.org", "80", cfg));
  ASSERT_TRUE(proxied.ok()) << proxied.status().ToString();
  ASSERT_EQ(proxy.heads().size(), 1u);
  EXPECT_TRUE(proxy.heads()[0].starts_with("GET http://metrics.example.org:80/metrics?x=1 ")) << proxy.heads()[0];
  // Without no_proxy every request is proxied, loopback included (http.ProxyURL).
  cfg.no_proxy.clear();
  ASSERT_TRUE(Get(PlainRequest("127.0.0.1", port, cfg)).ok());
  EXPECT_EQ(proxy.heads().size(), 2u);
}

TEST(HttpClientProxyTest, ProxyDownIsAClearError) {
  ProxyConfig cfg;
  cfg.proxy_url = "http://127.0.0.1:" + std::to_string(ClosedPort());
  auto res = Get(PlainRequest("target.invalid", "9100", cfg));
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().message(), "Get \"http://target.invalid:9100/metrics?x=1\": proxyconnect tcp: dial tcp " +
                                        cfg.proxy_url.substr(7) + ": Connection refused");
}

TEST(HttpClientProxyTest, UnsupportedEnvironmentProxyFailsTheRequest) {
  ProxyConfig cfg;
  cfg.proxy_from_environment = true;
  ProxySelector::Environment env;
  env.http_proxy = "socks5://127.0.0.1:1080";
  auto sel = ProxySelector::Make(cfg, env);
  ASSERT_TRUE(sel.ok());
  HttpGetRequest req = PlainRequest("target.invalid", "80", ProxyConfig{});
  req.proxy = *sel;
  auto res = Get(req);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().code(), Status::Code::kUnsupported);
  EXPECT_EQ(res.status().message(),
            "Get \"http://target.invalid:80/metrics?x=1\": unsupported: HTTP_PROXY scheme \"socks5\" (only http:// "
            "proxies)");
}

class HttpClientProxyTlsTest : public PkiTest {
 protected:
  HttpGetRequest TlsRequest(const TlsServer& server, const ProxyConfig& proxy) {
    HttpGetRequest req;
    req.host = "localhost";  // the certificate's name; the proxy reaches the server
    req.port = server.port();
    req.target = "/metrics";
    req.url = "https://localhost:" + server.port() + "/metrics";
    req.timeout_ms = 5'000;
    req.use_tls = true;
    TLSConfig tls;
    tls.ca_file = pki_.path("ca.crt");
    auto ctx = NewTlsClientContext(tls);
    EXPECT_TRUE(ctx.ok());
    if (ctx.ok()) req.tls = *ctx;
    req.proxy = Selector(proxy);
    return req;
  }
};

TEST_F(HttpClientProxyTlsTest, HttpsTargetTunnelsThroughConnect) {
  TlsServer server(pki_, false);
  TestProxy proxy(std::stoi(server.port()));
  ProxyConfig cfg;
  cfg.proxy_url = "http://u:pw@" + proxy.address();
  cfg.proxy_connect_header = {{"X-Tenant", {"a", "b"}}};
  HttpGetRequest req = TlsRequest(server, cfg);
  req.authorization = "Bearer inner";
  auto res = Get(req);
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  EXPECT_EQ(res->body, "tls_metric 1\n");
  auto heads = proxy.heads();
  ASSERT_EQ(heads.size(), 1u);
  const std::string& h = heads[0];
  EXPECT_TRUE(h.starts_with("CONNECT localhost:" + server.port() + " HTTP/1.1\r\n")) << h;
  EXPECT_TRUE(Contains(h, "Host: localhost:" + server.port() + "\r\n")) << h;
  EXPECT_TRUE(Contains(h, "Proxy-Authorization: Basic dTpwdw==\r\n")) << h;  // base64("u:pw")
  EXPECT_TRUE(Contains(h, "X-Tenant: a\r\nX-Tenant: b\r\n")) << h;
  EXPECT_FALSE(Contains(h, "Bearer inner")) << h;  // target credentials stay inside the tunnel
  // The target saw a normal origin-form request over TLS.
  auto inner = server.requests();
  ASSERT_EQ(inner.size(), 1u);
  EXPECT_TRUE(inner[0].starts_with("GET /metrics HTTP/1.1\r\n")) << inner[0];
  EXPECT_TRUE(Contains(inner[0], "Authorization: Bearer inner\r\n")) << inner[0];
  EXPECT_FALSE(Contains(inner[0], "Proxy-Authorization")) << inner[0];
}

TEST_F(HttpClientProxyTlsTest, RefusedConnectNamesTheProxy) {
  TlsServer server(pki_, false);
  TestProxy proxy(std::stoi(server.port()), "407 Proxy Authentication Required");
  ProxyConfig cfg;
  cfg.proxy_url = "http://u:secret@" + proxy.address();
  auto res = Get(TlsRequest(server, cfg));
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().message(), "Get \"https://localhost:" + server.port() + "/metrics\": proxy http://u:xxxxx@" +
                                        proxy.address() + " refused CONNECT to localhost:" + server.port() +
                                        ": 407 Proxy Authentication Required");
  EXPECT_TRUE(server.requests().empty());
}

TEST_F(HttpClientProxyTlsTest, HttpSdUsesTheProxy) {
  TlsServer server(pki_, false);
  TestProxy proxy(std::stoi(server.port()));
  HttpClientConfig client;
  client.tls_config.ca_file = pki_.path("ca.crt");
  client.proxy.proxy_url = proxy.url();
  auto groups = FetchHttpTargetGroups("https://localhost:" + server.port() + "/sd", 5'000, client);
  ASSERT_TRUE(groups.ok()) << groups.status().ToString();
  ASSERT_EQ(groups->size(), 1u);
  ASSERT_EQ(proxy.heads().size(), 1u);
  EXPECT_TRUE(proxy.heads()[0].starts_with("CONNECT localhost:" + server.port() + " ")) << proxy.heads()[0];
}

// The scrape path: targets through a working proxy are up; through a dead
// one, lastError names the proxy.
TEST(HttpClientProxyTest, ScrapeManagerReportsProxyErrors) {
  TestHttpServer backend("via_proxy 1\n", "text/plain; version=0.0.4");
  TestProxy proxy(PortOf(backend.address()));
  FakeAppendable db;
  ScrapeManager mgr(&db, nullptr);
  ScrapeConfig good;
  good.job_name = "good";
  good.scrape_timeout_ms = 2'000;
  good.scrape_interval_ms = 3'000;
  good.http_client.proxy.proxy_url = proxy.url();
  good.static_configs.push_back({{"exporter.invalid:9100"}, Labels{}, "static_configs/0"});
  ScrapeConfig bad = good;
  bad.job_name = "bad";
  const std::string dead = "127.0.0.1:" + std::to_string(ClosedPort());
  bad.http_client.proxy.proxy_url = "http://" + dead;
  ASSERT_TRUE(mgr.ApplyConfig({good, bad}).ok());
  std::vector<TargetStatus> targets;
  for (int i = 0; i < 100; ++i) {
    targets = mgr.Targets();
    if (targets.size() == 2 && targets[0].health != "unknown" && targets[1].health != "unknown") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  mgr.Stop();
  ASSERT_EQ(targets.size(), 2u);
  for (const TargetStatus& t : targets) {
    if (t.scrape_pool == "good") {
      EXPECT_EQ(t.health, "up") << t.last_error;
    } else {
      EXPECT_EQ(t.health, "down");
      EXPECT_EQ(t.last_error, "Get \"http://exporter.invalid:9100/metrics\": proxyconnect tcp: dial tcp " + dead +
                                  ": Connection refused");
    }
  }
  ASSERT_FALSE(proxy.heads().empty());
  EXPECT_TRUE(proxy.heads()[0].starts_with("GET http://exporter.invalid:9100/metrics HTTP/1.1\r\n"));
}

// ---- ProxySelector and config rules ----

std::string Route(const ProxySelector& sel, bool https, const std::string& host, const std::string& port) {
  auto r = sel.For(https, host, port);
  if (!r.ok()) return "error: " + r.status().message();
  return r->has_value() ? (*r)->host + ":" + (*r)->port : "direct";
}

TEST(ProxySelectorTest, NoConfigMeansNoSelector) {
  auto sel = ProxySelector::Make(ProxyConfig{});
  ASSERT_TRUE(sel.ok());
  EXPECT_EQ(*sel, nullptr);
}

TEST(ProxySelectorTest, NoProxyRules) {
  ProxyConfig cfg;
  cfg.proxy_url = "http://proxy.corp:3128";
  cfg.no_proxy =
      " Example.com, .internal ,*.svc.local, 10.1.0.0/16, 192.168.1.5, host.port:9100, [fd00::1]:80, 2001:db8::/32";
  auto sel = Selector(cfg);
  ASSERT_NE(sel, nullptr);
  EXPECT_EQ(Route(*sel, false, "example.com", "80"), "direct");
  EXPECT_EQ(Route(*sel, false, "a.example.com", "80"), "direct");
  EXPECT_EQ(Route(*sel, false, "notexample.com", "80"), "proxy.corp:3128");
  EXPECT_EQ(Route(*sel, false, "db.internal", "80"), "direct");
  EXPECT_EQ(Route(*sel, false, "internal", "80"), "proxy.corp:3128");  // ".internal" matches subdomains only
  EXPECT_EQ(Route(*sel, false, "x.svc.local", "80"), "direct");
  EXPECT_EQ(Route(*sel, false, "10.1.2.3", "80"), "direct");
  EXPECT_EQ(Route(*sel, false, "10.2.0.1", "80"), "proxy.corp:3128");
  EXPECT_EQ(Route(*sel, false, "192.168.1.5", "80"), "direct");
  EXPECT_EQ(Route(*sel, false, "192.168.1.6", "80"), "proxy.corp:3128");
  EXPECT_EQ(Route(*sel, false, "host.port", "9100"), "direct");
  EXPECT_EQ(Route(*sel, false, "host.port", "9101"), "proxy.corp:3128");
  EXPECT_EQ(Route(*sel, false, "fd00::1", "80"), "direct");
  EXPECT_EQ(Route(*sel, false, "fd00::1", "81"), "proxy.corp:3128");
  EXPECT_EQ(Route(*sel, false, "2001:db8::5", "80"), "direct");
  EXPECT_EQ(Route(*sel, true, "other.org", "443"), "proxy.corp:3128");
  // Loopback and localhost always go direct once no_proxy is set.
  EXPECT_EQ(Route(*sel, false, "localhost", "80"), "direct");
  EXPECT_EQ(Route(*sel, false, "127.0.0.2", "80"), "direct");
  EXPECT_EQ(Route(*sel, false, "::1", "80"), "direct");
  cfg.no_proxy = "*";
  EXPECT_EQ(Route(*Selector(cfg), false, "anything.org", "80"), "direct");
}

TEST(ProxySelectorTest, Environment) {
  ProxyConfig cfg;
  cfg.proxy_from_environment = true;
  ProxySelector::Environment env;
  env.http_proxy = "plainproxy:8080";  // no scheme: http://
  env.https_proxy = "http://u:p@secure-proxy:3129";
  env.no_proxy = "skip.me";
  auto sel = ProxySelector::Make(cfg, env);
  ASSERT_TRUE(sel.ok());
  EXPECT_EQ(Route(**sel, false, "a.org", "80"), "plainproxy:8080");
  EXPECT_EQ(Route(**sel, true, "a.org", "443"), "secure-proxy:3129");
  EXPECT_EQ(Route(**sel, false, "skip.me", "80"), "direct");
  EXPECT_EQ(Route(**sel, false, "127.0.0.1", "80"), "direct");
  EXPECT_EQ((*(*sel)->For(true, "a.org", "443"))->authorization, "Basic dTpw");
  // Only HTTPS_PROXY: http targets go direct.
  env.http_proxy.clear();
  EXPECT_EQ(Route(**ProxySelector::Make(cfg, env), false, "a.org", "80"), "direct");
  // Under CGI, HTTP_PROXY is refused (golang.org/s/cgihttpproxy).
  env.http_proxy = "http://p:1";
  env.cgi = true;
  EXPECT_EQ(Route(**ProxySelector::Make(cfg, env), false, "a.org", "80"),
            "error: refusing to use HTTP_PROXY value in CGI environment (REQUEST_METHOD is set)");
  // socks5 from the environment fails loudly, only for the requests that would use it.
  env = {};
  env.https_proxy = "socks5://s:1080";
  EXPECT_EQ(Route(**ProxySelector::Make(cfg, env), true, "a.org", "443"),
            "error: unsupported: HTTPS_PROXY scheme \"socks5\" (only http:// proxies)");
  EXPECT_EQ(Route(**ProxySelector::Make(cfg, env), false, "a.org", "80"), "direct");
}

TEST(ProxyConfigTest, ParseProxyUrl) {
  auto ep = ParseProxyUrl("http://user:pa%3Ass@[fd00::7]:3128/");
  ASSERT_TRUE(ep.ok()) << ep.status().ToString();
  EXPECT_EQ(ep->host, "fd00::7");
  EXPECT_EQ(ep->port, "3128");
  EXPECT_EQ(ep->authorization, "Basic " + Base64Encode("user:pa:ss"));
  EXPECT_EQ(ep->redacted_url, "http://user:xxxxx@[fd00::7]:3128/");
  ep = ParseProxyUrl("HTTP://proxy");
  ASSERT_TRUE(ep.ok());
  EXPECT_EQ(ep->port, "80");
  EXPECT_EQ(ep->authorization, "");
  EXPECT_EQ(ParseProxyUrl("https://p:443").status().message(),
            "unsupported: proxy_url scheme \"https\" (only http:// proxies)");
  EXPECT_EQ(ParseProxyUrl("socks5://p:1080").status().code(), Status::Code::kUnsupported);
  EXPECT_EQ(ParseProxyUrl("ftp://u:secret@p").status().message(),
            "invalid proxy_url \"ftp://u:xxxxx@p\": scheme \"ftp\" is not http");
  EXPECT_EQ(ParseProxyUrl("proxy:3128").status().message(),
            "invalid proxy_url: scheme must be http (http://host:port)");
  EXPECT_EQ(ParseProxyUrl("http://:3128").status().message(),
            "invalid proxy_url \"http://:3128\": want http://host[:port] with a port in 1-65535");
  EXPECT_FALSE(ParseProxyUrl("http://p:99999").ok());
  EXPECT_FALSE(ParseProxyUrl("http://u:%zz@p:1").ok());
}

TEST(ProxyConfigTest, ValidationRules) {
  ProxyConfig c;
  EXPECT_TRUE(ValidateProxyConfig(c).ok());
  c.no_proxy = "a.org";
  EXPECT_EQ(ValidateProxyConfig(c).message(), "if no_proxy is configured, proxy_url must also be configured");
  c = {};
  c.proxy_connect_header = {{"X", {"y"}}};
  EXPECT_EQ(ValidateProxyConfig(c).message(),
            "if proxy_connect_header is configured, proxy_url or proxy_from_environment must also be configured");
  c.proxy_from_environment = true;
  EXPECT_TRUE(ValidateProxyConfig(c).ok());
  c.proxy_url = "http://p:1";
  EXPECT_EQ(ValidateProxyConfig(c).message(),
            "if proxy_from_environment is configured, proxy_url must not be configured");
  c.proxy_url.clear();
  c.no_proxy = "a.org";
  EXPECT_EQ(ValidateProxyConfig(c).message(),
            "if proxy_from_environment is configured, no_proxy must not be configured");
  c = {};
  c.proxy_url = "http://p:1";
  c.proxy_connect_header = {{"Bad Name", {"v"}}};
  EXPECT_EQ(ValidateProxyConfig(c).message(), "invalid proxy_connect_header name \"Bad Name\"");
  c.proxy_connect_header = {{"X-Ok", {"v\r\nInjected: 1"}}};
  EXPECT_EQ(ValidateProxyConfig(c).message(), "invalid proxy_connect_header value for X-Ok");
  c.proxy_connect_header = {{"X-Ok", {"plain value"}}};
  EXPECT_TRUE(ValidateProxyConfig(c).ok());
}

}  // namespace
}  // namespace promethium::scrape
