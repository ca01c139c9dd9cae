// TestCa: a throwaway certificate authority made at test time (EC P-256 keys, SHA-256
// signatures, valid from an hour ago for a day), which issues server certificates for the names
// and addresses a test asks for. Nothing is read from or written to disk unless the test writes
// the PEM text out.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace accord::testing {

struct TestCertificate {
  std::string cert_pem;
  std::string key_pem;  // unencrypted PKCS#8
};

class TestCa {
 public:
  explicit TestCa(const std::string& common_name);
  ~TestCa();
  TestCa(const TestCa&) = delete;
  TestCa& operator=(const TestCa&) = delete;

  const std::string& cert_pem() const { return cert_pem_; }
  // A server certificate (serverAuth) whose subjectAltName holds `dns_names` and `ip_addresses`.
  TestCertificate issue(const std::vector<std::string>& dns_names,
                        const std::vector<std::string>& ip_addresses) const;

 private:
  struct Keys;
  std::unique_ptr<Keys> keys_;
  std::string cert_pem_;
};

}  // namespace accord::testing
