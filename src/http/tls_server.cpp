#include "http/tls_server.h"

#include <fmt/format.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>
#include <cstring>

#include "http/tls_file.h"

namespace accord {
namespace {

namespace ssl = boost::asio::ssl;

// The protocols ALPN may agree on, in the order preferred, as the wire writes them (a length
// byte, then the name): HTTP/1.1, and HTTP/1.0 for a client that offers only that (curl
// --http1.0), as nginx does.
constexpr unsigned char kHttp1[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1',
                                    8, 'h', 't', 't', 'p', '/', '1', '.', '0'};

// TLS 1.2's suites: forward secrecy and AEAD only (TLS 1.3's are all of that already).
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

Error config_error(std::string message) {
  return Error::client(ErrorKind::kInvalidRequest, std::move(message));
}

// PEM reading never asks for a passphrase (OpenSSL's default would prompt on the terminal).
int no_passphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*u*/) {
  return -1;
}

int select_http1(SSL* /*ssl*/, const unsigned char** out, unsigned char* out_length,
                 const unsigned char* offered, unsigned int offered_length, void* /*arg*/) {
  unsigned char* chosen = nullptr;
  if (SSL_select_next_proto(&chosen, out_length, kHttp1, sizeof kHttp1, offered, offered_length) !=
      OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_ALERT_FATAL;  // RFC 7301: no protocol in common
  }
  *out = chosen;
  return SSL_TLSEXT_ERR_OK;
}

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using Bio = std::unique_ptr<BIO, BioFree>;

Bio memory_bio(const std::string& text) {
  return Bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

// Installs the chain of `pem` (the leaf, then intermediates); false when it holds no certificate.
bool use_certificate_chain(SSL_CTX* ctx, const std::string& pem) {
  const Bio bio = memory_bio(pem);
  X509* leaf = bio ? PEM_read_bio_X509_AUX(bio.get(), nullptr, no_passphrase, nullptr) : nullptr;
  if (leaf == nullptr) return false;
  const bool used = SSL_CTX_use_certificate(ctx, leaf) == 1;
  X509_free(leaf);
  if (!used) return false;
  while (X509* intermediate = PEM_read_bio_X509(bio.get(), nullptr, no_passphrase, nullptr)) {
    if (SSL_CTX_add0_chain_cert(ctx, intermediate) != 1) {
      X509_free(intermediate);
      return false;
    }
  }
  ERR_clear_error();  // the end of the PEM text, which OpenSSL reports as an error
  return true;
}

// "CN=localhost, serial 1F, valid until Dec  1 10:00:00 2026 GMT".
std::string describe(X509* cert) {
  std::string out;
  const Bio bio(BIO_new(BIO_s_mem()));
  if (!bio) return out;
  X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert), 0, XN_FLAG_RFC2253);
  BIO_puts(bio.get(), ", serial ");
  if (BIGNUM* serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr)) {
    if (char* hex = BN_bn2hex(serial)) {
      BIO_puts(bio.get(), hex);
      OPENSSL_free(hex);
    }
    BN_free(serial);
  }
  BIO_puts(bio.get(), ", valid until ");
  ASN1_TIME_print(bio.get(), X509_get0_notAfter(cert));
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  if (n > 0) out.assign(data, static_cast<size_t>(n));
  return out;
}

}  // namespace

TlsServerContext::TlsServerContext() = default;

TlsServerContext::~TlsServerContext() = default;

Result<std::shared_ptr<const TlsServerContext>> TlsServerContext::load(const std::string& cert_file,
                                                                       const std::string& key_file,
                                                                       File* failed) {
  auto fail = [failed](File file, Error error) {
    if (failed != nullptr) *failed = file;
    ERR_clear_error();  // left in this thread's queue, it would be read as a later error's cause
    return error;
  };
  auto cert_pem = read_tls_file(cert_file);
  if (!cert_pem.ok()) return fail(File::kCert, cert_pem.take_error());
  auto key_pem = read_tls_file(key_file);
  if (!key_pem.ok()) return fail(File::kKey, key_pem.take_error());

  std::shared_ptr<TlsServerContext> c(new TlsServerContext());
  try {
    c->context_ = std::make_unique<ssl::context>(ssl::context::tls_server);
  } catch (const boost::system::system_error& e) {
    return fail(File::kCert,
                Error::internal(ErrorKind::kInternal,
                                fmt::format("cannot make a TLS context: {}", e.what())));
  }
  SSL_CTX* ctx = c->context_->native_handle();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
  SSL_CTX_set_options(
      ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // An idle keep-alive connection gives its record buffers back (as nginx does).
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_cipher_list(ctx, kTls12Ciphers);
  SSL_CTX_set_alpn_select_cb(ctx, select_http1, nullptr);

  if (!use_certificate_chain(ctx, *cert_pem)) {
    return fail(File::kCert, config_error(fmt::format("{} holds no PEM certificate", cert_file)));
  }
  EVP_PKEY* key = nullptr;
  if (const Bio bio = memory_bio(*key_pem)) {
    key = PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr);
  }
  if (key == nullptr) {
    const bool encrypted = key_pem->find("ENCRYPTED") != std::string::npos;
    return fail(File::kKey,
                config_error(encrypted ? fmt::format("{} holds an encrypted private key; accord "
                                                     "reads only unencrypted keys",
                                                     key_file)
                                       : fmt::format("{} holds no PEM private key", key_file)));
  }
  const bool matches = SSL_CTX_use_PrivateKey(ctx, key) == 1 && SSL_CTX_check_private_key(ctx) == 1;
  EVP_PKEY_free(key);
  if (!matches) {
    return fail(File::kKey,
                config_error(fmt::format("{} is not the private key of the certificate in {}",
                                         key_file, cert_file)));
  }
  c->summary_ = describe(SSL_CTX_get0_certificate(ctx));
  return std::shared_ptr<const TlsServerContext>(std::move(c));
}

}  // namespace accord
