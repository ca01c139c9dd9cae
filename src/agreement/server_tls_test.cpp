// server.tls in the agreement: its keys, and its files read (and each problem reported at the
// key that names the file) when the agreement is loaded to serve or to check.
#include "agreement/server_tls.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "agreement/loader.h"
#include "http/tls_server.h"
#include "test_pki.h"

namespace accord {
namespace {

using ::testing::ElementsAre;

constexpr const char* kMinimal = R"(parties:
  lab: { role: provider }
models:
  m1: { owner: lab, pool: p1 }
pools:
  p1: { engine: builtin, gpu: h100, gpus: 1, model_params_b: 8 }
)";

class ServerTlsTest : public ::testing::Test {
 protected:
  ServerTlsTest() : ca_("accord loader test CA") {
    const testing::TestCertificate c = ca_.issue({"localhost"}, {});
    cert_ = write("c.pem", c.cert_pem);
    key_ = write("k.pem", c.key_pem);
  }
  ~ServerTlsTest() override {
    for (const std::string& p : written_) std::remove(p.c_str());
  }

  std::string write(const std::string& name, const std::string& text) {
    written_.push_back(::testing::TempDir() + "accord-server-tls-" + std::to_string(getpid()) +
                       "-" + name);
    std::ofstream(written_.back(), std::ios::binary) << text;
    return written_.back();
  }
  // The agreement with `server: { tls: TLS }` on line 7.
  static LoadResult load(const std::string& tls, LoadOptions options = {}) {
    return load_agreement(std::string(kMinimal) + "server: { tls: " + tls + " }\n", "a.yaml",
                          options);
  }
  static std::vector<std::string> errors(const std::string& tls) { return load(tls).messages(); }
  // "a.yaml:7:COL: ", COL where `what` first begins in `tls` on that line.
  static std::string at(const std::string& tls, const std::string& what) {
    const std::string prefix = "server: { tls: ";
    return "a.yaml:7:" + std::to_string(prefix.size() + tls.find(what) + 1) + ": ";
  }

  testing::TestCa ca_;
  std::string cert_;
  std::string key_;
  std::vector<std::string> written_;
};

TEST_F(ServerTlsTest, IsOffUnlessGiven) {
  const LoadResult r = load_agreement(kMinimal, "a.yaml");
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(r.messages());
  EXPECT_FALSE(r.agreement->server.tls.enabled());
  EXPECT_EQ(r.agreement->server.tls.context, nullptr);
}

TEST_F(ServerTlsTest, ItsFilesAreLoadedWithTheAgreement) {
  const LoadResult r = load("{ cert: \"" + cert_ + "\", key: \"" + key_ + "\" }");
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(r.messages());
  const ServerTls& tls = r.agreement->server.tls;
  EXPECT_EQ(tls.cert_file, cert_);
  EXPECT_EQ(tls.key_file, key_);
  ASSERT_NE(tls.context, nullptr);
  EXPECT_EQ(tls.context->summary().rfind("CN=localhost", 0), 0u);
}

TEST_F(ServerTlsTest, ReportsAndPlansDoNotReadThem) {
  const LoadResult r =
      load("{ cert: /nonexistent/c.pem, key: /nonexistent/k.pem }", {.read_credentials = false});
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(r.messages());
  EXPECT_TRUE(r.agreement->server.tls.enabled());
  EXPECT_EQ(r.agreement->server.tls.context, nullptr);
}

TEST_F(ServerTlsTest, AFileThatCannotBeUsedIsReportedAtItsKey) {
  std::string tls = "{ cert: /nonexistent/c.pem, key: \"" + key_ + "\" }";
  EXPECT_THAT(errors(tls), ElementsAre(at(tls, "/nonexistent/c.pem") +
                                       "server.tls.cert: cannot read /nonexistent/c.pem: No such "
                                       "file or directory"));
  tls = "{ cert: \"" + cert_ + "\", key: /nonexistent/k.pem }";
  EXPECT_THAT(errors(tls), ElementsAre(at(tls, "/nonexistent/k.pem") +
                                       "server.tls.key: cannot read /nonexistent/k.pem: No such "
                                       "file or directory"));
  const std::string junk = write("junk.pem", "not a certificate\n");
  tls = "{ cert: \"" + junk + "\", key: \"" + key_ + "\" }";
  EXPECT_THAT(errors(tls), ElementsAre(at(tls, "\"" + junk) + "server.tls.cert: " + junk +
                                       " holds no PEM certificate"));
  const std::string other_key = write("other.pem", ca_.issue({"other"}, {}).key_pem);
  tls = "{ cert: \"" + cert_ + "\", key: \"" + other_key + "\" }";
  EXPECT_THAT(errors(tls), ElementsAre(at(tls, "\"" + other_key) + "server.tls.key: " + other_key +
                                       " is not the private key of the certificate in " + cert_));
}

TEST_F(ServerTlsTest, BothKeysAreRequiredAndNothingElse) {
  std::string tls = "{ cert: \"" + cert_ + "\" }";
  EXPECT_THAT(errors(tls), ElementsAre(at(tls, "{") + "server.tls.key: required key missing"));
  tls = "{ cert: \"\", key: \"" + key_ + "\" }";
  EXPECT_THAT(errors(tls), ElementsAre(at(tls, "\"\"") + "server.tls.cert: must not be empty"));
  tls = "{ cert: \"" + cert_ + "\", key: \"" + key_ + "\", ciphers: x }";
  EXPECT_THAT(errors(tls), ElementsAre(::testing::HasSubstr("server.tls.ciphers")));
}

}  // namespace
}  // namespace accord
