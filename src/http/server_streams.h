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

#include <memory>
#include <string>
#include <vector>

#include "http/tls_server.h"
#include "http/write_all.h"
#include "runtime/asio.h"

struct ssl_st;
struct bio_st;

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

// TLS as nginx does it, OpenSSL straight on the socket, not through Asio's ssl::stream (whose
// BIO pair copies every byte twice more and holds four 17 KiB buffers per connection): records
// are written to the socket by OpenSSL itself, one write per record; what the client sends is
// read by Asio (a read that waits for the next edge costs no epoll_ctl, as in PlainStream) into
// a small buffer, which OpenSSL's reading BIO copies from. OpenSSL's own record buffers are given
// back while the connection is idle (SSL_MODE_RELEASE_BUFFERS). REQUIRES: SIGPIPE is ignored
// (run_http_server does): OpenSSL writes to the socket without MSG_NOSIGNAL.
class TlsStream {
 public:
  static constexpr bool kTls = true;

  // REQUIRES: `context` is not null; `socket` is in non-blocking mode. The stream holds the
  // context for the connection's life, so a reload that replaces the listener's context leaves
  // this connection's alone.
  TlsStream(tcp::socket socket, std::shared_ptr<const TlsServerContext> context);
  ~TlsStream();
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  tcp::socket& socket() { return socket_; }
  asio::awaitable<size_t> read_some(asio::mutable_buffer buffer, error_code& ec);
  // One TLS record (up to 16 KiB) per piece of 16 KiB: the buffers are gathered first.
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
  // Sends close_notify if the socket takes it now, so the client can tell the end from a cut;
  // does not wait, for the socket or for the client's own.
  void close_notify();

 private:
  // After an SSL call returned `result`: waits for what OpenSSL needs (bytes from the client,
  // room in the socket) and returns true to call it again, or sets `ec` and returns false.
  asio::awaitable<bool> serve_want(int result, error_code& ec);
  asio::awaitable<void> write_gathered(error_code& ec);
  // The BIO OpenSSL reads the client's bytes from: the unread part of in_.
  static int read_unread(bio_st* bio, char* out, int size);
  static long unread_ctrl(bio_st* bio, int command, long number, void* pointer);

  tcp::socket socket_;
  std::shared_ptr<const TlsServerContext> context_;
  ssl_st* ssl_ = nullptr;
  std::vector<char> in_;  // the socket's last read
  size_t unread_at_ = 0;  // where in in_ OpenSSL has not read yet
  size_t unread_end_ = 0;
  std::string out_;
  bool failed_ = false;  // a fatal TLS error: no close_notify
};

}  // namespace accord
