#include "http/tls_client.h"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <boost/asio/ssl/context.hpp>

#include "http/tls_file.h"
#include "http/tls_session_cache.h"

namespace accord {
namespace {

std::atomic<uint64_t> next_id{1};

Error config_error(std::string message) {
  return Error::client(ErrorKind::kInvalidRequest, std::move(message));
}

// Adds the certificates of a PEM text to `store`; how many.
int add_pem_certificates(const std::string& pem, X509_STORE* store) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) return 0;
  STACK_OF(X509_INFO)* infos = PEM_X509_INFO_read_bio(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  int added = 0;
  if (infos != nullptr) {
    for (int i = 0; i < sk_X509_INFO_num(infos); ++i) {
      const X509_INFO* info = sk_X509_INFO_value(infos, i);
      if (info->x509 != nullptr && X509_STORE_add_cert(store, info->x509) == 1) ++added;
    }
    sk_X509_INFO_pop_free(infos, X509_INFO_free);
  }
  ERR_clear_error();  // a parse error left in this thread's queue would be read as a later one's
  return added;
}

}  // namespace

TlsClientContext::TlsClientContext() : id_(next_id.fetch_add(1, std::memory_order_relaxed)) {}

TlsClientContext::~TlsClientContext() = default;

Result<std::shared_ptr<const TlsClientContext>> TlsClientContext::load(const std::string& ca_file) {
  std::string pem;
  if (!ca_file.empty()) {
    auto text = read_tls_file(ca_file);
    if (!text.ok()) return text.take_error();
    pem = std::move(text.value());
  }
  std::shared_ptr<TlsClientContext> c(new TlsClientContext());
  try {
    c->context_ =
        std::make_unique<boost::asio::ssl::context>(boost::asio::ssl::context::tls_client);
  } catch (const boost::system::system_error& e) {
    return Error::internal(ErrorKind::kInternal,
                           fmt::format("cannot make a TLS context: {}", e.what()));
  }
  SSL_CTX* ctx = c->context_->native_handle();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  TlsSessionCache::enable(ctx);
  if (ca_file.empty()) {
    error_code ec;
    c->context_->set_default_verify_paths(ec);
    if (ec) {
      return Error::internal(ErrorKind::kInternal,
                             fmt::format("cannot load the system's CAs: {}", ec.message()));
    }
  } else if (add_pem_certificates(pem, SSL_CTX_get_cert_store(ctx)) == 0) {
    return config_error(fmt::format("{} holds no PEM certificate", ca_file));
  }
  return std::shared_ptr<const TlsClientContext>(std::move(c));
}

std::shared_ptr<const TlsClientContext> TlsClientContext::unusable(std::string problem) {
  std::shared_ptr<TlsClientContext> c(new TlsClientContext());
  c->problem_ = std::move(problem);
  return c;
}

bool TlsClientContext::expect_host(ssl_st* ssl, const std::string& host) {
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  error_code not_ip;
  (void)asio::ip::make_address(host, not_ip);
  if (!not_ip) return X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) == 1;
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  return SSL_set_tlsext_host_name(ssl, host.c_str()) == 1 &&
         X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size()) == 1;
}

std::string TlsClientContext::describe_failure(ssl_st* ssl, const error_code& ec) {
  const long verdict = SSL_get_verify_result(ssl);
  if (verdict != X509_V_OK) {
    return fmt::format("certificate verify failed: {}", X509_verify_cert_error_string(verdict));
  }
  return ec.message();
}

}  // namespace accord
