// The Boost.Beast HTTP/1.1 server behind WebServer, modelled on Beast's
// awaitable examples: one acceptor coroutine, one coroutine per connection
// on its own strand, keep-alive, a read timeout, a body limit (413) and a
// connection cap. Every request is answered by ApiHandler::Handle; slow
// endpoints run on a separate query thread pool so the I/O threads stay
// responsive. Responses with a BodyStream (remote read's streamed frames)
// are sent with chunked transfer encoding (HTTP/1.0: unframed, then the
// connection closes), each piece produced on the query pool and written
// before the next is asked for. With a --web.config.file that has
// tls_server_config, connections are TLS (HttpStream, web/http_stream.h) and
// every request passes WebAccess (basic auth, headers) before the handler.
// This is the only .cc file of web/ that includes Beast/Asio (besides
// webconfig/tls_context.cc's OpenSSL context).
#include <zlib.h>

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <ctime>
#include <optional>
#include <set>
#include <thread>
#include <tuple>
#include <vector>

#include "tsdb/base/logging.h"
#include "tsdb/base/thread_annotations.h"
#include "web/api_handler.h"
#include "web/connection_metrics.h"
#include "web/connection_table.h"
#include "web/http_stream.h"
#include "web/web_access.h"
#include "web/web_server.h"

namespace promethium::web {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using asio::use_awaitable;

namespace {

constexpr auto kAsTuple = asio::as_tuple(use_awaitable);
constexpr size_t kHeaderLimit = 1 << 20;    // long GET query strings; larger headers get 431
constexpr size_t kFirstReadBytes = 4096;    // the read that ends a connection's idle wait
constexpr size_t kMinGzipBytes = 256;       // smaller bodies are sent as is
constexpr size_t kMaxDrainBytes = 1 << 20;  // after a 413, read at most this much
constexpr auto kDrainTimeout = std::chrono::seconds(1);
constexpr auto kTlsCloseTimeout = std::chrono::seconds(1);

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

  // How a session is reached from the accept loop to evict it; touched only
  // on the session's strand.
  struct SessionHandle {
    beast::tcp_stream* stream = nullptr;  // set while the session runs
    bool evicted = false;
  };
  enum class ReadOutcome { kRequest, kClose };
  using Clock = std::chrono::steady_clock;
  using RequestParser = http::request_parser<http::string_body>;

  Impl(WebOptions o, ApiDeps deps)
      : opts(std::move(o)), conn_metrics(deps.metrics), table(opts.max_connections), handler(std::move(deps)) {}

  asio::awaitable<void> AcceptLoop();
  void Admit(tcp::socket socket);
  asio::awaitable<void> Session(tcp::socket socket, uint64_t id, std::shared_ptr<SessionHandle> handle,
                                Clock::time_point accepted);
  asio::awaitable<ReadOutcome> ReadRequest(HttpStream& stream, beast::flat_buffer& buffer, RequestParser& parser,
                                           uint64_t id, std::optional<Clock::time_point> accepted);
  asio::awaitable<beast::error_code> ReadBody(HttpStream& stream, beast::flat_buffer& buffer, RequestParser& parser,
                                              Clock::time_point request_deadline);
  asio::awaitable<HttpResponse> RunSlow(HttpStream& stream, HttpRequest req);
  asio::awaitable<HttpResponse> HandleOnPool(std::shared_ptr<QueryState> state);
  // --web.config.file: every request passes opts.access (basic auth, headers) before the handler.
  HttpResponse Serve(const HttpRequest& req, const std::atomic<bool>* canceled);
  asio::awaitable<bool> TlsHandshake(HttpStream& stream, Clock::time_point accepted);
  asio::awaitable<void> TlsClose(HttpStream& stream);
  asio::awaitable<void> WatchDisconnect(tcp::socket& socket, std::shared_ptr<QueryState> state);
  asio::awaitable<void> RejectTooLarge(HttpStream& stream, unsigned version, int status, std::string body);
  asio::awaitable<bool> WriteStreamed(HttpStream& stream, HttpResponse resp, unsigned version, bool keep_alive,
                                      bool head);
  asio::awaitable<bool> NextPiece(std::shared_ptr<BodyStream> body, std::string* out);

  // Declaration order matters for destruction: everything a coroutine frame
  // touches is declared before ioc, whose destructor destroys the frames.
  WebOptions opts;
  ConnectionMetrics conn_metrics;
  ConnectionTable table;
  ApiHandler handler;
  std::atomic<uint16_t> port{0};
  Mutex mu;
  std::set<std::shared_ptr<QueryState>> running GUARDED_BY(mu);
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
    Admit(std::move(socket));
  }
}

// Takes a slot in the connection table (evicting the longest-idle
// connection at the limit) and starts the session, or closes the socket.
void WebServer::Impl::Admit(tcp::socket socket) {
  auto handle = std::make_shared<SessionHandle>();
  auto executor = socket.get_executor();  // the session's strand
  ConnectionTable::Admission admission = table.Admit([handle, executor] {
    asio::post(executor, [handle] {
      handle->evicted = true;
      if (handle->stream != nullptr) handle->stream->close();
    });
  });
  if (!admission.admitted) {
    conn_metrics.Hit(ConnectionLimit::kRefused);
    LogWarn("web", "connection limit {} reached and no connection is idle; closing new connection",
            opts.max_connections);
    beast::error_code ignored;
    socket.close(ignored);
    return;
  }
  conn_metrics.Accepted();
  if (admission.evicted) {
    conn_metrics.Hit(ConnectionLimit::kEvicted);
    LogDebug("web", "connection limit {} reached; closing the longest-idle connection", opts.max_connections);
    admission.evicted();
  }
  asio::co_spawn(executor, Session(std::move(socket), admission.id, std::move(handle), Clock::now()), asio::detached);
}

asio::awaitable<HttpResponse> WebServer::Impl::HandleOnPool(std::shared_ptr<QueryState> state) {
  co_return Serve(state->request, &state->canceled);
}

HttpResponse WebServer::Impl::Serve(const HttpRequest& req, const std::atomic<bool>* canceled) {
  if (opts.access == nullptr) return handler.Handle(req, canceled);
  return opts.access->Handle(req, [&] { return handler.Handle(req, canceled); });
}

// The server side of a TLS handshake, under the same deadline as the first
// request's header (counted from the accept, as Go does).
asio::awaitable<bool> WebServer::Impl::TlsHandshake(HttpStream& stream, Clock::time_point accepted) {
  stream.expires_at(accepted + std::min(opts.read_header_timeout, opts.read_timeout));
  auto [ec] = co_await stream.tls()->async_handshake(asio::ssl::stream_base::server, kAsTuple);
  if (ec) LogDebug("web", "TLS handshake failed: {}", ec.message());
  co_return !ec;
}

// Sends close_notify, waiting at most kTlsCloseTimeout for the peer's.
asio::awaitable<void> WebServer::Impl::TlsClose(HttpStream& stream) {
  stream.expires_after(kTlsCloseTimeout);
  co_await stream.tls()->async_shutdown(kAsTuple);
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

asio::awaitable<HttpResponse> WebServer::Impl::RunSlow(HttpStream& stream, HttpRequest req) {
  using namespace asio::experimental::awaitable_operators;
  auto state = std::make_shared<QueryState>();
  state->request = std::move(req);
  {
    MutexLock lock(&mu);
    running.insert(state);
  }
  stream.expires_never();
  auto outcome = co_await (asio::co_spawn(query_pool->get_executor(), HandleOnPool(state), use_awaitable) ||
                           WatchDisconnect(stream.socket(), state));
  {
    MutexLock lock(&mu);
    running.erase(state);
  }
  if (outcome.index() == 0) co_return std::get<0>(std::move(outcome));
  HttpResponse internal;
  internal.status = 500;
  internal.body = "query was abandoned\n";
  co_return internal;
}

// Answers 413 or 431 and closes: the rest of the request is not read.
asio::awaitable<void> WebServer::Impl::RejectTooLarge(HttpStream& stream, unsigned version, int status,
                                                      std::string body) {
  conn_metrics.Hit(status == 413 ? ConnectionLimit::kBodyTooLarge : ConnectionLimit::kHeaderTooLarge);
  HttpResponse resp;
  resp.status = status;
  resp.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  resp.body = std::move(body);
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
asio::awaitable<bool> WebServer::Impl::WriteStreamed(HttpStream& stream, HttpResponse resp, unsigned version,
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

// Reads one request under the three read bounds: the wait for its first
// byte (--web.idle-timeout on a kept-alive connection; on a new one, given
// `accepted`, the header deadline counted from the accept, as Go does), its
// header (--web.read-header-timeout) and the whole request
// (--web.read-timeout), both from that first byte. The deadlines are
// absolute: a client trickling bytes does not move them. The body also
// has a minimum pace (ReadBody).
asio::awaitable<WebServer::Impl::ReadOutcome> WebServer::Impl::ReadRequest(HttpStream& stream,
                                                                           beast::flat_buffer& buffer,
                                                                           RequestParser& parser, uint64_t id,
                                                                           std::optional<Clock::time_point> accepted) {
  Clock::time_point start = accepted.value_or(Clock::now());
  if (buffer.size() == 0) {
    table.SetIdle(id, true);
    if (accepted) {
      stream.expires_at(start + std::min(opts.read_header_timeout, opts.read_timeout));
    } else {
      stream.expires_after(opts.idle_timeout);
    }
    auto [ec, n] = co_await stream.async_read_some(buffer.prepare(kFirstReadBytes), kAsTuple);
    buffer.commit(n);
    table.SetIdle(id, false);
    if (ec == beast::error::timeout) {
      conn_metrics.Hit(accepted ? ConnectionLimit::kHeaderTimeout : ConnectionLimit::kIdleTimeout);
    }
    if (ec) co_return ReadOutcome::kClose;  // EOF, reset, timeout or evicted
    if (!accepted) start = Clock::now();
  }
  stream.expires_at(start + std::min(opts.read_header_timeout, opts.read_timeout));
  auto [header_ec, header_n] = co_await http::async_read_header(stream, buffer, parser, kAsTuple);
  if (header_ec == http::error::body_limit) {
    co_await RejectTooLarge(stream, parser.get().version(), 413, "http: request body too large\n");
  } else if (header_ec == http::error::header_limit) {
    co_await RejectTooLarge(stream, parser.get().version(), 431, "431 Request Header Fields Too Large");
  } else if (header_ec == beast::error::timeout) {
    conn_metrics.Hit(ConnectionLimit::kHeaderTimeout);
  }
  if (header_ec) co_return ReadOutcome::kClose;  // also EOF and garbage: drop the connection
  stream.expires_at(start + opts.read_timeout);
  if (beast::iequals(parser.get()[http::field::expect], "100-continue")) {
    http::response<http::empty_body> cont{http::status::continue_, parser.get().version()};
    auto [cont_ec, cont_n] = co_await http::async_write(stream, cont, kAsTuple);
    if (cont_ec) co_return ReadOutcome::kClose;
  }
  beast::error_code read_ec = co_await ReadBody(stream, buffer, parser, start + opts.read_timeout);
  if (read_ec == http::error::body_limit) {
    co_await RejectTooLarge(stream, parser.get().version(), 413, "http: request body too large\n");
  }
  co_return read_ec ? ReadOutcome::kClose : ReadOutcome::kRequest;
}

// Reads the body piece by piece under two deadlines: the whole request's
// (`request_deadline`), and the minimum body rate's, which starts at
// --web.read-header-timeout from now and moves later by one second for
// every --web.min-body-rate bytes received. Only data moves it, so a
// trickling client is cut once it falls behind the rate.
asio::awaitable<beast::error_code> WebServer::Impl::ReadBody(HttpStream& stream, beast::flat_buffer& buffer,
                                                             RequestParser& parser,
                                                             Clock::time_point request_deadline) {
  const Clock::time_point body_start = Clock::now();
  const uint64_t rate = opts.min_body_bytes_per_second;
  uint64_t received = 0;
  while (!parser.is_done()) {
    Clock::time_point deadline = request_deadline;
    bool rate_bound = false;
    if (rate > 0) {
      const auto earned = std::chrono::duration_cast<Clock::duration>(
          std::chrono::duration<double>(static_cast<double>(received) / static_cast<double>(rate)));
      const Clock::time_point rate_deadline = body_start + opts.read_header_timeout + earned;
      rate_bound = rate_deadline < request_deadline;
      if (rate_bound) deadline = rate_deadline;
    }
    stream.expires_at(deadline);
    auto [ec, n] = co_await http::async_read_some(stream, buffer, parser, kAsTuple);
    received += n;
    if (ec == beast::error::timeout) {
      conn_metrics.Hit(rate_bound ? ConnectionLimit::kBodyTooSlow : ConnectionLimit::kBodyTimeout);
    }
    if (ec) co_return ec;
  }
  co_return beast::error_code{};
}

asio::awaitable<void> WebServer::Impl::Session(tcp::socket socket, uint64_t id, std::shared_ptr<SessionHandle> handle,
                                               Clock::time_point accepted) {
  // TLS or not is decided per connection by the current --web.config.file.
  std::shared_ptr<asio::ssl::context> tls = opts.access != nullptr ? opts.access->TlsForNewConnection() : nullptr;
  HttpStream stream(beast::tcp_stream(std::move(socket)), tls.get());
  struct Slot {
    Impl* impl;
    uint64_t id;
    SessionHandle* handle;
    ~Slot() {
      handle->stream = nullptr;
      impl->table.Remove(id);
      impl->conn_metrics.Closed();
    }
  } slot{this, id, handle.get()};
  if (handle->evicted) co_return;  // its slot was taken before it started
  handle->stream = &stream.lowest();
  beast::error_code ec;
  tcp::endpoint peer = stream.socket().remote_endpoint(ec);
  std::string remote = ec ? std::string() : peer.address().to_string() + ":" + std::to_string(peer.port());
  if (tls != nullptr) {
    bool handshaken = co_await TlsHandshake(stream, accepted);
    if (!handshaken) co_return;
  }
  beast::flat_buffer buffer;
  for (bool first = true;; first = false) {
    RequestParser parser;
    parser.header_limit(kHeaderLimit);
    parser.body_limit(opts.max_request_body_bytes);
    std::optional<Clock::time_point> first_accept;
    if (first) first_accept = accepted;
    if (co_await ReadRequest(stream, buffer, parser, id, first_accept) != ReadOutcome::kRequest) break;
    const auto& msg = parser.get();
    bool keep_alive = msg.keep_alive();
    bool gzip_ok = AcceptsGzip(msg[http::field::accept_encoding]);
    bool head = msg.method() == http::verb::head;
    HttpRequest req = ToHttpRequest(msg, remote);
    // No co_await inside ?: here: GCC 12 miscompiles that in coroutines.
    HttpResponse resp;
    if (handler.IsSlow(req.target) || (opts.access != nullptr && opts.access->IsSlow(req))) {
      resp = co_await RunSlow(stream, std::move(req));
    } else {
      resp = Serve(req, nullptr);
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
  if (tls != nullptr) co_await TlsClose(stream);
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
    MutexLock lock(&s.mu);
    for (const auto& query : s.running) query->canceled.store(true);
  }
  s.query_pool->join();  // running queries see their cancel flag and return
  beast::error_code ignored;
  s.acceptor->close(ignored);
}

uint16_t WebServer::port() const { return impl_->port.load(); }

}  // namespace promethium::web
