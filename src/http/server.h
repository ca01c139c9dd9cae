// HttpServer: HTTP/1.1 on every event loop (one SO_REUSEPORT acceptor per loop), over plain TCP
// or TLS (http/tls_server.h), keep-alive and pipelining, limits on header and body size, a
// deadline on slow clients, connection limits in total and per source address, and a graceful
// drain. Each request is handed to an HttpHandler as an HttpExchange; Beast stays inside this
// file's implementation.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "core/result.h"
#include "http/exchange.h"
#include "http/tls_server.h"
#include "runtime/asio.h"
#include "runtime/event_loops.h"

namespace accord {

struct ServerLimits {
  int64_t max_body_bytes = int64_t{16} * 1024 * 1024;
  int64_t max_header_bytes = int64_t{16} * 1024;
  int64_t header_timeout_ms = 10'000;
  int64_t body_timeout_ms = 10'000;
  int64_t idle_timeout_ms = 75'000;
  int64_t max_connections = 10'000;
  int64_t max_connections_per_ip = 1'024;
};

class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  // Must respond (or the server answers 500). Runs on the connection's loop.
  virtual asio::awaitable<void> handle(HttpExchange& exchange) = 0;
};

struct ServerStats {
  std::atomic<int64_t> open_connections{0};
  std::atomic<int64_t> active_requests{0};
  std::atomic<int64_t> requests_total{0};
  std::atomic<int64_t> refused_connections{0};  // over a connection limit
  std::atomic<int64_t> protocol_errors{0};      // malformed, too large, too slow
  std::atomic<int64_t> tls_handshake_failures{0};
};

class HttpServer {
 public:
  // With `tls`, every connection speaks TLS, each with the context tls->current() holds when it
  // is accepted; without, plain HTTP. REQUIRES: `tls`, if given, outlives the server.
  HttpServer(EventLoops& loops, HttpHandler& handler, ServerLimits limits,
             ListenerTls* tls = nullptr);
  ~HttpServer();

  // Binds ADDR:PORT on every loop (port 0 picks a free port, shared by all loops).
  Status listen(const std::string& address, uint16_t port);
  uint16_t port() const { return port_; }

  // Drain: stop accepting, close idle keep-alive connections, answer in-flight requests with
  // "Connection: close". Any thread.
  void begin_drain();
  bool draining() const { return draining_.load(std::memory_order_relaxed); }

  const ServerStats& stats() const { return stats_; }

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  uint16_t port_ = 0;
  std::atomic<bool> draining_{false};
  ServerStats stats_;
};

// "127.0.0.1:8080", "[::1]:8080", ":8080" → address and port.
Result<std::pair<std::string, uint16_t>> parse_listen_address(const std::string& text);

}  // namespace accord
