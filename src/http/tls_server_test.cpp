#include "http/tls_server.h"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <unistd.h>

#include <boost/asio/ssl/context.hpp>
#include <cstdio>
#include <fstream>

#include "test_pki.h"

namespace accord {
namespace {

using testing::TestCa;
using testing::TestCertificate;
using File = TlsServerContext::File;

// Files in the test's temporary directory, removed at the end.
class Files {
 public:
  ~Files() {
    for (const std::string& p : paths_) std::remove(p.c_str());
  }
  std::string write(const std::string& name, const std::string& text) {
    paths_.push_back(::testing::TempDir() + "accord-tls-" + std::to_string(getpid()) + "-" + name);
    std::ofstream(paths_.back(), std::ios::binary) << text;
    return paths_.back();
  }

 private:
  std::vector<std::string> paths_;
};

// `key_pem` again, encrypted with a passphrase.
std::string encrypted(const std::string& key_pem) {
  BIO* in = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(in, nullptr, nullptr, nullptr);
  BIO_free(in);
  BIO* out = BIO_new(BIO_s_mem());
  char passphrase[] = "secret";
  PEM_write_bio_PKCS8PrivateKey(out, key, EVP_aes_128_cbc(), passphrase, 6, nullptr, nullptr);
  EVP_PKEY_free(key);
  char* data = nullptr;
  const long n = BIO_get_mem_data(out, &data);
  std::string pem(data, static_cast<size_t>(n));
  BIO_free(out);
  return pem;
}

struct Handshake {
  bool ok = false;
  std::string version;  // "TLSv1.3"
  std::string alpn;     // what was agreed, "" for none
};

// A handshake in memory between `server` and a client made from `client` that offers `alpn`
// (wire format, none when empty).
Handshake shake(const TlsServerContext& server, SSL_CTX* client, const std::string& alpn) {
  SSL* s = SSL_new(server.native().native_handle());
  SSL* c = SSL_new(client);
  BIO* s_bio = nullptr;
  BIO* c_bio = nullptr;
  BIO_new_bio_pair(&s_bio, 0, &c_bio, 0);
  SSL_set_bio(s, s_bio, s_bio);
  SSL_set_bio(c, c_bio, c_bio);
  SSL_set_accept_state(s);
  SSL_set_connect_state(c);
  if (!alpn.empty()) {
    SSL_set_alpn_protos(c, reinterpret_cast<const unsigned char*>(alpn.data()),
                        static_cast<unsigned>(alpn.size()));
  }
  Handshake h;
  for (int round = 0; round < 10 && !h.ok; ++round) {
    const int cr = SSL_do_handshake(c);
    const int sr = SSL_do_handshake(s);
    h.ok = cr == 1 && sr == 1;
    const auto stuck = [](SSL* ssl, int r) {
      const int e = SSL_get_error(ssl, r);
      return r != 1 && e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE;
    };
    if (stuck(c, cr) || stuck(s, sr)) break;
  }
  if (h.ok) {
    h.version = SSL_get_version(s);
    const unsigned char* agreed = nullptr;
    unsigned length = 0;
    SSL_get0_alpn_selected(s, &agreed, &length);
    h.alpn.assign(reinterpret_cast<const char*>(agreed), length);
  }
  SSL_free(c);
  SSL_free(s);
  ERR_clear_error();
  return h;
}

class TlsServerContextTest : public ::testing::Test {
 protected:
  TlsServerContextTest() : ca_("accord unit test CA"), cert_(ca_.issue({"localhost"}, {})) {}

  TestCa ca_;
  TestCertificate cert_;
  Files files_;
};

TEST_F(TlsServerContextTest, LoadsACertificateAndItsKey) {
  auto loaded = TlsServerContext::load(files_.write("c.pem", cert_.cert_pem),
                                       files_.write("k.pem", cert_.key_pem));
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded.value()->summary().rfind("CN=localhost, serial ", 0), 0u)
      << loaded.value()->summary();
  EXPECT_NE(loaded.value()->summary().find(", valid until "), std::string::npos);
}

TEST_F(TlsServerContextTest, LoadsAChainWithIntermediates) {
  auto loaded = TlsServerContext::load(files_.write("c.pem", cert_.cert_pem + ca_.cert_pem()),
                                       files_.write("k.pem", cert_.key_pem));
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  STACK_OF(X509)* chain = nullptr;
  SSL_CTX_get0_chain_certs(loaded.value()->native().native_handle(), &chain);
  EXPECT_EQ(sk_X509_num(chain), 1);
}

TEST_F(TlsServerContextTest, AFileThatCannotBeReadIsNamedWithWhichItIs) {
  const std::string cert = files_.write("c.pem", cert_.cert_pem);
  const std::string key = files_.write("k.pem", cert_.key_pem);
  File failed = File::kKey;
  auto r = TlsServerContext::load("/nonexistent/accord.crt", key, &failed);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "cannot read /nonexistent/accord.crt: No such file or directory");
  EXPECT_EQ(failed, File::kCert);
  r = TlsServerContext::load(cert, "/nonexistent/accord.key", &failed);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "cannot read /nonexistent/accord.key: No such file or directory");
  EXPECT_EQ(failed, File::kKey);
}

TEST_F(TlsServerContextTest, FilesWithoutWhatTheyShouldHoldAreRefused) {
  const std::string cert = files_.write("c.pem", cert_.cert_pem);
  const std::string key = files_.write("k.pem", cert_.key_pem);
  const std::string junk = files_.write("junk.pem", "not PEM at all\n");
  File failed = File::kKey;
  auto r = TlsServerContext::load(junk, key, &failed);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, junk + " holds no PEM certificate");
  EXPECT_EQ(failed, File::kCert);
  // The key where the certificate should be, and the certificate where the key should be.
  r = TlsServerContext::load(key, key, &failed);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, key + " holds no PEM certificate");
  r = TlsServerContext::load(cert, cert, &failed);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, cert + " holds no PEM private key");
  EXPECT_EQ(failed, File::kKey);
  EXPECT_EQ(ERR_peek_error(), 0u);  // nothing left for a later OpenSSL call to trip on
}

TEST_F(TlsServerContextTest, AnEncryptedKeyIsRefusedWithoutAPrompt) {
  const std::string key = files_.write("k.pem", encrypted(cert_.key_pem));
  File failed = File::kCert;
  auto r = TlsServerContext::load(files_.write("c.pem", cert_.cert_pem), key, &failed);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            key + " holds an encrypted private key; accord reads only unencrypted keys");
  EXPECT_EQ(failed, File::kKey);
}

TEST_F(TlsServerContextTest, AKeyOfAnotherCertificateIsRefused) {
  const TestCertificate other = ca_.issue({"other"}, {});
  const std::string cert = files_.write("c.pem", cert_.cert_pem);
  const std::string key = files_.write("other.pem", other.key_pem);
  File failed = File::kCert;
  auto r = TlsServerContext::load(cert, key, &failed);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, key + " is not the private key of the certificate in " + cert);
  EXPECT_EQ(failed, File::kKey);
}

TEST_F(TlsServerContextTest, SpeaksTls12And13AndAgreesOnHttp1Only) {
  auto loaded = TlsServerContext::load(files_.write("c.pem", cert_.cert_pem),
                                       files_.write("k.pem", cert_.key_pem));
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  const TlsServerContext& server = *loaded.value();
  SSL_CTX* client = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_security_level(client, 0);  // so the client can offer the old versions at all
  const std::string h2_and_http11("\x02h2\x08http/1.1", 12);
  const std::string h2_only("\x02h2", 3);
  const std::string http10_only("\x08http/1.0", 9);

  Handshake h = shake(server, client, h2_and_http11);
  EXPECT_TRUE(h.ok);
  EXPECT_EQ(h.version, "TLSv1.3");
  EXPECT_EQ(h.alpn, "http/1.1");
  EXPECT_TRUE(shake(server, client, "").ok);  // no ALPN at all: HTTP/1.1 is assumed
  EXPECT_FALSE(shake(server, client, h2_only).ok);
  h = shake(server, client, http10_only);
  EXPECT_TRUE(h.ok);
  EXPECT_EQ(h.alpn, "http/1.0");

  SSL_CTX_set_max_proto_version(client, TLS1_2_VERSION);
  h = shake(server, client, h2_and_http11);
  EXPECT_TRUE(h.ok);
  EXPECT_EQ(h.version, "TLSv1.2");
  SSL_CTX_set_min_proto_version(client, TLS1_VERSION);
  SSL_CTX_set_max_proto_version(client, TLS1_1_VERSION);
  EXPECT_FALSE(shake(server, client, "").ok);
  SSL_CTX_free(client);
}

TEST(ListenerTls, NewConnectionsTakeTheReplacement) {
  TestCa ca("accord unit test CA");
  Files files;
  auto load = [&](const TestCertificate& c, const std::string& name) {
    return TlsServerContext::load(files.write(name + ".crt", c.cert_pem),
                                  files.write(name + ".key", c.key_pem))
        .value();
  };
  const auto first = load(ca.issue({"first"}, {}), "first");
  const auto second = load(ca.issue({"second"}, {}), "second");
  ListenerTls tls(first);
  const auto held = tls.current();  // what a connection accepted now keeps
  tls.replace(second);
  EXPECT_EQ(tls.current(), second);
  EXPECT_EQ(held, first);
  EXPECT_EQ(held->summary().rfind("CN=first", 0), 0u);
}

}  // namespace
}  // namespace accord
