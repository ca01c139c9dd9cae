// The byte streams the HTTP server's connections run over (http/server.cpp's Connection is a
// template on them): PlainStream, a TCP socket, and TlsStream, TLS over one. What a Connection
// uses of a stream:
//   socket()            the TCP socket underneath: to cancel, shut down, close, ask is_open
//   read_some(b, ec)    some bytes into b; the peer's orderly end is asio::error::eof
//   write(buffers, ec)  all of a buffer sequence
// PlainStream adds nothing to the socket's own calls, so plain HTTP costs what it did before TLS
// existed. TlsStream also has the handshake and the close_notify alert.
// Threads: the loop that owns the connection, one read and one write at a time.
#pragma once

#include <boost/asio/ssl/stream.hpp>
#include <memory>
#include <string>

#include "http/tls_server.h"
#include "http/write_all.h"
#include "runtime/asio.h"

namespace accord {

class PlainStream {
 public:
  static constexpr bool kTls = false;

  explicit PlainStream(tcp::socket socket) : socket_(std::move(socket)) {}

  tcp::socket& socket() { return socket_; }
  asio::awaitable<size_t> read_some(asio::mutable_buffer buffer, error_code& ec) {
    return socket_.async_read_some(buffer, use_ec(ec));
  }
  template <class Buffers>
  asio::awaitable<void> write(const Buffers& buffers, error_code& ec) {
    return write_all(socket_, buffers, ec);
  }

 private:
  tcp::socket socket_;
};

class TlsStream {
 public:
  static constexpr bool kTls = true;

  // REQUIRES: `context` is not null. The stream holds it for the connection's life, so a reload
  // that replaces the listener's context leaves this connection's alone.
  TlsStream(tcp::socket socket, std::shared_ptr<const TlsServerContext> context)
      : context_(std::move(context)), stream_(std::move(socket), context_->native()) {}

  tcp::socket& socket() { return stream_.next_layer(); }
  asio::awaitable<size_t> read_some(asio::mutable_buffer buffer, error_code& ec);
  // One TLS record per write (Asio's ssl::stream would make one per buffer of the sequence):
  // the pieces are gathered first.
  template <class Buffers>
  asio::awaitable<void> write(const Buffers& buffers, error_code& ec) {
    out_.clear();
    for (const asio::const_buffer& b : buffers) {
      out_.append(static_cast<const char*>(b.data()), b.size());
    }
    return write_gathered(ec);
  }

  // The server's side of the handshake.
  asio::awaitable<error_code> handshake();
  // Whether a failed handshake's `ec` says the client spoke plain HTTP to this port.
  static bool is_plain_http(const error_code& ec);
  // Writes an HTTP response to the socket as it is, unencrypted (to a client that spoke plain
  // HTTP).
  asio::awaitable<void> write_plain(std::string_view response);
  // Sends close_notify, so the client can tell the end from a cut; does not wait for the
  // client's own.
  asio::awaitable<void> close_notify();

 private:
  asio::awaitable<void> write_gathered(error_code& ec);

  std::shared_ptr<const TlsServerContext> context_;
  asio::ssl::stream<tcp::socket> stream_;
  std::string out_;
};

}  // namespace accord
