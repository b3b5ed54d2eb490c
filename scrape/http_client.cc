#include "scrape/http_client.h"

#include <fmt/format.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <charconv>
#include <chrono>
#include <exception>
#include <map>
#include <optional>

#include "scrape/gzip.h"
#include "tsdb/base/metrics.h"

namespace promethium::scrape {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

Status SplitHostPort(const std::string& address, std::string* host, std::string* port) {
  std::string_view a = address;
  std::string_view h = a, p;
  if (a.starts_with('[')) {
    size_t close = a.find(']');
    if (close == std::string_view::npos) return Status::InvalidArgument(fmt::format("address {}: missing ']'", a));
    h = a.substr(1, close - 1);
    std::string_view rest = a.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return Status::InvalidArgument(fmt::format("address {}: unexpected text after ']'", a));
      p = rest.substr(1);
    }
  } else if (size_t colon = a.rfind(':'); colon != std::string_view::npos) {
    if (a.find(':') != colon) return Status::InvalidArgument(fmt::format("address {}: too many colons", a));
    h = a.substr(0, colon);
    p = a.substr(colon + 1);
  }
  if (h.empty()) return Status::InvalidArgument(fmt::format("address {}: missing host", a));
  if (p.empty()) p = "80";
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), value);
  if (ec != std::errc() || ptr != p.data() + p.size() || value == 0 || value > 65535) {
    return Status::InvalidArgument(fmt::format("address {}: invalid port \"{}\"", a, p));
  }
  *host = std::string(h);
  *port = std::string(p);
  return Status::OK();
}

namespace {

// `canceled` wins: Cancel() may land between two operations, when no error
// is pending, and the next await point then ends the request. A failure of
// the proxy step (`proxy_failure`, already worded) replaces `ec`'s text.
Status TransportError(const HttpGetRequest& req, const beast::error_code& ec, bool canceled,
                      const std::string& proxy_failure) {
  const std::string_view verb = req.post ? "Post" : "Get";
  if (canceled)
    return Status::Canceled(fmt::format("{} \"{}\": {} canceled", verb, req.url, req.post ? "request" : "scrape"));
  if (ec == beast::error::timeout) {
    return Status::DeadlineExceeded(fmt::format("{} \"{}\": context deadline exceeded", verb, req.url));
  }
  if (ec == http::error::body_limit) return Status::ResourceExhausted("body size limit exceeded");
  if (!proxy_failure.empty()) return Status::IOError(fmt::format("{} \"{}\": {}", verb, req.url, proxy_failure));
  return Status::IOError(fmt::format("{} \"{}\": {}", verb, req.url, ec.message()));
}

// "host:port", with brackets for an IPv6 literal.
std::string HostPort(const std::string& host, const std::string& port) {
  return host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port) : host + ":" + port;
}

// `via`: the http:// target's proxy, which gets the absolute-form URL.
http::request<http::string_body> BuildRequest(const HttpGetRequest& req, const ProxyEndpoint* via) {
  const std::string authority = HostPort(req.host, req.port);
  http::request<http::string_body> r{req.post ? http::verb::post : http::verb::get,
                                     via ? "http://" + authority + req.target : req.target, 11};
  r.set(http::field::host, authority);
  if (via && !via->authorization.empty()) r.set(http::field::proxy_authorization, via->authorization);
  if (!req.post) {
    r.set(http::field::accept, req.accept.empty() ? kScrapeAcceptHeader : std::string_view(req.accept));
    r.set("X-Prometheus-Scrape-Timeout-Seconds", FormatJsonFloat(static_cast<double>(req.timeout_ms) / 1000.0));
  }
  r.set(http::field::accept_encoding, "gzip");
  r.set(http::field::user_agent, kUserAgent);
  if (!req.authorization.empty()) r.set(http::field::authorization, req.authorization);
  if (req.post) {
    r.set(http::field::content_type, req.content_type);
    r.body() = req.post_body;
  }
  for (const auto& [name, value] : req.extra_headers) r.set(name, value);
  if (req.post) r.prepare_payload();
  return r;
}

bool IsStaleConnectionError(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == net::error::eof || ec == net::error::connection_reset ||
         ec == net::error::broken_pipe || ec == net::error::connection_aborted ||
         ec == net::ssl::error::stream_truncated;  // a TLS peer that closed without close_notify
}

}  // namespace

struct TlsClientContext {
  explicit TlsClientContext(ssl::context c) : ctx(std::move(c)) {}
  mutable ssl::context ctx;  // OpenSSL contexts are internally synchronized once configured
  std::string server_name;
  bool insecure_skip_verify = false;
};

namespace {

// OpenSSL's reason for the last failure, for config errors.
std::string SslError(const boost::system::error_code& ec) { return ec.message(); }

Status ApplyMinVersion(ssl::context& ctx, const std::string& min_version) {
  if (min_version.empty()) return Status::OK();
  static const std::map<std::string, int> kVersions = {
      {"TLS10", TLS1_VERSION}, {"TLS11", TLS1_1_VERSION}, {"TLS12", TLS1_2_VERSION}, {"TLS13", TLS1_3_VERSION}};
  auto it = kVersions.find(min_version);
  if (it == kVersions.end()) return Status::InvalidArgument(fmt::format("unknown TLS version: {}", min_version));
  SSL_CTX_set_min_proto_version(ctx.native_handle(), it->second);
  return Status::OK();
}

}  // namespace

Result<std::shared_ptr<const TlsClientContext>> NewTlsClientContext(const TLSConfig& config) {
  auto out = std::make_shared<TlsClientContext>(ssl::context(ssl::context::tls_client));
  ssl::context& ctx = out->ctx;
  boost::system::error_code ec;
  // Go's crypto/tls defaults to TLS 1.2 as the minimum for clients.
  SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
  PROMETHIUM_RETURN_IF_ERROR(ApplyMinVersion(ctx, config.min_version));
  if (!config.ca_file.empty()) {
    ctx.load_verify_file(config.ca_file, ec);
    if (ec)
      return Status::InvalidArgument(
          fmt::format("unable to load specified CA cert {}: {}", config.ca_file, SslError(ec)));
  } else {
    ctx.set_default_verify_paths(ec);
  }
  if (config.cert_file.empty() != config.key_file.empty()) {
    return Status::InvalidArgument(
        config.cert_file.empty()
            ? fmt::format("client key file {} specified without client cert file", config.key_file)
            : fmt::format("client cert file {} specified without client key file", config.cert_file));
  }
  if (!config.cert_file.empty()) {
    ctx.use_certificate_chain_file(config.cert_file, ec);
    if (!ec) ctx.use_private_key_file(config.key_file, ssl::context::pem, ec);
    if (ec) {
      return Status::InvalidArgument(fmt::format("unable to use specified client cert ({}) & key ({}): {}",
                                                 config.cert_file, config.key_file, SslError(ec)));
    }
  }
  ctx.set_verify_mode(config.insecure_skip_verify ? ssl::verify_none : ssl::verify_peer);
  out->server_name = config.server_name;
  out->insecure_skip_verify = config.insecure_skip_verify;
  return std::shared_ptr<const TlsClientContext>(std::move(out));
}

using Deadline = std::chrono::steady_clock::time_point;
constexpr size_t kReadBufferBytes = 64 * 1024;

struct HttpClient::Impl {
  explicit Impl(net::any_io_executor ex) : executor(ex), resolver(ex) {}

  bool Open() const {
    if (tls_stream) return beast::get_lowest_layer(*tls_stream).socket().is_open();
    return stream.has_value() && stream->socket().is_open();
  }
  void Close() {
    beast::error_code ignored;
    if (tls_stream) beast::get_lowest_layer(*tls_stream).socket().shutdown(tcp::socket::shutdown_both, ignored);
    if (stream) stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
    tls_stream.reset();
    stream.reset();
  }
  beast::tcp_stream& Lowest() { return tls_stream ? beast::get_lowest_layer(*tls_stream) : *stream; }

  // Opens a fresh connection (TLS handshake included for https), to the
  // target or through the proxy `via`.
  net::awaitable<beast::error_code> Connect(const HttpGetRequest& req, const ProxyEndpoint* via, Deadline deadline) {
    beast::error_code ec;
    auto token = net::redirect_error(net::use_awaitable, ec);
    Close();
    if (req.use_tls) {
      tls_stream.emplace(executor, req.tls->ctx);
    } else {
      stream.emplace(executor);
    }
    beast::tcp_stream& lowest = Lowest();
    lowest.expires_at(deadline);
    const std::string& host = via ? via->host : req.host;
    const std::string& port = via ? via->port : req.port;
    boost::system::error_code addr_ec;
    net::ip::address ip = net::ip::make_address(host, addr_ec);
    if (!addr_ec) {
      co_await lowest.async_connect(tcp::endpoint(ip, static_cast<unsigned short>(std::stoi(port))), token);
    } else {
      auto endpoints = co_await resolver.async_resolve(host, port, token);
      if (!ec && std::chrono::steady_clock::now() >= deadline) ec = beast::error::timeout;
      if (!ec && !canceled) co_await lowest.async_connect(endpoints, token);
    }
    if (ec && via) proxy_failure = fmt::format("proxyconnect tcp: dial tcp {}: {}", HostPort(host, port), ec.message());
    if (ec || canceled || !req.use_tls) co_return ec;
    if (via) {
      ec = co_await Tunnel(req, *via);
      if (ec || canceled) co_return ec;
    }
    const std::string& name = req.tls->server_name.empty() ? req.host : req.tls->server_name;
    boost::system::error_code name_ec;
    net::ip::make_address(name, name_ec);
    if (name_ec) SSL_set_tlsext_host_name(tls_stream->native_handle(), name.c_str());  // no SNI for IP literals
    if (!req.tls->insecure_skip_verify) tls_stream->set_verify_callback(ssl::host_name_verification(name));
    co_await tls_stream->async_handshake(ssl::stream_base::client, token);
    co_return ec;
  }

  // CONNECT host:port on the open proxy connection; OK once the proxy
  // answered 200. On failure `proxy_failure` says what the proxy did.
  net::awaitable<beast::error_code> Tunnel(const HttpGetRequest& req, const ProxyEndpoint& via) {
    beast::error_code ec;
    auto token = net::redirect_error(net::use_awaitable, ec);
    const std::string target = HostPort(req.host, req.port);
    http::request<http::empty_body> connect{http::verb::connect, target, 11};
    connect.set(http::field::host, target);
    connect.set(http::field::user_agent, kUserAgent);
    for (const auto& [name, value] : req.proxy->connect_headers()) connect.insert(name, value);
    if (!via.authorization.empty()) connect.set(http::field::proxy_authorization, via.authorization);
    co_await http::async_write(Lowest(), connect, token);
    beast::flat_buffer buffer;
    http::response_parser<http::empty_body> parser;
    parser.skip(true);  // a CONNECT answer has no body, whatever its headers say
    if (!ec && !canceled) co_await http::async_read(Lowest(), buffer, parser, token);
    if (ec || canceled) {
      proxy_failure = fmt::format("proxyconnect tcp: CONNECT {} via {}: {}", target, via.redacted_url, ec.message());
      co_return ec;
    }
    const auto& answer = parser.get();
    if (answer.result_int() != 200) {
      std::string_view reason = answer.reason();
      if (reason.empty()) reason = http::obsolete_reason(answer.result());
      proxy_failure =
          fmt::format("proxy {} refused CONNECT to {}: {} {}", via.redacted_url, target, answer.result_int(), reason);
      co_return beast::error_code(net::error::connection_refused);
    }
    if (buffer.size() != 0) {  // bytes before our TLS ClientHello: not a clean tunnel
      proxy_failure = fmt::format("proxy {} sent data after its CONNECT answer", via.redacted_url);
      co_return beast::error_code(net::error::connection_aborted);
    }
    co_return ec;
  }

  template <typename Stream>
  net::awaitable<beast::error_code> ExchangeOn(Stream& s, const HttpGetRequest& req, const ProxyEndpoint* via,
                                               uint64_t limit, http::response<http::string_body>* res) {
    beast::error_code ec;
    auto token = net::redirect_error(net::use_awaitable, ec);
    auto request = BuildRequest(req, req.use_tls ? nullptr : via);
    co_await http::async_write(s, request, token);
    if (ec || canceled) co_return ec;
    // Beast reads at most the buffer's free capacity per call, at least 512
    // bytes: without a reserve a 60 kB body took over 100 recvmsg calls and as
    // many reactor round trips per scrape (strace -c). 64 KiB makes it one or two.
    beast::flat_buffer buffer;
    buffer.reserve(kReadBufferBytes);
    http::response_parser<http::string_body> parser;
    parser.body_limit(limit);
    co_await http::async_read(s, buffer, parser, token);
    if (!ec) *res = parser.release();
    co_return ec;
  }

  // Sends the request and reads the response on the open connection.
  net::awaitable<beast::error_code> Exchange(const HttpGetRequest& req, const ProxyEndpoint* via, Deadline deadline,
                                             uint64_t limit, http::response<http::string_body>* res) {
    Lowest().expires_at(deadline);
    if (tls_stream) co_return co_await ExchangeOn(*tls_stream, req, via, limit, res);
    co_return co_await ExchangeOn(*stream, req, via, limit, res);
  }

  // One request/response, on the kept-alive connection when it matches
  // (same target, same proxy).
  net::awaitable<beast::error_code> RoundTrip(const HttpGetRequest& req, const ProxyEndpoint* via, Deadline deadline,
                                              uint64_t limit, http::response<http::string_body>* res) {
    proxy_failure.clear();
    const std::string authority =
        fmt::format("{}://{}:{} via {}", req.use_tls ? "https" : "http", req.host, req.port,
                    via ? via->redacted_url + " " + via->authorization : std::string("direct"));
    const bool reused = Open() && authority == connected_to;
    beast::error_code ec;
    if (!reused) {
      ec = co_await Connect(req, via, deadline);
      connected_to = authority;
    }
    if (!ec && !canceled) ec = co_await Exchange(req, via, deadline, limit, res);
    // A kept-alive connection the target has closed meanwhile: retry once on
    // a fresh one (GET is idempotent, and so are alert POSTs, which
    // Alertmanager merges), as Go's http.Transport does.
    if (reused && !canceled && IsStaleConnectionError(ec)) {
      ec = co_await Connect(req, via, deadline);
      if (!ec && !canceled) ec = co_await Exchange(req, via, deadline, limit, res);
    }
    if (ec || canceled) {
      Close();
    } else if (!res->keep_alive()) {
      Close();
    }
    co_return ec;
  }

  net::any_io_executor executor;
  tcp::resolver resolver;
  // The open connection between Gets when kept alive: one of the two.
  std::optional<beast::tcp_stream> stream;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_stream;
  std::string connected_to;   // "scheme://host:port via <proxy or direct>" of the open connection
  std::string proxy_failure;  // set by Connect/Tunnel when the proxy step failed
  bool canceled = false;
};

namespace {

bool IsRedirect(unsigned status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// Points `req` at a redirect's Location (absolute http(s) URL or a path).
Status ApplyRedirect(std::string_view location, HttpGetRequest* req) {
  if (location.starts_with('/')) {
    req->target = std::string(location);
  } else {
    bool tls = location.starts_with("https://");
    if (!tls && !location.starts_with("http://")) {
      return Status::InvalidArgument(fmt::format("unsupported redirect location \"{}\"", location));
    }
    std::string_view rest = location.substr(tls ? 8 : 7);
    size_t path = rest.find_first_of("/?");
    std::string authority(rest.substr(0, path));
    std::string host, port;
    PROMETHIUM_RETURN_IF_ERROR(
        SplitHostPort(authority.find(':') == std::string::npos && tls ? authority + ":443" : authority, &host, &port));
    if (host != req->host) req->authorization.clear();  // credentials stay with their host
    if (tls && !req->tls) return Status::Unsupported("redirect from http to https without tls_config");
    req->use_tls = tls;
    req->host = host;
    req->port = port;
    req->target = path == std::string_view::npos ? "/" : std::string(rest.substr(path));
    if (req->target.starts_with('?')) req->target = "/" + req->target;
  }
  req->url = fmt::format("{}://{}:{}{}", req->use_tls ? "https" : "http", req->host, req->port, req->target);
  return Status::OK();
}

}  // namespace

HttpClient::HttpClient(net::any_io_executor executor) : impl_(std::make_unique<Impl>(executor)) {}
HttpClient::~HttpClient() = default;

void HttpClient::Cancel() {
  impl_->canceled = true;
  impl_->resolver.cancel();
  if (impl_->Open()) impl_->Lowest().cancel();
}

net::awaitable<Result<HttpResponse>> HttpClient::Get(const HttpGetRequest& original) {
  Impl& im = *impl_;
  im.canceled = false;
  if (original.use_tls && !original.tls) co_return Status::InvalidArgument("https request without a TLS context");
  const uint64_t limit =
      original.body_size_limit == 0 ? kHardBodyLimit : std::min(original.body_size_limit, kHardBodyLimit);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(original.timeout_ms);
  HttpGetRequest req = original;
  http::response<http::string_body> res;
  for (int hops = 0;; ++hops) {
    res = {};
    std::optional<ProxyEndpoint> via;
    if (req.proxy) {
      Result<std::optional<ProxyEndpoint>> route = req.proxy->For(req.use_tls, req.host, req.port);
      if (!route.ok()) co_return route.status().WithContext(fmt::format("Get \"{}\"", req.url));
      via = std::move(*route);
    }
    beast::error_code ec = co_await im.RoundTrip(req, via ? &*via : nullptr, deadline, limit, &res);
    if (ec || im.canceled) co_return TransportError(req, ec, im.canceled, im.proxy_failure);
    // POSTs are not redirected (a 3xx answer is then an error).
    if (!req.follow_redirects || req.post || !IsRedirect(res.result_int())) break;
    if (hops == 10) co_return Status::IOError(fmt::format("Get \"{}\": stopped after 10 redirects", original.url));
    std::string_view location = res[http::field::location];
    if (location.empty()) break;
    Status redirected = ApplyRedirect(location, &req);
    if (!redirected.ok()) co_return redirected.WithContext(fmt::format("Get \"{}\"", original.url));
  }

  HttpResponse out;
  out.status = res.result_int();
  if (req.keep_response_headers) {
    for (const auto& field : res) out.headers.emplace_back(field.name_string(), field.value());
  }
  if (out.status < 200 || out.status > 299) {
    out.reason = std::string(res.reason().empty() ? http::obsolete_reason(res.result()) : res.reason());
  }
  if ((out.status < 200 || out.status > 299) && !req.return_error_status) {
    std::string_view reason = res.reason();
    if (reason.empty()) reason = http::obsolete_reason(res.result());
    co_return Status::IOError(fmt::format("server returned HTTP status {} {}", out.status, reason));
  }
  out.content_type = std::string(res[http::field::content_type]);
  if (beast::iequals(res[http::field::content_encoding], "gzip")) {
    Result<std::string> inflated = GunzipBounded(res.body(), limit);
    if (!inflated.ok()) co_return inflated.status();
    out.body = std::move(inflated).value();
  } else {
    out.body = std::move(res.body());
  }
  co_return out;
}

Result<HttpResponse> FetchBlocking(const HttpGetRequest& request) {
  std::optional<Result<HttpResponse>> response;
  try {
    net::io_context io;
    HttpClient client(io.get_executor());
    net::co_spawn(
        io, [&]() -> net::awaitable<void> { response.emplace(co_await client.Get(request)); },
        [](std::exception_ptr e) {
          if (e) std::rethrow_exception(e);
        });
    io.run();
  } catch (const std::exception& e) {  // Boost.Asio edge
    return Status::Internal(fmt::format("{} \"{}\": {}", request.post ? "Post" : "Get", request.url, e.what()));
  }
  if (!response.has_value()) return Status::Internal(fmt::format("request to {} produced no response", request.url));
  return std::move(*response);
}

}  // namespace promethium::scrape
