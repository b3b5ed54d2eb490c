// WebServer over real sockets on 127.0.0.1 with a tiny blocking client:
// keep-alive with pipelining, 413 on an oversized body, gzip, a query that
// runs on the query pool, and a taken address.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <thread>

#include "promql/engine/engine.h"
#include "tsdb/base/metrics.h"
#include "web/testing_storage.h"
#include "web/web_server.h"

namespace promethium::web {
namespace {

struct ParsedResponse {
  int status = 0;
  std::string headers;  // raw header block, lower-cased
  std::string body;
};

class TinyClient {
 public:
  explicit TinyClient(uint16_t port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{5, 0};  // bounded reads: no test can hang
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~TinyClient() { close(fd_); }
  bool connected() const { return connected_; }

  bool Send(const std::string& data) {
    return send(fd_, data.data(), data.size(), MSG_NOSIGNAL) == ssize_t(data.size());
  }

  // Reads one response (Content-Length framed); nullopt on timeout/EOF.
  std::optional<ParsedResponse> Read() {
    size_t header_end;
    while ((header_end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return std::nullopt;
    }
    ParsedResponse resp;
    resp.headers = buf_.substr(0, header_end);
    for (char& c : resp.headers) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    resp.status = std::atoi(buf_.c_str() + 9);
    size_t cl = resp.headers.find("content-length: ");
    size_t length = cl == std::string::npos ? 0 : std::stoul(resp.headers.substr(cl + 16));
    while (buf_.size() < header_end + 4 + length) {
      if (!Fill()) return std::nullopt;
    }
    resp.body = buf_.substr(header_end + 4, length);
    buf_.erase(0, header_end + 4 + length);
    return resp;
  }

  // True when the server closed the connection (EOF) within the timeout.
  bool ClosedByPeer() {
    char c;
    return recv(fd_, &c, 1, 0) == 0;
  }

  // True when the server closed or reset the connection within the timeout
  // (a reset when it closed with bytes of ours unread).
  bool ClosedOrReset() {
    char c;
    ssize_t n = recv(fd_, &c, 1, 0);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
  }

 private:
  bool Fill() {
    char chunk[16384];
    ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0) return false;
    buf_.append(chunk, static_cast<size_t>(n));
    return true;
  }
  int fd_ = -1;
  bool connected_ = false;
  std::string buf_;
};

std::string Gunzip(const std::string& data) {
  z_stream zs{};
  inflateInit2(&zs, 15 + 16);
  std::string out(1 << 20, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = inflate(&zs, Z_FINISH);
  inflateEnd(&zs);
  if (rc != Z_STREAM_END) return "<inflate failed>";
  out.resize(zs.total_out);
  return out;
}

class HttpServerTest : public ::testing::Test {
 protected:
  HttpServerTest()
      : storage_({{Labels{{"__name__", "up"}, {"job", "api"}}, {{1000, 1}}}}), engine_(promql::EngineOptions{}) {
    deps_.storage = &storage_;
    deps_.engine = &engine_;
    deps_.metrics = &registry_;
    for (int i = 0; i < 40; ++i) deps_.flags.emplace_back("flag." + std::to_string(i), "some-long-value");
    opts_.listen_address = "127.0.0.1:0";
    opts_.max_request_body_bytes = 1024;
    opts_.read_timeout = std::chrono::seconds(5);
  }

  // Starts a server with opts_ as the test set them; it stops with the test.
  WebServer& Serve() {
    server_.emplace(opts_, deps_);
    EXPECT_TRUE(server_->Start().ok());
    return *server_;
  }
  bool HasMetric(const std::string& line) const { return registry_.RenderText().find(line) != std::string::npos; }
  // The server counts a closure just after closing (the client may see the
  // close first): polls for the line, at most 5s.
  bool WaitForMetric(const std::string& line) const {
    for (int i = 0; i < 500 && !HasMetric(line); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return HasMetric(line);
  }

  MemoryQueryable storage_;
  promql::Engine engine_;
  MetricsRegistry registry_;
  ApiDeps deps_;
  WebOptions opts_;
  std::optional<WebServer> server_;
};

constexpr const char* kHealthy = "GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n";

TEST_F(HttpServerTest, KeepAlivePipelinedRequests) {
  WebServer server(opts_, deps_);
  ASSERT_TRUE(server.Start().ok());
  ASSERT_NE(server.port(), 0);
  TinyClient client(server.port());
  ASSERT_TRUE(client.connected());
  // Two requests in one write: the second waits in the server's buffer.
  ASSERT_TRUE(
      client.Send("GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n"
                  "GET /api/v1/query?query=up&time=1 HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::optional<ParsedResponse> first = client.Read();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->status, 200);
  EXPECT_EQ(first->body, "Prometheus Server is Healthy.\n");
  EXPECT_NE(first->headers.find("\r\ndate: "), std::string::npos) << first->headers;
  std::optional<ParsedResponse> second = client.Read();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->status, 200);
  EXPECT_EQ(second->body, R"({"status":"success","data":{"resultType":"vector","result":[)"
                          R"({"metric":{"__name__":"up","job":"api"},"value":[1,"1"]}]}})");
  // The connection is still usable afterwards.
  ASSERT_TRUE(
      client.Send("POST /api/v1/query HTTP/1.1\r\nHost: x\r\n"
                  "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 14\r\n\r\n"
                  "query=2&time=3"));
  std::optional<ParsedResponse> third = client.Read();
  ASSERT_TRUE(third.has_value());
  EXPECT_EQ(third->body, R"({"status":"success","data":{"resultType":"scalar","result":[3,"2"]}})");
  server.Stop();
}

TEST_F(HttpServerTest, OversizedBodyGets413) {
  WebServer server(opts_, deps_);
  ASSERT_TRUE(server.Start().ok());
  TinyClient client(server.port());
  ASSERT_TRUE(client.connected());
  std::string body(4096, 'a');
  ASSERT_TRUE(
      client.Send("POST /api/v1/query HTTP/1.1\r\nHost: x\r\n"
                  "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 4096\r\n\r\n" +
                  body));
  std::optional<ParsedResponse> resp = client.Read();
  ASSERT_TRUE(resp.has_value());
  EXPECT_EQ(resp->status, 413);
  EXPECT_NE(resp->headers.find("connection: close"), std::string::npos) << resp->headers;
  EXPECT_TRUE(client.ClosedByPeer());
}

TEST_F(HttpServerTest, GzipWhenAccepted) {
  WebServer server(opts_, deps_);
  ASSERT_TRUE(server.Start().ok());
  TinyClient client(server.port());
  ASSERT_TRUE(
      client.Send("GET /api/v1/status/flags HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip, deflate\r\n\r\n"
                  "GET /api/v1/status/flags HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::optional<ParsedResponse> gz = client.Read();
  std::optional<ParsedResponse> plain = client.Read();
  ASSERT_TRUE(gz.has_value() && plain.has_value());
  EXPECT_NE(gz->headers.find("content-encoding: gzip"), std::string::npos);
  EXPECT_EQ(plain->headers.find("content-encoding"), std::string::npos);
  EXPECT_LT(gz->body.size(), plain->body.size());
  EXPECT_EQ(Gunzip(gz->body), plain->body);
  EXPECT_NE(plain->body.find(R"("flag.7":"some-long-value")"), std::string::npos);
}

TEST_F(HttpServerTest, GzipRefusedWithQZeroAndHeadHasNoBody) {
  WebServer server(opts_, deps_);
  ASSERT_TRUE(server.Start().ok());
  TinyClient client(server.port());
  ASSERT_TRUE(
      client.Send("GET /api/v1/status/flags HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip;q=0, identity\r\n\r\n"));
  std::optional<ParsedResponse> plain = client.Read();
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(plain->headers.find("content-encoding"), std::string::npos) << plain->headers;
  EXPECT_NE(plain->body.find(R"("flag.7":"some-long-value")"), std::string::npos);
}

TEST_F(HttpServerTest, PipelinedAnswersKeepRequestOrderUnderARoutePrefix) {
  deps_.route_prefix = "/prom";
  WebServer server(opts_, deps_);
  ASSERT_TRUE(server.Start().ok());
  TinyClient client(server.port());
  // A query (query pool) then fast endpoints, in one write: the answers come
  // back in request order, and paths outside the prefix get 404.
  ASSERT_TRUE(
      client.Send("GET /prom/api/v1/query?query=up&time=1 HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n"
                  "GET /prom/-/healthy HTTP/1.1\r\nHost: x\r\n\r\n"
                  "GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n"
                  "GET /prom/api/v1/query?query=2&time=3 HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::optional<ParsedResponse> query = client.Read();
  std::optional<ParsedResponse> healthy = client.Read();
  std::optional<ParsedResponse> outside = client.Read();
  std::optional<ParsedResponse> scalar = client.Read();
  ASSERT_TRUE(query && healthy && outside && scalar);
  EXPECT_EQ(query->status, 200);
  EXPECT_EQ(query->body, R"({"status":"success","data":{"resultType":"vector","result":[)"
                         R"({"metric":{"__name__":"up","job":"api"},"value":[1,"1"]}]}})");  // small: not gzipped
  EXPECT_EQ(healthy->body, "Prometheus Server is Healthy.\n");
  EXPECT_EQ(outside->status, 404);
  EXPECT_EQ(scalar->body, R"({"status":"success","data":{"resultType":"scalar","result":[3,"2"]}})");
  server.Stop();
}

TEST_F(HttpServerTest, ConnectionCloseIsHonoured) {
  WebServer server(opts_, deps_);
  ASSERT_TRUE(server.Start().ok());
  TinyClient client(server.port());
  ASSERT_TRUE(client.Send("GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  std::optional<ParsedResponse> resp = client.Read();
  ASSERT_TRUE(resp.has_value());
  EXPECT_EQ(resp->status, 404);
  EXPECT_TRUE(client.ClosedByPeer());
}

TEST_F(HttpServerTest, AddressInUseFailsToStart) {
  WebServer first(opts_, deps_);
  ASSERT_TRUE(first.Start().ok());
  WebOptions same = opts_;
  same.listen_address = "127.0.0.1:" + std::to_string(first.port());
  WebServer second(same, deps_);
  Status st = second.Start();
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.code(), Status::Code::kIOError);
  EXPECT_NE(st.message().find("address already in use"), std::string::npos) << st.ToString();
  WebOptions bad = opts_;
  bad.listen_address = "127.0.0.1";
  EXPECT_EQ(WebServer(bad, deps_).Start().code(), Status::Code::kInvalidArgument);
}

TEST_F(HttpServerTest, StopIsIdempotentAndRefusesNewConnections) {
  WebServer server(opts_, deps_);
  ASSERT_TRUE(server.Start().ok());
  uint16_t port = server.port();
  server.Stop();
  server.Stop();
  TinyClient client(port);
  EXPECT_FALSE(client.connected());
}

// A Queryable whose queriers take a while to open, so a query is still
// running when its client goes away.
class SlowQueryable final : public Queryable {
 public:
  explicit SlowQueryable(Queryable* inner) : inner_(inner) {}
  Result<std::unique_ptr<Querier>> NewQuerier(int64_t mint, int64_t maxt) override {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    return inner_->NewQuerier(mint, maxt);
  }

 private:
  Queryable* inner_;
};

TEST_F(HttpServerTest, ClientDisconnectCancelsRunningQuery) {
  SlowQueryable slow(&storage_);
  deps_.storage = &slow;
  WebServer server(opts_, deps_);
  ASSERT_TRUE(server.Start().ok());
  {
    TinyClient client(server.port());
    ASSERT_TRUE(client.Send("GET /api/v1/query?query=up&time=1 HTTP/1.1\r\nHost: x\r\n\r\n"));
  }  // closes the connection while the query is still opening its querier
  // The engine sees the cancel flag and the request is counted as 499
  // (bounded wait: the query itself finishes after ~0.5s either way).
  bool saw_499 = false;
  for (int i = 0; i < 100 && !saw_499; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    saw_499 = registry_.RenderText().find("prometheus_http_requests_total{code=\"499\",handler=\"/api/v1/query\"} 1") !=
              std::string::npos;
  }
  EXPECT_TRUE(saw_499) << registry_.RenderText();
}

TEST_F(HttpServerTest, ConnectionCapClosesExtraConnectionsWhenNoneIsIdle) {
  opts_.max_connections = 1;
  WebServer& server = Serve();
  TinyClient first(server.port());
  ASSERT_TRUE(first.Send("GET /-/healthy HTTP/1.1\r\n"));  // busy: in the middle of its header
  TinyClient second(server.port());
  ASSERT_TRUE(second.connected());  // the kernel accepts; the server closes it at once
  EXPECT_TRUE(second.ClosedByPeer());
  ASSERT_TRUE(first.Send("Host: x\r\n\r\n"));
  EXPECT_TRUE(first.Read().has_value());
  EXPECT_TRUE(WaitForMetric("promethium_web_connections_closed_total{reason=\"refused\"} 1"));
}

TEST_F(HttpServerTest, AtTheCapANewConnectionTakesTheSlotOfTheIdleOne) {
  opts_.max_connections = 1;
  WebServer& server = Serve();
  TinyClient first(server.port());
  ASSERT_TRUE(first.Send(kHealthy));
  ASSERT_TRUE(first.Read().has_value());
  // The server marks the first connection idle just after writing its
  // answer, so the client may see the answer first: until then a new
  // connection finds nothing idle and is refused. Retry, bounded.
  std::optional<ParsedResponse> answer;
  for (int attempt = 0; attempt < 200 && !answer.has_value(); ++attempt) {
    TinyClient second(server.port());
    if (second.Send(kHealthy)) answer = second.Read();
    if (!answer.has_value()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->status, 200);
  EXPECT_TRUE(first.ClosedByPeer());
  EXPECT_TRUE(WaitForMetric("promethium_web_connections_closed_total{reason=\"evicted\"} 1"));
}

TEST_F(HttpServerTest, IdleConnectionIsClosedAfterReadTimeout) {
  opts_.read_timeout = std::chrono::seconds(1);
  WebServer& server = Serve();
  TinyClient client(server.port());
  ASSERT_TRUE(client.Send("GET /-/heal"));  // a request that never completes
  EXPECT_TRUE(client.ClosedByPeer());       // within the client's 5s receive bound
}

TEST_F(HttpServerTest, KeptAliveConnectionIsClosedAfterIdleTimeout) {
  opts_.idle_timeout = std::chrono::milliseconds(200);
  WebServer& server = Serve();
  TinyClient client(server.port());
  ASSERT_TRUE(client.Send(kHealthy));
  ASSERT_TRUE(client.Read().has_value());
  EXPECT_TRUE(client.ClosedByPeer());  // within the client's 5s receive bound
  EXPECT_TRUE(WaitForMetric("promethium_web_connections_closed_total{reason=\"idle_timeout\"} 1"));
}

// Slowloris: one header byte every 50ms does not move the header deadline.
TEST_F(HttpServerTest, TricklingAHeaderDoesNotExtendTheHeaderDeadline) {
  opts_.read_header_timeout = std::chrono::milliseconds(300);
  WebServer& server = Serve();
  TinyClient client(server.port());
  const std::string endless = "GET /-/healthy HTTP/1.1\r\nX-Slow: " + std::string(400, 'a');
  bool closed = false;
  for (size_t i = 0; i < endless.size() && !closed; ++i) {  // at most 400 * 50ms
    closed = !client.Send(endless.substr(i, 1)) || HasMetric("reason=\"header_timeout\"} 1");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(closed);
  EXPECT_TRUE(client.ClosedOrReset());
  EXPECT_TRUE(WaitForMetric("promethium_web_connections_closed_total{reason=\"header_timeout\"} 1"));
}

TEST_F(HttpServerTest, SlowBodyIsCutAtTheReadTimeout) {
  opts_.read_timeout = std::chrono::milliseconds(300);
  WebServer& server = Serve();
  TinyClient client(server.port());
  ASSERT_TRUE(client.Send("POST /api/v1/query HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nquery=u"));
  EXPECT_TRUE(client.ClosedByPeer());
  EXPECT_TRUE(WaitForMetric("promethium_web_connections_closed_total{reason=\"body_timeout\"} 1"));
}

// A body trickling under --web.min-body-rate is cut after the grace (the
// header timeout) plus what its bytes earned, long before --web.read-timeout.
TEST_F(HttpServerTest, BodyBelowTheMinimumRateIsCutLongBeforeTheReadTimeout) {
  opts_.read_timeout = std::chrono::seconds(60);
  opts_.read_header_timeout = std::chrono::milliseconds(300);
  opts_.min_body_bytes_per_second = 1000;
  opts_.max_request_body_bytes = 1 << 20;
  WebServer& server = Serve();
  TinyClient client(server.port());
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(client.Send("POST /api/v1/query HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nquery=u"));
  // 100 bytes earn 100 ms: the deadline is about 0.4 s after the header.
  ASSERT_TRUE(client.Send(std::string(100, 'p')));
  EXPECT_TRUE(client.ClosedOrReset());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_TRUE(WaitForMetric("promethium_web_connections_closed_total{reason=\"body_too_slow\"} 1"));
}

// A body that keeps up with the rate is read whole, even when it takes
// longer than the grace.
TEST_F(HttpServerTest, BodyAtTheMinimumRateIsServed) {
  opts_.read_header_timeout = std::chrono::milliseconds(200);
  opts_.min_body_bytes_per_second = 1000;
  opts_.max_request_body_bytes = 1 << 20;
  WebServer& server = Serve();
  TinyClient client(server.port());
  const std::string query = "query=" + std::string(2000, '+') + "1";  // "+" is a space
  ASSERT_TRUE(
      client.Send("POST /api/v1/query HTTP/1.1\r\nHost: x\r\nContent-Type: "
                  "application/x-www-form-urlencoded\r\nContent-Length: " +
                  std::to_string(query.size()) + "\r\n\r\n"));
  // 2,001 bytes in 10 pieces, 100 ms apart: about 1 s in all, well past the
  // 200 ms grace, at about 2,000 bytes/s.
  for (size_t off = 0; off < query.size(); off += 201) {
    ASSERT_TRUE(client.Send(query.substr(off, 201)));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::optional<ParsedResponse> resp = client.Read();
  ASSERT_TRUE(resp.has_value());
  EXPECT_EQ(resp->status, 200) << resp->body;
}

TEST_F(HttpServerTest, HugeHeaderGets431AndTheConnectionIsClosed) {
  WebServer& server = Serve();
  TinyClient client(server.port());
  ASSERT_TRUE(client.Send("GET /-/healthy HTTP/1.1\r\nX-Big: " + std::string((1 << 20) + 1000, 'a') + "\r\n\r\n"));
  std::optional<ParsedResponse> resp = client.Read();
  ASSERT_TRUE(resp.has_value());
  EXPECT_EQ(resp->status, 431);
  EXPECT_EQ(resp->body, "431 Request Header Fields Too Large");
  EXPECT_TRUE(client.ClosedOrReset());
  EXPECT_TRUE(WaitForMetric("promethium_web_connections_closed_total{reason=\"header_too_large\"} 1"));
}

}  // namespace
}  // namespace promethium::web
