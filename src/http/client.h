// HttpClientPool: HTTP/1.1 requests to upstream servers over pooled keep-alive connections, one
// pool per event loop (no locks), with connect, first-byte and idle timeouts. The response body
// is read piece by piece as it arrives (chunked encoding removed), so streams are relayed, never
// buffered whole. A target may be TLS (https): a connection then makes its handshake once, when
// it is opened (resuming the target's last session when the upstream allows), and is kept alive
// and reused like a plain one. Beast and Asio's ssl types stay
// inside client.cpp and tls_client.cpp.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"
#include "runtime/asio.h"
#include "runtime/deadline_sweeper.h"

namespace accord {

class TlsClientContext;

struct ClientTarget {
  std::string host;
  uint16_t port = 80;
  std::string host_header;  // "host:port"
  size_t max_idle = 64;     // idle connections kept per loop
  // Set: TLS, trusting what it trusts, with a certificate that must be issued for `host`.
  std::shared_ptr<const TlsClientContext> tls;
  // Targets with the same key share idle connections; empty: host_header. make_client_target()
  // sets it for TLS, so a connection verified against one context never serves another's.
  std::string connection_key;
};

// A target with every field consistent: host_header "host:port" and, for TLS, connection_key.
ClientTarget make_client_target(std::string host, uint16_t port, size_t max_idle,
                                std::shared_ptr<const TlsClientContext> tls = nullptr);

struct ClientTimeouts {
  int64_t connect_ms = 2'000;
  int64_t first_byte_ms = 300'000;
  int64_t idle_ms = 60'000;
};

class ClientConnection;

// One response being read. Destroying it returns the connection to the pool when the body was
// read to its end and the server allows keep-alive; otherwise the connection is closed (which
// also tells an upstream to stop generating).
class ClientResponse {
 public:
  ClientResponse(std::unique_ptr<ClientConnection> connection, class HttpClientPool& pool);
  ~ClientResponse();
  ClientResponse(ClientResponse&& other) noexcept;
  ClientResponse& operator=(ClientResponse&&) = delete;
  ClientResponse(const ClientResponse&) = delete;
  ClientResponse& operator=(const ClientResponse&) = delete;

  int status() const;
  std::string_view header(std::string_view name) const;
  // Appends the next piece of the body to `out`; false once the body is complete.
  asio::awaitable<Result<bool>> read_some(std::string& out);
  // Appends the whole body (up to `limit` bytes) to `out`.
  asio::awaitable<Status> read_all(std::string& out, size_t limit);
  // A buffer owned by the connection and reused from response to response (cleared on send):
  // read into it to avoid an allocation per response.
  std::string& buffer();
  bool body_complete() const;
  // Closes the connection now (the request was stopped); pending reads fail.
  void cancel();

 private:
  std::unique_ptr<ClientConnection> connection_;
  HttpClientPool* pool_;
};

class HttpClientPool {
 public:
  HttpClientPool(asio::io_context& io, std::shared_ptr<DeadlineSweeper> sweeper);
  ~HttpClientPool();

  // Sends `head` (request line and headers, ending in a blank line) and `body`, then reads the
  // response head. A pooled connection that turns out to be closed is replaced once,
  // transparently. Errors are kUpstreamError / kUpstreamTimeout, with `retryable` set when the
  // upstream cannot have acted on the request (it was never connected). A TLS handshake or
  // certificate verification that fails is a kUpstreamError ("TLS handshake with host:port
  // failed: certificate verify failed: hostname mismatch"), retryable, and logged as a warning.
  asio::awaitable<Result<ClientResponse>> send(const ClientTarget& target, std::string_view head,
                                               std::string_view body,
                                               const ClientTimeouts& timeouts);

  size_t idle_connections() const;
  // TLS handshakes this pool has begun (failed ones too): one per connection opened, none per
  // request on a kept-alive one. Any thread may read it.
  uint64_t tls_handshakes() const;
  // Of those, the ones that resumed the target's last session (http/tls_session_cache.h): no
  // certificate sent or verified. Any thread may read it.
  uint64_t tls_resumed() const;

 private:
  friend class ClientResponse;
  void give_back(std::unique_ptr<ClientConnection> connection);
  asio::awaitable<Result<std::unique_ptr<ClientConnection>>> connect(const ClientTarget& target,
                                                                     const ClientTimeouts& t);

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace accord
