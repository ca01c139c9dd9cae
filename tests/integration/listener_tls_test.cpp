// TLS on the listener (server.tls): a throwaway CA made at test time signs the certificate accord
// presents. curl and this harness's own TLS client trust that CA and get answers; a certificate
// swapped on disk and reloaded (SIGHUP, POST /admin/reload) is what new connections get, while a
// stream already running on the old one (held mid-way by its upstream until the new certificate
// has been seen) finishes and its connection carries on; a reload whose
// key cannot be used is refused and the certificate before it keeps serving. Plain HTTP sent to
// the TLS port gets no 200, and `accord check` names a certificate it cannot read.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include "agreements.h"
#include "fault_upstream.h"
#include "harness.h"
#include "test_pki.h"

namespace accord::testing {
namespace {

const std::string kChat =
    R"({"model":"m-local","messages":[{"role":"user","content":"Hi"}],"max_tokens":4})";

class ListenerTlsTest : public ::testing::Test {
 protected:
  ListenerTlsTest()
      : ca_("accord listener test CA"),
        ca_file_(dir_.write("ca.pem", ca_.cert_pem())),
        cert_file_(dir_.path() + "/tls.crt"),
        key_file_(dir_.path() + "/tls.key") {}

  // A new certificate for localhost and 127.0.0.1 at cert_file_ and key_file_.
  TestCertificate install_new_certificate() {
    TestCertificate c = ca_.issue({"localhost"}, {"127.0.0.1"});
    dir_.write("tls.crt", c.cert_pem);
    dir_.write("tls.key", c.key_pem);
    return c;
  }
  // The agreement, with model m-up served by `upstream_port` when given.
  std::string agreement(const std::string& cert_file, int upstream_port = 0) {
    TestAgreement t;
    if (upstream_port != 0) t.upstream_ports = {upstream_port};
    t.server = fmt::format(R"(tls: {{ cert: "{}", key: "{}" }})", cert_file, key_file_);
    return dir_.write("a.yaml", agreement_yaml(t, dir_));
  }
  Served serve(int upstream_port = 0) {
    return start_serve(agreement(cert_file_, upstream_port), {"--workers", "2"});
  }
  TlsClientOptions trust_ca() const { return {ca_file_, "localhost"}; }

  TempDir dir_;
  TestCa ca_;
  std::string ca_file_;
  std::string cert_file_;
  std::string key_file_;
};

TEST_F(ListenerTlsTest, CurlWithTheCaGetsAChatCompletionOverHttps) {
  install_new_certificate();
  Served s = serve();
  const std::string url = fmt::format("https://localhost:{}/v1/chat/completions", s.port);
  const std::string request = fmt::format(
      "curl -sS --resolve localhost:{}:127.0.0.1 -H 'Authorization: Bearer {}' "
      "-H 'Content-Type: application/json' -d '{}' -w '\\n%{{http_code}} "
      "%{{http_version}}' ",
      s.port, kAcmeKey, kChat);
  int status = -1;
  const std::string out = run_stdout(request + "--cacert " + ca_file_ + " " + url, &status);
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("\"object\":\"chat.completion\""), std::string::npos) << out;
  // curl offers h2 too; the server agrees on HTTP/1.1.
  EXPECT_EQ(out.substr(out.rfind('\n') + 1), "200 1.1") << out;
  // Without the CA, curl does not trust the certificate: the check is real.
  run_stdout(request + url + " 2>/dev/null", &status);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 60) << status;  // peer cert not OK

  HttpConnection c(s.port, trust_ca());
  ASSERT_TRUE(c.connected()) << c.tls_error();
  EXPECT_EQ(c.alpn(), "http/1.1");
  EXPECT_TRUE(c.tls_version() == "TLSv1.3" || c.tls_version() == "TLSv1.2") << c.tls_version();
  c.send_request("POST", "/v1/chat/completions", kChat, bearer(kAcmeKey));
  EXPECT_EQ(c.read_response().status, 200);
}

TEST_F(ListenerTlsTest, ANewCertificateServesNewConnectionsWhileAStreamOnTheOldOneFinishes) {
  const TestCertificate first = install_new_certificate();
  // The upstream holds the stream after its first chunk until the test lets it go on.
  FaultUpstream upstream(Fault::kHealthy);
  upstream.hold_streams();
  Served s = serve(upstream.port());
  HttpConnection streaming(s.port, trust_ca());
  ASSERT_TRUE(streaming.connected()) << streaming.tls_error();
  EXPECT_EQ(streaming.peer_certificate_pem(), first.cert_pem);
  streaming.send_request(
      "POST", "/v1/chat/completions",
      R"({"model":"m-up","messages":[{"role":"user","content":"x"}],"stream":true})",
      bearer(kAcmeKey));
  ASSERT_EQ(streaming.read_head().status, 200);
  ASSERT_NE(streaming.next_sse_data().find("chat.completion.chunk"), std::string::npos);

  // Swapped on disk, then SIGHUP: new connections get the new certificate.
  const TestCertificate second = install_new_certificate();
  ASSERT_NE(second.cert_pem, first.cert_pem);
  s.process->signal(SIGHUP);
  s.process->wait_for_line("TLS: new connections get CN=localhost");
  {
    HttpConnection fresh(s.port, trust_ca());
    ASSERT_TRUE(fresh.connected()) << fresh.tls_error();
    EXPECT_EQ(fresh.peer_certificate_pem(), second.cert_pem);
    fresh.send_request("POST", "/v1/chat/completions", kChat, bearer(kAcmeKey));
    EXPECT_EQ(fresh.read_response().status, 200);
  }

  // The stream started before the reload runs to its end, and its connection carries on.
  upstream.release_streams();
  const std::vector<std::string> rest = streaming.remaining_sse_data();
  ASSERT_FALSE(rest.empty());
  EXPECT_EQ(rest.back(), "[DONE]");
  streaming.send_request("POST", "/v1/chat/completions", kChat, bearer(kAcmeKey));
  EXPECT_EQ(streaming.read_response().status, 200);

  // A key that does not go with the certificate: the reload is refused, naming the key, and the
  // certificate before it keeps serving.
  dir_.write("tls.key", ca_.issue({"localhost"}, {}).key_pem);
  s.process->signal(SIGHUP);
  EXPECT_NE(s.process->wait_for_line("server\\.tls\\.key: .* is not the private key"), "");
  {
    HttpConnection fresh(s.port, trust_ca());
    ASSERT_TRUE(fresh.connected()) << fresh.tls_error();
    EXPECT_EQ(fresh.peer_certificate_pem(), second.cert_pem);
  }

  // POST /admin/reload does what SIGHUP does.
  const TestCertificate third = install_new_certificate();
  {
    HttpConnection admin(s.port, trust_ca());
    admin.send_request("POST", "/admin/reload", "", bearer(kCloudKey));
    const HttpResponse r = admin.read_response();
    EXPECT_EQ(r.status, 200) << r.body;
  }
  HttpConnection fresh(s.port, trust_ca());
  ASSERT_TRUE(fresh.connected()) << fresh.tls_error();
  EXPECT_EQ(fresh.peer_certificate_pem(), third.cert_pem);
}

TEST_F(ListenerTlsTest, PlainHttpToTheTlsPortGetsNo200) {
  install_new_certificate();
  Served s = serve();
  HttpConnection plain(s.port);
  plain.send_request("POST", "/v1/chat/completions", kChat, bearer(kAcmeKey));
  const HttpResponse r = plain.read_response(5'000);
  EXPECT_NE(r.status, 200);
  // Told so, in plain HTTP, as nginx does.
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("This port speaks HTTPS"), std::string::npos) << r.body;
  EXPECT_TRUE(plain.closed_by_peer(5'000));
  // Bytes that are not TLS at all: the connection is closed, nothing is answered.
  HttpConnection junk(s.port);
  junk.send_raw(std::string(64, 'x') + "\r\n\r\n");
  EXPECT_TRUE(junk.closed_by_peer(5'000));
  EXPECT_EQ(junk.read_response(1'000).status, 0);
  // TLS clients are served throughout.
  HttpConnection c(s.port, trust_ca());
  ASSERT_TRUE(c.connected()) << c.tls_error();
  c.send_request("GET", "/healthz", "");
  EXPECT_EQ(c.read_response().status, 200);
}

TEST_F(ListenerTlsTest, CheckAndServeRefuseACertificateThatCannotBeRead) {
  install_new_certificate();
  const std::string config = agreement(dir_.path() + "/missing.crt");
  int status = -1;
  const std::string out = run_stdout(accord_binary() + " check " + config + " 2>&1", &status);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << out;
  EXPECT_NE(out.find(config + ":"), std::string::npos) << out;
  EXPECT_NE(out.find(": server.tls.cert: cannot read " + dir_.path() +
                     "/missing.crt: No such file or directory"),
            std::string::npos)
      << out;
  Process serve({accord_binary(), "serve", "--config", config, "--listen", "127.0.0.1:0"});
  EXPECT_EQ(serve.wait_exit(), 1);
  EXPECT_NE(serve.captured().find("server.tls.cert: cannot read"), std::string::npos)
      << serve.captured();
  // With the certificate where it says: OK.
  const std::string good = agreement(cert_file_);
  EXPECT_NE(run_stdout(accord_binary() + " check " + good, &status).find(": OK"),
            std::string::npos);
  EXPECT_EQ(status, 0);
}

}  // namespace
}  // namespace accord::testing
