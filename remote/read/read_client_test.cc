#include "remote/read/read_client.h"

#include <gtest/gtest.h>
#include <snappy.h>

#include <cstdlib>
#include <mutex>

#include "remote/proto/remote.pb.h"
#include "scrape/discovery/test_socket_util.h"

namespace promethium::remote {
namespace {

// A loopback remote read endpoint: records each request and answers with a
// settable status, content type and body.
class FakeReadServer {
 public:
  FakeReadServer() {
    server_.ListenLoopback();
    server_.Start([this](int c) { Serve(c); });
  }
  ~FakeReadServer() { server_.Stop(); }

  void Answer(std::string status, std::string content_type, std::string body) {
    std::lock_guard<std::mutex> l(mu_);
    status_ = std::move(status);
    content_type_ = std::move(content_type);
    body_ = std::move(body);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_.port()) + "/api/v1/read"; }
  std::string last_head() const {
    std::lock_guard<std::mutex> l(mu_);
    return head_;
  }
  std::string last_body() const {
    std::lock_guard<std::mutex> l(mu_);
    return req_body_;
  }

 private:
  void Serve(int c) {
    std::string head, body;
    if (!scrape::ReadHttpRequest(c, 100, &head, &body)) return;
    std::string resp;
    {
      std::lock_guard<std::mutex> l(mu_);
      head_ = std::move(head);
      req_body_ = std::move(body);
      resp = scrape::HttpCloseResponse(status_, content_type_, body_);
    }
    (void)!::write(c, resp.data(), resp.size());
  }

  mutable std::mutex mu_;
  std::string status_ = "200 OK", content_type_ = "application/x-protobuf", body_;
  std::string head_, req_body_;
  scrape::TestSocketServer server_;
};

std::string SampledBody() {
  prometheus::ReadResponse resp;
  prometheus::TimeSeries* ts = resp.add_results()->add_timeseries();
  prometheus::Label* l = ts->add_labels();
  l->set_name("__name__");
  l->set_value("up");
  prometheus::Sample* s = ts->add_samples();
  s->set_timestamp(2000);
  s->set_value(1);
  std::string raw = resp.SerializeAsString(), out;
  snappy::Compress(raw.data(), raw.size(), &out);
  return out;
}

ReadQuery UpQuery() {
  ReadQuery q;
  q.start_ms = 0;
  q.end_ms = 10'000;
  q.matchers.push_back(Matcher::Make(MatchType::kEqual, "__name__", "up").value());
  return q;
}

TEST(ReadClient, PostsPrometheusHeadersAndDecodesSamples) {
  FakeReadServer server;
  server.Answer("200 OK", "application/x-protobuf", SampledBody());
  RemoteReadConfig cfg;
  cfg.url = server.url();
  cfg.headers = {{"X-Scope-OrgID", "tenant-1"}};
  cfg.http_client.basic_auth = scrape::BasicAuth{"user", "pass", ""};
  ReadClientOptions opts;
  opts.accepted_response_types = {ResponseType::kSamples};
  auto client = ReadClient::Make(cfg, opts);
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  Result<SeriesList> got = (*client)->Read(UpQuery());
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].labels, (Labels{{"__name__", "up"}}));
  ASSERT_EQ((*got)[0].samples.size(), 1u);
  EXPECT_EQ((*got)[0].samples[0].t, 2000);
  EXPECT_EQ((*got)[0].samples[0].v, 1);

  const std::string head = server.last_head();
  EXPECT_NE(head.find("POST /api/v1/read HTTP/1.1"), std::string::npos) << head;
  EXPECT_NE(head.find("Content-Encoding: snappy"), std::string::npos) << head;
  EXPECT_NE(head.find("Content-Type: application/x-protobuf"), std::string::npos) << head;
  EXPECT_NE(head.find("X-Prometheus-Remote-Read-Version: 0.1.0"), std::string::npos) << head;
  EXPECT_NE(head.find("User-Agent: "), std::string::npos) << head;
  EXPECT_NE(head.find("X-Scope-OrgID: tenant-1"), std::string::npos) << head;
  EXPECT_NE(head.find("Authorization: Basic dXNlcjpwYXNz"), std::string::npos) << head;
  std::string body = server.last_body(), raw;
  ASSERT_TRUE(snappy::Uncompress(body.data(), body.size(), &raw));
  prometheus::ReadRequest req;
  ASSERT_TRUE(req.ParseFromString(raw));
  ASSERT_EQ(req.accepted_response_types_size(), 1);
  EXPECT_EQ(req.accepted_response_types(0), prometheus::ReadRequest::SAMPLES);
}

TEST(ReadClient, DefaultPrefersStreamedChunks) {
  FakeReadServer server;
  std::string frames;  // an empty stream: no series
  server.Answer("200 OK", std::string(kChunkedContentType), frames);
  RemoteReadConfig cfg;
  cfg.url = server.url();
  auto client = ReadClient::Make(cfg);
  ASSERT_TRUE(client.ok());
  Result<SeriesList> got = (*client)->Read(UpQuery());
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(got->empty());
  std::string body = server.last_body(), raw;
  ASSERT_TRUE(snappy::Uncompress(body.data(), body.size(), &raw));
  prometheus::ReadRequest req;
  ASSERT_TRUE(req.ParseFromString(raw));
  ASSERT_EQ(req.accepted_response_types_size(), 2);
  EXPECT_EQ(req.accepted_response_types(0), prometheus::ReadRequest::STREAMED_XOR_CHUNKS);
  EXPECT_EQ(req.accepted_response_types(1), prometheus::ReadRequest::SAMPLES);

  // A labels-only select (the "series" hint) asks for SAMPLES only.
  ReadQuery series = UpQuery();
  series.hints.func = "series";
  series.has_hints = true;
  ASSERT_TRUE((*client)->Read(series).ok());
  body = server.last_body();
  raw.clear();
  ASSERT_TRUE(snappy::Uncompress(body.data(), body.size(), &raw));
  ASSERT_TRUE(req.ParseFromString(raw));
  ASSERT_EQ(req.accepted_response_types_size(), 1);
  EXPECT_EQ(req.accepted_response_types(0), prometheus::ReadRequest::SAMPLES);
  EXPECT_EQ(req.queries(0).hints().func(), "series");
}

TEST(ReadClient, ReportsServerErrorsAndBadAnswers) {
  FakeReadServer server;
  RemoteReadConfig cfg;
  cfg.url = server.url();
  auto client = ReadClient::Make(cfg);
  ASSERT_TRUE(client.ok());
  server.Answer("500 Internal Server Error", "text/plain", "boom\n");
  EXPECT_EQ((*client)->Read(UpQuery()).status().message(),
            "remote server " + server.url() + " returned http status 500 Internal Server Error: boom");
  server.Answer("200 OK", "text/html", "<html>");
  EXPECT_EQ((*client)->Read(UpQuery()).status().message(), "unsupported content type: text/html");
  server.Answer("200 OK", "application/x-protobuf", "garbage");
  EXPECT_FALSE((*client)->Read(UpQuery()).ok());
}

TEST(ReadClient, ConnectionFailureNamesTheRequest) {
  RemoteReadConfig cfg;
  {
    FakeReadServer gone;  // take a free port, then release it
    cfg.url = gone.url();
  }
  cfg.remote_timeout_ms = 5000;
  auto client = ReadClient::Make(cfg);
  ASSERT_TRUE(client.ok());
  Status s = (*client)->Read(UpQuery()).status();
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.message().rfind("error sending request: Post \"" + cfg.url + "\"", 0), 0u) << s.message();
}

TEST(ReadClient, RejectsBadUrls) {
  RemoteReadConfig cfg;
  cfg.url = "ftp://x/y";
  EXPECT_FALSE(ReadClient::Make(cfg).ok());
  cfg.url = "http:///read";
  EXPECT_FALSE(ReadClient::Make(cfg).ok());
}

}  // namespace
}  // namespace promethium::remote
