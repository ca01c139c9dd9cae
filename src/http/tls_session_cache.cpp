#include "http/tls_session_cache.h"

#include <openssl/ssl.h>

namespace accord {
namespace {

// The index of the SSL ex_data slot that points at a connection's cache, made once.
int cache_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

}  // namespace

TlsSessionCache::~TlsSessionCache() {
  if (session_ != nullptr) SSL_SESSION_free(session_);
}

void TlsSessionCache::enable(SSL_CTX* ctx) {
  // The client's own store, not OpenSSL's internal one: a session belongs to one target.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(ctx, &TlsSessionCache::on_new_session);
}

void TlsSessionCache::attach(SSL* ssl) {
  if (cache_index() < 0 || SSL_set_ex_data(ssl, cache_index(), this) != 1) return;
  if (session_ != nullptr) SSL_set_session(ssl, session_);
}

int TlsSessionCache::on_new_session(SSL* ssl, SSL_SESSION* session) {
  auto* cache = static_cast<TlsSessionCache*>(SSL_get_ex_data(ssl, cache_index()));
  if (cache == nullptr) return 0;
  // A copy: the connection's own session is marked not resumable when the connection is freed
  // without a close_notify, as pooled connections are.
  SSL_SESSION* copy = SSL_SESSION_dup(session);
  if (copy == nullptr) return 0;
  if (cache->session_ != nullptr) SSL_SESSION_free(cache->session_);
  cache->session_ = copy;
  return 0;  // OpenSSL keeps its reference to `session`
}

}  // namespace accord
