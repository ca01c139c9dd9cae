// TLS on the listener. TlsServerContext is what the listener presents: a certificate chain and
// its private key, held as one OpenSSL server context that speaks TLS 1.2 and 1.3 only and
// agrees on ALPN "http/1.1" ("http/1.0" for a client that offers only that, as curl --http1.0
// does; a client that offers only other protocols, h2 say, is refused). It is loaded with the
// agreement (agreement/loader.cpp), never changed after, and shared by every event loop: OpenSSL
// lets many threads make connections from one SSL_CTX at once.
// ListenerTls holds the context new connections take; a reload replaces it, and connections
// already open keep the one they were accepted with (each TlsStream holds a reference).
// Asio's ssl types stay inside the .cpp files; this header names them only by declaration.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "core/result.h"

namespace boost::asio::ssl {
class context;
}

namespace accord {

class TlsServerContext {
 public:
  // Which of the two files a load failed on.
  enum class File : uint8_t { kCert, kKey };

  // `cert_file`: PEM, the server's certificate first, then any intermediates. `key_file`: PEM,
  // its private key, unencrypted. Errors (kInvalidRequest), worded to follow "server.tls.cert: "
  // or "server.tls.key: ", with `*failed` set to the file at fault:
  //   cannot read PATH: REASON
  //   PATH holds no PEM certificate
  //   PATH holds no PEM private key
  //   PATH holds an encrypted private key; accord reads only unencrypted keys
  //   PATH is not the private key of the certificate in CERT
  static Result<std::shared_ptr<const TlsServerContext>> load(const std::string& cert_file,
                                                              const std::string& key_file,
                                                              File* failed = nullptr);

  ~TlsServerContext();
  TlsServerContext(const TlsServerContext&) = delete;
  TlsServerContext& operator=(const TlsServerContext&) = delete;

  // The certificate it presents, for the log: "CN=localhost, serial 1F, valid until Dec  1
  // 10:00:00 2026 GMT".
  const std::string& summary() const { return summary_; }
  // Asio's ssl::stream takes the context by non-const reference; it only makes connections from
  // it.
  boost::asio::ssl::context& native() const { return *context_; }

 private:
  TlsServerContext();

  std::unique_ptr<boost::asio::ssl::context> context_;
  std::string summary_;
};

class ListenerTls {
 public:
  // REQUIRES: `context` is not null.
  explicit ListenerTls(std::shared_ptr<const TlsServerContext> context)
      : current_(std::move(context)) {}

  // The context for a connection accepted now. Any thread.
  std::shared_ptr<const TlsServerContext> current() const {
    return current_.load(std::memory_order_acquire);
  }
  // New connections take `context` from now on. Any thread. REQUIRES: not null.
  void replace(std::shared_ptr<const TlsServerContext> context) {
    current_.store(std::move(context), std::memory_order_release);
  }

 private:
  std::atomic<std::shared_ptr<const TlsServerContext>> current_;
};

}  // namespace accord
