// TlsSessionCache: the last TLS session an upstream gave one client pool's connections to one
// target (host, port, TLS context). A connection opened later offers it, so its handshake is
// resumed: one round trip and no certificate chain to send or verify, as nginx's
// proxy_ssl_session_reuse. The server decides: one that refuses the session makes a full
// handshake, with the certificate verified as always. Sessions come from verified handshakes only
// (a failed one never reaches the point where a session is issued).
// Threads: the loop that owns the client pool; OpenSSL calls on_new_session() from that loop's
// SSL calls on a connection the cache was attached to.
#pragma once

struct ssl_st;
struct ssl_session_st;
struct ssl_ctx_st;

namespace accord {

class TlsSessionCache {
 public:
  TlsSessionCache() = default;
  ~TlsSessionCache();
  TlsSessionCache(const TlsSessionCache&) = delete;
  TlsSessionCache& operator=(const TlsSessionCache&) = delete;

  // Makes the connections of `ctx` hand the sessions servers issue to their cache (once, when a
  // client context is built).
  static void enable(ssl_ctx_st* ctx);
  // Before the handshake of `ssl` (a connection of an enabled context): offers the kept session,
  // and keeps the next one the server issues on it. REQUIRES: this outlives `ssl`.
  void attach(ssl_st* ssl);

 private:
  static int on_new_session(ssl_st* ssl, ssl_session_st* session);

  ssl_session_st* session_ = nullptr;
};

}  // namespace accord
