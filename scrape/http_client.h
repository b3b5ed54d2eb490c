// HttpClient: the scraper's HTTP/1.1 GET, on Boost.Beast with Asio C++20
// coroutines.
//
// One GET per scrape (or a POST, see HttpGetRequest::post), reusing the previous scrape's connection when the
// target kept it alive (retrying once on a fresh connection if the target
// closed it meanwhile). Bounded in time: the whole exchange, connect
// included, must finish within the scrape timeout. Bounded in size:
// body_size_limit applies to the body as received and again after gzip
// decompression; 0 means kHardBodyLimit (256 MiB) so no target can exhaust
// memory. It sends the
// headers Prometheus sends (Accept as negotiated from the job's
// scrape_protocols, Accept-Encoding: gzip,
// User-Agent, X-Prometheus-Scrape-Timeout-Seconds) and inflates gzip
// bodies. Error messages follow Prometheus's wording where it has one:
//   server returned HTTP status 500 Internal Server Error
//   body size limit exceeded
//   Get "http://host:port/metrics": context deadline exceeded
// Host names are resolved with the system resolver, whose own timeouts
// bound that step; IP literals skip it. https uses OpenSSL (TlsClientContext);
// the Authorization header is sent when given (and dropped on a redirect to
// another host, as Go does); 3xx answers are followed when asked.
//
// Through an HTTP proxy (HttpGetRequest::proxy picks it per request and
// redirect hop): an http:// target gets its GET in absolute form
// ("GET http://host:port/path HTTP/1.1") on the proxy connection, with
// Proxy-Authorization from the proxy URL's user info; an https:// target
// gets a CONNECT host:port tunnel first (proxy_connect_header and
// Proxy-Authorization sent, 200 expected), then TLS to the target inside it,
// verified against the target's name as without a proxy. Proxy failures name
// the proxy: "proxyconnect tcp: dial tcp 10.0.0.1:3128: Connection refused",
// "proxy http://10.0.0.1:3128 refused CONNECT to h:443: 407 Proxy
// Authentication Required".
//
// Beast stays inside http_client.cc; this header exposes Asio's awaitable
// only, and only the scrape loop runtime includes it.
//
// Ownership: the client owns its socket. Thread-safety: Get and Cancel must
// run on the client's executor (a strand), one Get at a time.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "scrape/http_client_config.h"
#include "tsdb/base/result.h"

namespace promethium::scrape {

// An OpenSSL client context built from a tls_config (CA, client certificate,
// verification, minimum version, server name). Opaque here so that only
// http_client.cc sees OpenSSL. Immutable once built; shared by the loops of
// a job.
struct TlsClientContext;
Result<std::shared_ptr<const TlsClientContext>> NewTlsClientContext(const TLSConfig& config);

inline constexpr uint64_t kHardBodyLimit = 256ULL << 20;
// Sent when HttpGetRequest::accept is empty.
inline constexpr std::string_view kScrapeAcceptHeader = "text/plain;version=0.0.4;q=1,*/*;q=0.1";
inline constexpr std::string_view kUserAgent = "Promethium/0.1.0";

struct HttpGetRequest {
  std::string host;    // name or IP literal (IPv6 without brackets)
  std::string port;    // "80" when the address had none
  std::string target;  // path and query, e.g. "/metrics?x=y"
  std::string url;     // for error messages
  std::string accept;  // Accept header (see ScrapeAcceptHeader); empty: kScrapeAcceptHeader
  int64_t timeout_ms = 10'000;
  uint64_t body_size_limit = 0;  // 0: kHardBodyLimit
  // https: TLS through `tls` (required then).
  bool use_tls = false;
  std::shared_ptr<const TlsClientContext> tls;
  std::string authorization;                   // Authorization header value; "" sends none
  bool follow_redirects = false;               // follow up to 10 3xx Location hops, as Go's client
  std::shared_ptr<const ProxySelector> proxy;  // nullptr: always direct
  // POST instead of GET (the notifier's alert pushes): `post_body` is sent
  // with `content_type`; the scrape-only headers (Accept, the scrape timeout)
  // are left out and errors say "Post" instead of "Get".
  bool post = false;
  std::string post_body;
  std::string content_type;
  // Sent after the standard headers, replacing any of the same name (the
  // remote read client's Content-Encoding, version and configured headers).
  std::vector<std::pair<std::string, std::string>> extra_headers;
  // Non-2xx answers come back as an HttpResponse (body within the size
  // limit) instead of an error, for callers that report the server's text.
  bool return_error_status = false;
  // Fill HttpResponse::headers (remote write reads Retry-After and the
  // X-Prometheus-Remote-Write-*-Written counts).
  bool keep_response_headers = false;
};

struct HttpResponse {
  unsigned status = 0;
  std::string content_type;
  std::string body;    // decompressed
  std::string reason;  // the status line's reason phrase (non-2xx answers)
  // Every response header, only with HttpGetRequest::keep_response_headers.
  std::vector<std::pair<std::string, std::string>> headers;
};

// Runs one request to completion on a private io_context of the calling
// thread, for callers without an event loop (http_sd refreshes, the remote
// read client). Blocks for at most the request's timeout.
Result<HttpResponse> FetchBlocking(const HttpGetRequest& request);

// Splits "host:port" / "[v6]:port" / "host" into host and port ("80").
Status SplitHostPort(const std::string& address, std::string* host, std::string* port);

class HttpClient {
 public:
  explicit HttpClient(boost::asio::any_io_executor executor);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Performs the GET. Non-2xx statuses are errors.
  boost::asio::awaitable<Result<HttpResponse>> Get(const HttpGetRequest& request);
  // Aborts an in-flight Get (it then fails with Canceled).
  void Cancel();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace promethium::scrape
