#include "scrape/http_client.h"

#include <fmt/format.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <chrono>
#include <optional>

#include "scrape/gzip.h"
#include "tsdb/base/metrics.h"

namespace promethium::scrape {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
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
// is pending, and the next await point then ends the request.
Status TransportError(const HttpGetRequest& req, const beast::error_code& ec, bool canceled) {
  if (canceled) return Status::Canceled(fmt::format("Get \"{}\": scrape canceled", req.url));
  if (ec == beast::error::timeout) {
    return Status::DeadlineExceeded(fmt::format("Get \"{}\": context deadline exceeded", req.url));
  }
  if (ec == http::error::body_limit) return Status::ResourceExhausted("body size limit exceeded");
  return Status::IOError(fmt::format("Get \"{}\": {}", req.url, ec.message()));
}

http::request<http::empty_body> BuildRequest(const HttpGetRequest& req) {
  http::request<http::empty_body> r{http::verb::get, req.target, 11};
  bool v6 = req.host.find(':') != std::string::npos;
  r.set(http::field::host, v6 ? fmt::format("[{}]:{}", req.host, req.port) : req.host + ":" + req.port);
  r.set(http::field::accept, req.accept.empty() ? kScrapeAcceptHeader : std::string_view(req.accept));
  r.set(http::field::accept_encoding, "gzip");
  r.set(http::field::user_agent, kUserAgent);
  r.set("X-Prometheus-Scrape-Timeout-Seconds", FormatJsonFloat(static_cast<double>(req.timeout_ms) / 1000.0));
  return r;
}

bool IsStaleConnectionError(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == net::error::eof || ec == net::error::connection_reset ||
         ec == net::error::broken_pipe || ec == net::error::connection_aborted;
}

}  // namespace

using Deadline = std::chrono::steady_clock::time_point;

struct HttpClient::Impl {
  explicit Impl(net::any_io_executor ex) : executor(ex), resolver(ex) {}

  // Opens a fresh connection into `stream`.
  net::awaitable<beast::error_code> Connect(const HttpGetRequest& req, Deadline deadline) {
    beast::error_code ec;
    auto token = net::redirect_error(net::use_awaitable, ec);
    stream.emplace(executor);
    stream->expires_at(deadline);
    boost::system::error_code addr_ec;
    net::ip::address ip = net::ip::make_address(req.host, addr_ec);
    if (!addr_ec) {
      co_await stream->async_connect(tcp::endpoint(ip, static_cast<unsigned short>(std::stoi(req.port))), token);
      co_return ec;
    }
    auto endpoints = co_await resolver.async_resolve(req.host, req.port, token);
    if (!ec && std::chrono::steady_clock::now() >= deadline) ec = beast::error::timeout;
    if (!ec && !canceled) co_await stream->async_connect(endpoints, token);
    co_return ec;
  }

  // Sends the request and reads the response on the open `stream`.
  net::awaitable<beast::error_code> Exchange(const HttpGetRequest& req, Deadline deadline, uint64_t limit,
                                             http::response<http::string_body>* res) {
    beast::error_code ec;
    auto token = net::redirect_error(net::use_awaitable, ec);
    stream->expires_at(deadline);
    auto request = BuildRequest(req);
    co_await http::async_write(*stream, request, token);
    if (ec || canceled) co_return ec;
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(limit);
    co_await http::async_read(*stream, buffer, parser, token);
    if (!ec) *res = parser.release();
    co_return ec;
  }

  net::any_io_executor executor;
  tcp::resolver resolver;
  std::optional<beast::tcp_stream> stream;  // open between Gets when kept alive
  bool canceled = false;
};

HttpClient::HttpClient(net::any_io_executor executor) : impl_(std::make_unique<Impl>(executor)) {}
HttpClient::~HttpClient() = default;

void HttpClient::Cancel() {
  impl_->canceled = true;
  impl_->resolver.cancel();
  if (impl_->stream) impl_->stream->cancel();
}

net::awaitable<Result<HttpResponse>> HttpClient::Get(const HttpGetRequest& req) {
  Impl& im = *impl_;
  im.canceled = false;
  const uint64_t limit = req.body_size_limit == 0 ? kHardBodyLimit : std::min(req.body_size_limit, kHardBodyLimit);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(req.timeout_ms);
  http::response<http::string_body> res;
  const bool reused = im.stream.has_value() && im.stream->socket().is_open();
  beast::error_code ec;
  if (!reused) ec = co_await im.Connect(req, deadline);
  if (!ec && !im.canceled) ec = co_await im.Exchange(req, deadline, limit, &res);
  // A kept-alive connection the target has closed meanwhile: retry once on
  // a fresh one (GET is idempotent), as Go's http.Transport does.
  if (reused && !im.canceled && IsStaleConnectionError(ec)) {
    im.stream.reset();
    ec = co_await im.Connect(req, deadline);
    if (!ec && !im.canceled) ec = co_await im.Exchange(req, deadline, limit, &res);
  }
  if (ec || im.canceled) {
    im.stream.reset();
    co_return TransportError(req, ec, im.canceled);
  }
  if (!res.keep_alive()) {
    beast::error_code ignored;
    im.stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
    im.stream.reset();
  }

  HttpResponse out;
  out.status = res.result_int();
  if (out.status < 200 || out.status > 299) {
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

}  // namespace promethium::scrape
