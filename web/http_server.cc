// The Boost.Beast HTTP/1.1 server behind WebServer, modelled on Beast's
// awaitable examples: one acceptor coroutine, one coroutine per connection
// on its own strand, keep-alive, a read timeout, a body limit (413) and a
// connection cap. Every request is answered by ApiHandler::Handle; slow
// endpoints run on a separate query thread pool so the I/O threads stay
// responsive. Responses with a BodyStream (remote read's streamed frames)
// are sent with chunked transfer encoding (HTTP/1.0: unframed, then the
// connection closes), each piece produced on the query pool and written
// before the next is asked for. This is the only file of web/ that includes
// Beast/Asio.
#include <zlib.h>

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <ctime>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <tuple>
#include <vector>

#include "tsdb/base/logging.h"
#include "web/api_handler.h"
#include "web/web_server.h"

namespace promethium::web {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using asio::use_awaitable;

namespace {

constexpr auto kAsTuple = asio::as_tuple(use_awaitable);
constexpr size_t kHeaderLimit = 1 << 20;    // long GET query strings
constexpr size_t kMinGzipBytes = 256;       // smaller bodies are sent as is
constexpr size_t kMaxDrainBytes = 1 << 20;  // after a 413, read at most this much
constexpr auto kDrainTimeout = std::chrono::seconds(1);

// Parses "host:port", "[v6]:port" or ":port" (all interfaces).
Status SplitListenAddress(const std::string& address, std::string* host, uint16_t* port) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos) {
    return Status::InvalidArgument("address " + address + ": missing port in address");
  }
  *host = address.substr(0, colon);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') *host = host->substr(1, host->size() - 2);
  if (host->empty()) *host = "0.0.0.0";
  std::string_view port_text = std::string_view(address).substr(colon + 1);
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
  if (port_text.empty() || ec != std::errc() || ptr != port_text.data() + port_text.size() || value > 65535) {
    return Status::InvalidArgument("address " + address + ": invalid port");
  }
  *port = static_cast<uint16_t>(value);
  return Status::OK();
}

// True when Accept-Encoding lists gzip without q=0.
bool AcceptsGzip(std::string_view accept_encoding) {
  while (!accept_encoding.empty()) {
    size_t comma = accept_encoding.find(',');
    std::string_view item = accept_encoding.substr(0, comma);
    accept_encoding = comma == std::string_view::npos ? std::string_view() : accept_encoding.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    std::string_view coding = item.substr(0, item.find(';'));
    while (!coding.empty() && coding.back() == ' ') coding.remove_suffix(1);
    if (coding != "gzip") continue;
    size_t q = item.find("q=");
    if (q == std::string_view::npos) return true;
    std::string_view qv = item.substr(q + 2);
    return !(qv.starts_with("0") && qv.find_first_not_of("0.", 0) == std::string_view::npos);
  }
  return false;
}

// gzip-compresses data; nullopt if zlib fails (the caller sends it plain).
std::optional<std::string> Gzip(const std::string& data) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return std::nullopt;
  std::string out;
  out.resize(deflateBound(&zs, static_cast<uLong>(data.size())));
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return std::nullopt;
  out.resize(zs.total_out);
  return out;
}

// The Date header, in RFC 7231's IMF-fixdate form, as Go's server sends it.
std::string HttpDate() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[64];
  size_t n = std::strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return std::string(buf, n);
}

HttpRequest ToHttpRequest(const http::request<http::string_body>& msg, std::string remote) {
  HttpRequest req;
  req.method = std::string(msg.method_string());
  req.target = std::string(msg.target());
  for (const auto& field : msg) req.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  req.body = msg.body();
  req.remote = std::move(remote);
  return req;
}

http::response<http::string_body> ToBeastResponse(HttpResponse resp, unsigned version, bool keep_alive, bool gzip_ok,
                                                  bool head) {
  http::response<http::string_body> res;
  res.version(version);
  res.result(static_cast<unsigned>(resp.status));
  if (resp.status == 499) res.reason("Client Closed Request");
  for (auto& [name, value] : resp.headers) res.insert(name, value);
  // Bodies that are already encoded (the web UI's pre-gzipped assets) are sent as they are.
  if (gzip_ok && resp.body.size() >= kMinGzipBytes && resp.Header("Content-Encoding").empty()) {
    if (std::optional<std::string> compressed = Gzip(resp.body)) {
      resp.body = std::move(*compressed);
      res.set(http::field::content_encoding, "gzip");
      res.set(http::field::vary, "Accept-Encoding");
    }
  }
  res.set(http::field::date, HttpDate());
  res.keep_alive(keep_alive);
  res.content_length(resp.body.size());
  if (!head) res.body() = std::move(resp.body);
  return res;
}

}  // namespace

struct WebServer::Impl {
  // One query running on the pool; shared with it so it outlives either side.
  struct QueryState {
    HttpRequest request;
    std::atomic<bool> canceled{false};
  };

  Impl(WebOptions o, ApiDeps deps) : opts(std::move(o)), handler(std::move(deps)) {}

  asio::awaitable<void> AcceptLoop();
  asio::awaitable<void> Session(tcp::socket socket);
  asio::awaitable<HttpResponse> RunSlow(beast::tcp_stream& stream, HttpRequest req);
  asio::awaitable<HttpResponse> HandleOnPool(std::shared_ptr<QueryState> state);
  asio::awaitable<void> WatchDisconnect(tcp::socket& socket, std::shared_ptr<QueryState> state);
  asio::awaitable<void> RejectTooLarge(beast::tcp_stream& stream, unsigned version);
  asio::awaitable<bool> WriteStreamed(beast::tcp_stream& stream, HttpResponse resp, unsigned version, bool keep_alive,
                                      bool head);
  asio::awaitable<bool> NextPiece(std::shared_ptr<BodyStream> body, std::string* out);

  // Declaration order matters for destruction: everything a coroutine frame
  // touches is declared before ioc, whose destructor destroys the frames.
  WebOptions opts;
  ApiHandler handler;
  std::atomic<size_t> connections{0};
  std::atomic<uint16_t> port{0};
  std::mutex mu;
  std::set<std::shared_ptr<QueryState>> running;  // guarded by mu
  asio::io_context ioc;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::optional<tcp::acceptor> acceptor;
  std::optional<asio::thread_pool> query_pool;
  std::vector<std::thread> io_threads;
  bool started = false;
  bool stopped = false;
};

asio::awaitable<void> WebServer::Impl::AcceptLoop() {
  for (;;) {
    auto [ec, socket] = co_await acceptor->async_accept(asio::make_strand(ioc), kAsTuple);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor->is_open()) co_return;
      LogWarn("web", "accept failed: {}", ec.message());
      // Back off briefly on errors such as EMFILE instead of spinning.
      asio::steady_timer timer(ioc, std::chrono::milliseconds(50));
      co_await timer.async_wait(kAsTuple);
      continue;
    }
    if (connections.load() >= opts.max_connections) {
      LogWarn("web", "connection limit {} reached; closing new connection", opts.max_connections);
      beast::error_code ignored;
      socket.close(ignored);
      continue;
    }
    connections.fetch_add(1);
    auto executor = socket.get_executor();
    asio::co_spawn(executor, Session(std::move(socket)), asio::detached);
  }
}

asio::awaitable<HttpResponse> WebServer::Impl::HandleOnPool(std::shared_ptr<QueryState> state) {
  co_return handler.Handle(state->request, &state->canceled);
}

asio::awaitable<void> WebServer::Impl::WatchDisconnect(tcp::socket& socket, std::shared_ptr<QueryState> state) {
  auto [ec] = co_await socket.async_wait(tcp::socket::wait_read, kAsTuple);
  if (ec == asio::error::operation_aborted) co_return;  // the query finished first
  char byte;
  beast::error_code peek_ec;
  size_t n = ec ? 0 : socket.receive(asio::buffer(&byte, 1), tcp::socket::message_peek, peek_ec);
  // Readable with no data (EOF) or an error: the client is gone. Readable
  // with data: a pipelined request, nothing to do.
  if (ec || peek_ec || n == 0) state->canceled.store(true);
  asio::steady_timer wait_for_query(socket.get_executor(), asio::steady_timer::time_point::max());
  co_await wait_for_query.async_wait(kAsTuple);
}

asio::awaitable<HttpResponse> WebServer::Impl::RunSlow(beast::tcp_stream& stream, HttpRequest req) {
  using namespace asio::experimental::awaitable_operators;
  auto state = std::make_shared<QueryState>();
  state->request = std::move(req);
  {
    std::lock_guard<std::mutex> lock(mu);
    running.insert(state);
  }
  stream.expires_never();
  auto outcome = co_await (asio::co_spawn(query_pool->get_executor(), HandleOnPool(state), use_awaitable) ||
                           WatchDisconnect(stream.socket(), state));
  {
    std::lock_guard<std::mutex> lock(mu);
    running.erase(state);
  }
  if (outcome.index() == 0) co_return std::get<0>(std::move(outcome));
  HttpResponse internal;
  internal.status = 500;
  internal.body = "query was abandoned\n";
  co_return internal;
}

asio::awaitable<void> WebServer::Impl::RejectTooLarge(beast::tcp_stream& stream, unsigned version) {
  HttpResponse resp;
  resp.status = 413;
  resp.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  resp.body = "http: request body too large\n";
  auto res = ToBeastResponse(std::move(resp), version, /*keep_alive=*/false, false, false);
  stream.expires_after(opts.read_timeout);
  co_await http::async_write(stream, res, kAsTuple);
  // Half-close and drain a little, so the client reads the 413 instead of a
  // reset caused by its unread body.
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  std::vector<char> sink(64 << 10);
  size_t drained = 0;
  stream.expires_after(kDrainTimeout);
  while (drained < kMaxDrainBytes) {
    auto [read_ec, n] = co_await stream.async_read_some(asio::buffer(sink), kAsTuple);
    if (read_ec) break;
    drained += n;
  }
}

asio::awaitable<bool> WebServer::Impl::NextPiece(std::shared_ptr<BodyStream> body, std::string* out) {
  co_return body->Next(out);
}

// Sends a response whose body continues with resp.stream; returns whether
// the connection may serve another request.
asio::awaitable<bool> WebServer::Impl::WriteStreamed(beast::tcp_stream& stream, HttpResponse resp, unsigned version,
                                                     bool keep_alive, bool head) {
  std::shared_ptr<BodyStream> body = std::move(resp.stream);
  const bool chunked = version >= 11;
  if (!chunked) keep_alive = false;
  http::response<http::empty_body> res{static_cast<http::status>(resp.status), version};
  for (auto& [name, value] : resp.headers) res.insert(name, value);
  res.set(http::field::date, HttpDate());
  res.keep_alive(keep_alive);
  if (chunked) res.chunked(true);
  http::response_serializer<http::empty_body> serializer(res);
  stream.expires_after(opts.read_timeout);
  auto [header_ec, header_n] = co_await http::async_write_header(stream, serializer, kAsTuple);
  if (header_ec) co_return false;
  if (head) co_return keep_alive;
  std::string piece = std::move(resp.body);
  for (bool more = true;;) {
    if (!piece.empty()) {
      stream.expires_after(opts.read_timeout);
      beast::error_code ec;
      if (chunked) {
        std::tie(ec, std::ignore) = co_await asio::async_write(stream, http::make_chunk(asio::buffer(piece)), kAsTuple);
      } else {
        std::tie(ec, std::ignore) = co_await asio::async_write(stream, asio::buffer(piece), kAsTuple);
      }
      if (ec) co_return false;  // the client went away: drop the stream
    }
    if (!more) break;
    piece.clear();
    more = co_await asio::co_spawn(query_pool->get_executor(), NextPiece(body, &piece), use_awaitable);
  }
  if (chunked) {
    stream.expires_after(opts.read_timeout);
    auto [last_ec, last_n] = co_await asio::async_write(stream, http::make_chunk_last(), kAsTuple);
    if (last_ec) co_return false;
  }
  co_return keep_alive;
}

asio::awaitable<void> WebServer::Impl::Session(tcp::socket socket) {
  struct ConnectionCount {
    std::atomic<size_t>* count;
    ~ConnectionCount() { count->fetch_sub(1); }
  } count_guard{&connections};
  beast::error_code ec;
  tcp::endpoint peer = socket.remote_endpoint(ec);
  std::string remote = ec ? std::string() : peer.address().to_string() + ":" + std::to_string(peer.port());
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(kHeaderLimit);
    parser.body_limit(opts.max_request_body_bytes);
    stream.expires_after(opts.read_timeout);
    auto [header_ec, header_n] = co_await http::async_read_header(stream, buffer, parser, kAsTuple);
    if (header_ec == http::error::body_limit) {
      co_await RejectTooLarge(stream, parser.get().version());
      co_return;
    }
    if (header_ec) break;  // EOF, timeout or garbage: drop the connection
    if (beast::iequals(parser.get()[http::field::expect], "100-continue")) {
      http::response<http::empty_body> cont{http::status::continue_, parser.get().version()};
      auto [cont_ec, cont_n] = co_await http::async_write(stream, cont, kAsTuple);
      if (cont_ec) break;
    }
    auto [read_ec, read_n] = co_await http::async_read(stream, buffer, parser, kAsTuple);
    if (read_ec == http::error::body_limit) {
      co_await RejectTooLarge(stream, parser.get().version());
      co_return;
    }
    if (read_ec) break;
    const auto& msg = parser.get();
    bool keep_alive = msg.keep_alive();
    bool gzip_ok = AcceptsGzip(msg[http::field::accept_encoding]);
    bool head = msg.method() == http::verb::head;
    HttpRequest req = ToHttpRequest(msg, remote);
    // No co_await inside ?: here: GCC 12 miscompiles that in coroutines.
    HttpResponse resp;
    if (handler.IsSlow(req.target)) {
      resp = co_await RunSlow(stream, std::move(req));
    } else {
      resp = handler.Handle(req);
    }
    if (resp.stream != nullptr) {
      bool again = co_await WriteStreamed(stream, std::move(resp), msg.version(), keep_alive, head);
      if (!again) break;
      continue;
    }
    auto res = ToBeastResponse(std::move(resp), msg.version(), keep_alive, gzip_ok, head);
    stream.expires_after(opts.read_timeout);
    auto [write_ec, write_n] = co_await http::async_write(stream, res, kAsTuple);
    if (write_ec || !keep_alive) break;
  }
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
}

WebServer::WebServer(WebOptions opts, ApiDeps deps) : impl_(std::make_unique<Impl>(std::move(opts), std::move(deps))) {}

WebServer::~WebServer() { Stop(); }

Status WebServer::Start() {
  Impl& s = *impl_;
  if (s.started) return Status::InvalidArgument("web server already started");
  std::string host;
  uint16_t port = 0;
  PROMETHIUM_RETURN_IF_ERROR(SplitListenAddress(s.opts.listen_address, &host, &port));
  beast::error_code ec;
  tcp::resolver resolver(s.ioc);
  auto endpoints = resolver.resolve(host, std::to_string(port), tcp::resolver::passive, ec);
  if (ec || endpoints.empty()) {
    return Status::IOError("listen tcp " + s.opts.listen_address + ": " + (ec ? ec.message() : "no address"));
  }
  tcp::endpoint endpoint = endpoints.begin()->endpoint();
  s.acceptor.emplace(s.ioc);
  s.acceptor->open(endpoint.protocol(), ec);
  if (!ec) s.acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) s.acceptor->bind(endpoint, ec);
  if (!ec) s.acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    s.acceptor.reset();
    std::string why = ec.message();  // Go's wording is lower case: "bind: address already in use"
    if (!why.empty()) why[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(why[0])));
    return Status::IOError("listen tcp " + s.opts.listen_address + ": bind: " + why);
  }
  s.port.store(s.acceptor->local_endpoint(ec).port());
  s.started = true;
  s.query_pool.emplace(static_cast<size_t>(std::max(1, s.opts.query_threads)));
  s.work.emplace(s.ioc.get_executor());
  asio::co_spawn(s.ioc, s.AcceptLoop(), asio::detached);
  for (int i = 0; i < std::max(1, s.opts.io_threads); ++i) {
    s.io_threads.emplace_back([&s] {
      try {
        s.ioc.run();
      } catch (const std::exception& e) {
        LogError("web", "I/O thread stopped by exception: {}", e.what());
      }
    });
  }
  LogDebug("web", "listening on {} (port {})", s.opts.listen_address, s.port.load());
  return Status::OK();
}

void WebServer::Stop() {
  Impl& s = *impl_;
  if (!s.started || s.stopped) return;
  s.stopped = true;
  // Stop the I/O threads first: after that no connection is accepted and no
  // new query can be started. Suspended sessions are destroyed with ioc.
  s.work.reset();
  s.ioc.stop();
  for (std::thread& t : s.io_threads) t.join();
  s.io_threads.clear();
  {
    std::lock_guard<std::mutex> lock(s.mu);
    for (const auto& query : s.running) query->canceled.store(true);
  }
  s.query_pool->join();  // running queries see their cancel flag and return
  beast::error_code ignored;
  s.acceptor->close(ignored);
}

uint16_t WebServer::port() const { return impl_->port.load(); }

}  // namespace promethium::web
