#include "scrape/discovery/docker_api_client.h"

#include <fmt/format.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <exception>
#include <optional>

#include "scrape/http_client.h"

namespace promethium::scrape {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using local = net::local::stream_protocol;

// Docker answers errors as {"message": "..."}; fall back to the raw body.
std::string ErrorText(const std::string& body) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(body, ec);
  if (!ec && v.is_object()) {
    if (const boost::json::value* m = v.as_object().if_contains("message"); m && m->is_string()) {
      return std::string(m->as_string());
    }
  }
  return body.substr(0, 256);
}

// Writes the request and reads the answer on a connected socket.
template <typename Socket>
net::awaitable<Result<std::string>> Exchange(Socket& socket, const std::string& target, const std::string& host_header,
                                             const std::string& what) {
  beast::error_code ec;
  auto token = net::redirect_error(net::use_awaitable, ec);
  http::request<http::empty_body> req{http::verb::get, target, 11};
  req.set(http::field::host, host_header);
  req.set(http::field::user_agent, kUserAgent);
  req.set(http::field::accept, "application/json");
  req.set(http::field::connection, "close");
  co_await http::async_write(socket, req, token);
  if (ec) co_return Status::IOError(fmt::format("{}: {}", what, ec.message()));
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kDockerApiMaxBody);
  co_await http::async_read(socket, buffer, parser, token);
  if (ec == http::error::body_limit) co_return Status::ResourceExhausted(fmt::format("{}: body too large", what));
  if (ec) co_return Status::IOError(fmt::format("{}: {}", what, ec.message()));
  http::response<http::string_body> res = parser.release();
  if (res.result_int() != 200) {
    co_return Status::IOError(
        fmt::format("{}: Error response from daemon ({}): {}", what, res.result_int(), ErrorText(res.body())));
  }
  co_return std::move(res.body());
}

net::awaitable<Result<std::string>> GetUnix(const DockerEndpoint& ep, const std::string& target,
                                            const std::string& what) {
  beast::error_code ec;
  local::socket socket(co_await net::this_coro::executor);
  co_await socket.async_connect(local::endpoint(ep.socket_path), net::redirect_error(net::use_awaitable, ec));
  if (ec) co_return Status::IOError(fmt::format("{}: dial unix {}: {}", what, ep.socket_path, ec.message()));
  co_return co_await Exchange(socket, target, "docker", what);
}

net::awaitable<Result<std::string>> GetTcp(const DockerEndpoint& ep, const std::string& target,
                                           const std::string& what) {
  beast::error_code ec;
  auto token = net::redirect_error(net::use_awaitable, ec);
  auto executor = co_await net::this_coro::executor;
  tcp::resolver resolver(executor);
  auto endpoints = co_await resolver.async_resolve(ep.host, ep.port, token);
  if (ec) co_return Status::IOError(fmt::format("{}: resolve {}: {}", what, ep.host, ec.message()));
  tcp::socket socket(executor);
  co_await net::async_connect(socket, endpoints, token);
  if (ec) co_return Status::IOError(fmt::format("{}: dial tcp {}:{}: {}", what, ep.host, ep.port, ec.message()));
  bool v6 = ep.host.find(':') != std::string::npos;
  std::string host_header = v6 ? fmt::format("[{}]:{}", ep.host, ep.port) : ep.host + ":" + ep.port;
  co_return co_await Exchange(socket, ep.base_path + target, host_header, what);
}

}  // namespace

Result<DockerEndpoint> ParseDockerHost(const std::string& host) {
  DockerEndpoint ep;
  if (host.starts_with("unix://")) {
    ep.is_unix = true;
    ep.socket_path = host.substr(7);
    if (ep.socket_path.empty() || ep.socket_path[0] != '/') {
      return Status::InvalidArgument(fmt::format("docker host {}: unix socket path must be absolute", host));
    }
    return ep;
  }
  std::string rest;
  if (host.starts_with("tcp://")) {
    rest = host.substr(6);
  } else if (host.starts_with("http://")) {
    rest = host.substr(7);
  } else {
    size_t colon = host.find("://");
    std::string scheme = colon == std::string::npos ? host : host.substr(0, colon);
    return Status::Unsupported(fmt::format("docker_sd_configs host scheme \"{}\" (only unix, tcp and http)", scheme));
  }
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  if (slash != std::string::npos) {
    ep.base_path = rest.substr(slash);
    while (!ep.base_path.empty() && ep.base_path.back() == '/') ep.base_path.pop_back();
  }
  if (authority.empty()) return Status::InvalidArgument(fmt::format("docker host {}: missing host", host));
  PROMETHIUM_RETURN_IF_ERROR(SplitHostPort(authority, &ep.host, &ep.port));
  return ep;
}

Result<std::string> DockerApiGet(const DockerEndpoint& endpoint, const std::string& target, int64_t timeout_ms) {
  const std::string what = fmt::format("GET {}", target);
  std::optional<Result<std::string>> result;
  try {
    net::io_context io;
    auto run = [&]() -> net::awaitable<void> {
      // No co_await inside ?: (GCC miscompiles temporaries there).
      if (endpoint.is_unix) {
        Result<std::string> r = co_await GetUnix(endpoint, target, what);
        result.emplace(std::move(r));
      } else {
        Result<std::string> r = co_await GetTcp(endpoint, target, what);
        result.emplace(std::move(r));
      }
    };
    net::co_spawn(io, run, [](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
    });
    io.run_for(std::chrono::milliseconds(timeout_ms));
    if (!result.has_value()) {
      io.stop();  // the io_context's destructor destroys the pending coroutine and its sockets
      return Status::DeadlineExceeded(fmt::format("{}: context deadline exceeded", what));
    }
  } catch (const std::exception& e) {  // Boost.Asio edge
    return Status::Internal(fmt::format("{}: {}", what, e.what()));
  }
  return std::move(*result);
}

}  // namespace promethium::scrape
