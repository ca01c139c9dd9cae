#include "test_pki.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <stdexcept>

namespace accord::testing {
namespace {

std::atomic<long> next_serial{1};

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using Cert = std::unique_ptr<X509, X509Free>;

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test PKI: ") + what);
}

Pkey new_key() {
  Pkey key(EVP_EC_gen("P-256"));
  check(key != nullptr, "EVP_EC_gen");
  return key;
}

// A certificate for `key`, named `cn`, valid from an hour ago for a day, not yet signed.
Cert new_cert(EVP_PKEY* key, const std::string& cn) {
  Cert x(X509_new());
  check(x != nullptr, "X509_new");
  X509_set_version(x.get(), 2);  // v3
  ASN1_INTEGER_set(X509_get_serialNumber(x.get()), next_serial.fetch_add(1));
  X509_gmtime_adj(X509_getm_notBefore(x.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x.get()), 24 * 3600);
  X509_NAME* name = X509_get_subject_name(x.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  check(X509_set_pubkey(x.get(), key) == 1, "X509_set_pubkey");
  return x;
}

void add_extension(X509* x, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, x, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  check(ext != nullptr, "X509V3_EXT_conf_nid");
  X509_add_ext(x, ext, -1);
  X509_EXTENSION_free(ext);
}

std::string cert_to_pem(X509* x) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, x);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(n));
  BIO_free(bio);
  return pem;
}

std::string key_to_pem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(n));
  BIO_free(bio);
  return pem;
}

}  // namespace

struct TestCa::Keys {
  Pkey key;
  Cert cert;
};

TestCa::TestCa(const std::string& common_name) : keys_(std::make_unique<Keys>()) {
  keys_->key = new_key();
  keys_->cert = new_cert(keys_->key.get(), common_name);
  X509* x = keys_->cert.get();
  X509_set_issuer_name(x, X509_get_subject_name(x));
  add_extension(x, x, NID_basic_constraints, "critical,CA:TRUE");
  add_extension(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
  add_extension(x, x, NID_subject_key_identifier, "hash");
  check(X509_sign(x, keys_->key.get(), EVP_sha256()) > 0, "X509_sign (CA)");
  cert_pem_ = cert_to_pem(x);
}

TestCa::~TestCa() = default;

TestCertificate TestCa::issue(const std::vector<std::string>& dns_names,
                              const std::vector<std::string>& ip_addresses) const {
  Pkey key = new_key();
  Cert x = new_cert(key.get(), dns_names.empty() ? "server" : dns_names.front());
  X509* ca = keys_->cert.get();
  X509_set_issuer_name(x.get(), X509_get_subject_name(ca));
  std::string san;
  for (const std::string& d : dns_names) san += (san.empty() ? "DNS:" : ",DNS:") + d;
  for (const std::string& ip : ip_addresses) san += (san.empty() ? "IP:" : ",IP:") + ip;
  add_extension(x.get(), ca, NID_basic_constraints, "critical,CA:FALSE");
  add_extension(x.get(), ca, NID_key_usage, "critical,digitalSignature");
  add_extension(x.get(), ca, NID_ext_key_usage, "serverAuth");
  add_extension(x.get(), ca, NID_subject_key_identifier, "hash");
  add_extension(x.get(), ca, NID_authority_key_identifier, "keyid:always");
  if (!san.empty()) add_extension(x.get(), ca, NID_subject_alt_name, san);
  check(X509_sign(x.get(), keys_->key.get(), EVP_sha256()) > 0, "X509_sign (server)");
  return {cert_to_pem(x.get()), key_to_pem(key.get())};
}

}  // namespace accord::testing
