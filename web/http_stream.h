// HttpStream: one accepted connection, plain TCP or TLS, behind one stream
// type, so http_server.cc's session code reads and writes without caring
// which (--web.config.file's tls_server_config decides per connection).
//
// It is an Asio AsyncReadStream/AsyncWriteStream that forwards to the
// active stream, plus the beast::tcp_stream timeouts and socket of the
// lowest layer. Included only by http_server.cc (Beast/Asio/OpenSSL stay in
// the few .cc files that do HTTP).
//
// Ownership: owns the connection. Thread-safety: as the Asio streams, one
// strand at a time.
#pragma once

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <optional>
#include <utility>

namespace promethium::web {

class HttpStream {
 public:
  using executor_type = boost::beast::tcp_stream::executor_type;
  using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

  // TLS when `tls` is non-null (the handshake is the caller's to run).
  HttpStream(boost::beast::tcp_stream tcp, boost::asio::ssl::context* tls) {
    if (tls != nullptr) {
      tls_.emplace(std::move(tcp), *tls);
    } else {
      plain_.emplace(std::move(tcp));
    }
  }

  executor_type get_executor() { return lowest().get_executor(); }
  boost::beast::tcp_stream& lowest() { return tls_ ? tls_->next_layer() : *plain_; }
  boost::asio::ip::tcp::socket& socket() { return lowest().socket(); }
  template <class Duration>
  void expires_after(Duration d) {
    lowest().expires_after(d);
  }
  template <class TimePoint>
  void expires_at(TimePoint t) {
    lowest().expires_at(t);
  }
  void expires_never() { lowest().expires_never(); }
  TlsStream* tls() { return tls_ ? &*tls_ : nullptr; }

  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return Initiate(buffers, std::forward<Token>(token),
                    [](auto& stream, const auto& b, auto handler) { stream.async_read_some(b, std::move(handler)); });
  }

  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return Initiate(buffers, std::forward<Token>(token),
                    [](auto& stream, const auto& b, auto handler) { stream.async_write_some(b, std::move(handler)); });
  }

 private:
  // Starts `op(stream, buffers, handler)` on the active stream.
  template <class Buffers, class Token, class Op>
  auto Initiate(const Buffers& buffers, Token&& token, Op op) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this, op](auto handler, const Buffers& b) {
          if (tls_) {
            op(*tls_, b, std::move(handler));
          } else {
            op(*plain_, b, std::move(handler));
          }
        },
        token, buffers);
  }

  std::optional<boost::beast::tcp_stream> plain_;
  std::optional<TlsStream> tls_;
};

}  // namespace promethium::web
