// TlsClientContext: whom TLS connections to an upstream trust — the CAs of one PEM file, or the
// system's store — held as one OpenSSL context. Built when an agreement is loaded (one per
// upstream pool), never changed after, and shared by every event loop: OpenSSL lets many threads
// make connections from one SSL_CTX at once. Asio's ssl types stay inside client.cpp and
// tls_client.cpp; this header names them only by declaration.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/result.h"
#include "runtime/asio.h"

namespace boost::asio::ssl {
class context;
}
struct ssl_st;

namespace accord {

class TlsClientContext {
 public:
  // Trusts the certificates in `ca_file` (PEM) and only those, or the system's default store
  // when `ca_file` is empty. Errors (kInvalidRequest), worded to follow "ca_file: ":
  // "cannot read PATH: REASON", "PATH holds no PEM certificate".
  static Result<std::shared_ptr<const TlsClientContext>> load(const std::string& ca_file);
  // A context that refuses every connection with `problem`: what a pool gets when its ca_file,
  // readable when the agreement was checked, cannot be read when the pool is built.
  static std::shared_ptr<const TlsClientContext> unusable(std::string problem);

  ~TlsClientContext();
  TlsClientContext(const TlsClientContext&) = delete;
  TlsClientContext& operator=(const TlsClientContext&) = delete;

  // Empty unless unusable().
  const std::string& problem() const { return problem_; }
  // Unique per context for the life of the process: idle connections verified against one
  // context are kept apart from another's.
  uint64_t id() const { return id_; }
  // REQUIRES: problem() is empty. Asio's ssl::stream takes the context by non-const reference;
  // it only makes connections from it.
  boost::asio::ssl::context& native() const { return *context_; }

  // Before the handshake of `ssl`: the server name it sends (SNI; none for an IP address) and the
  // name or address the certificate must be issued for. False when OpenSSL refuses them.
  static bool expect_host(ssl_st* ssl, const std::string& host);
  // After a handshake of `ssl` failed with `ec`: why, in words — "certificate verify failed: "
  // and the verifier's verdict ("hostname mismatch", "unable to get local issuer certificate")
  // when it refused the certificate, else the TLS error.
  static std::string describe_failure(ssl_st* ssl, const error_code& ec);

 private:
  TlsClientContext();

  std::unique_ptr<boost::asio::ssl::context> context_;
  std::string problem_;
  uint64_t id_;
};

}  // namespace accord
