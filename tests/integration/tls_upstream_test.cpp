// https upstreams: a throwaway CA made at test time signs the certificate a TLS upstream on
// loopback presents. With the CA as the pool's ca_file, whole and streamed answers are served and
// sequential requests reuse one connection (one handshake); a certificate for another name or
// from a CA the gateway does not trust is refused with a 502 in OpenAI's error shape that says
// why, before any request reaches the upstream.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "agreements.h"
#include "harness.h"
#include "http/client.h"
#include "http/tls_client.h"
#include "runtime/deadline_sweeper.h"
#include "tls_upstream.h"

namespace accord::testing {
namespace {

std::string chat_body(bool stream) {
  return std::string(
             R"({"model":"m-up","messages":[{"role":"user","content":"hi"}],"max_tokens":8)") +
         (stream ? R"(,"stream":true})" : "}");
}

class TlsUpstreamTest : public ::testing::Test {
 protected:
  TlsUpstreamTest() : ca_("accord test CA"), ca_file_(dir_.write("ca.pem", ca_.cert_pem())) {}

  // accord serving model m-up from `upstream`, reached as `origin` ("https://localhost"), with
  // `ca_file` as the pool's (none when empty).
  Served serve(const TlsUpstream& upstream, const std::string& origin, const std::string& ca_file) {
    TestAgreement t;
    t.upstream_ports = {upstream.port()};
    t.upstream_origin = origin;
    if (!ca_file.empty()) t.up_extra = "ca_file: \"" + ca_file + "\"";
    return start_serve(dir_.write("a.yaml", agreement_yaml(t, dir_)), {"--workers", "1"});
  }

  TempDir dir_;
  TestCa ca_;
  std::string ca_file_;
};

TEST_F(TlsUpstreamTest, VerifiedUpstreamServesWholeAndStreamedAnswers) {
  TlsUpstream upstream(ca_.issue({"localhost"}, {"127.0.0.1"}));
  // By IP address (verified as one) and by host name (sent as SNI, verified as a name).
  for (const std::string origin : {"https://127.0.0.1", "https://localhost"}) {
    Served s = serve(upstream, origin, ca_file_);
    const HttpResponse whole =
        http(s.port, "POST", "/v1/chat/completions", chat_body(false), bearer(kAcmeKey));
    EXPECT_EQ(whole.status, 200) << origin << ": " << whole.body;
    EXPECT_NE(whole.body.find("\"chatcmpl-t\""), std::string::npos) << whole.body;
    const HttpResponse streamed =
        http(s.port, "POST", "/v1/chat/completions", chat_body(true), bearer(kAcmeKey));
    EXPECT_EQ(streamed.status, 200) << origin << ": " << streamed.body;
    EXPECT_NE(streamed.body.find("\"hi \""), std::string::npos) << streamed.body;
    EXPECT_NE(streamed.body.find("data: [DONE]"), std::string::npos) << streamed.body;
  }
  EXPECT_EQ(upstream.completions(), 4);
  EXPECT_EQ(upstream.failed_handshakes(), 0);
}

TEST_F(TlsUpstreamTest, SequentialRequestsThroughTheGatewayMakeNoNewHandshake) {
  TlsUpstream upstream(ca_.issue({"localhost"}, {"127.0.0.1"}));
  Served s = serve(upstream, "https://127.0.0.1", ca_file_);
  ASSERT_EQ(http(s.port, "POST", "/v1/chat/completions", chat_body(false), bearer(kAcmeKey)).status,
            200);
  // The first request's connection, and perhaps one the first health check opened beside it.
  const int after_first = upstream.handshakes();
  EXPECT_GE(after_first, 1);
  EXPECT_LE(after_first, 2);
  for (int i = 0; i < 20; ++i) {
    const HttpResponse r =
        http(s.port, "POST", "/v1/chat/completions", chat_body(i % 2 == 1), bearer(kAcmeKey));
    ASSERT_EQ(r.status, 200) << r.body;
  }
  EXPECT_EQ(upstream.completions(), 21);
  EXPECT_EQ(upstream.handshakes(), after_first);
}

// The client pool itself, in this process, in front of `upstream`: sends `n` chat requests one
// after another, keeping at most `max_idle` connections; how many were answered 200.
struct DirectPool {
  DirectPool(const TlsUpstream& upstream, const std::string& ca_file, size_t max_idle) {
    auto tls = TlsClientContext::load(ca_file);
    EXPECT_TRUE(tls.ok()) << tls.error().message;
    target = make_client_target("127.0.0.1", static_cast<uint16_t>(upstream.port()), max_idle,
                                tls.ok() ? tls.value() : nullptr);
  }
  int send_sequentially(int n) {
    int answered = 0;
    auto requests = [&]() -> asio::awaitable<void> {
      for (int i = 0; i < n; ++i) {
        const std::string body = chat_body(i % 2 == 1);
        const std::string head = fmt::format(
            "POST /v1/chat/completions HTTP/1.1\r\nHost: {}\r\nContent-Type: "
            "application/json\r\nContent-Length: {}\r\n\r\n",
            target.host_header, body.size());
        auto response = co_await pool.send(target, head, body, ClientTimeouts{});
        if (!response.ok()) {
          failure = response.error().message;
          co_return;
        }
        std::string answer;
        const Status read = co_await response.value().read_all(answer, size_t{1} << 20);
        if (read.ok() && response.value().status() == 200) ++answered;
      }
    };
    asio::co_spawn(io, requests(), asio::detached);
    io.run();
    return answered;
  }

  ClientTarget target;
  asio::io_context io;
  HttpClientPool pool{io, std::make_shared<DeadlineSweeper>(io, 100 * kNanosPerMilli)};
  std::string failure;
};

// Exactly one handshake for N requests, by the pool's count and the upstream's.
TEST_F(TlsUpstreamTest, ClientPoolMakesOneHandshakeForSequentialRequests) {
  TlsUpstream upstream(ca_.issue({"localhost"}, {"127.0.0.1"}));
  DirectPool direct(upstream, ca_file_, 8);
  constexpr int kRequests = 10;
  EXPECT_EQ(direct.send_sequentially(kRequests), kRequests);
  EXPECT_EQ(direct.failure, "");
  EXPECT_EQ(direct.pool.tls_handshakes(), 1u);
  EXPECT_EQ(direct.pool.idle_connections(), 1u);
  EXPECT_EQ(upstream.handshakes(), 1);
  EXPECT_EQ(upstream.completions(), kRequests);
}

// A connection opened after another was closed resumes the target's last session: the upstream
// sends no certificate and the pool verifies none again (nginx's proxy_ssl_session_reuse). Here
// no connection is kept (max_idle 0), so each request opens one.
TEST_F(TlsUpstreamTest, AReopenedConnectionResumesTheTargetsSession) {
  TlsUpstream upstream(ca_.issue({"localhost"}, {"127.0.0.1"}));
  DirectPool direct(upstream, ca_file_, 0);
  EXPECT_EQ(direct.send_sequentially(4), 4);
  EXPECT_EQ(direct.failure, "");
  EXPECT_EQ(direct.pool.tls_handshakes(), 4u);
  EXPECT_EQ(direct.pool.tls_resumed(), 3u);
  EXPECT_EQ(upstream.handshakes(), 4);
  EXPECT_EQ(upstream.resumed(), 3);
}

struct Refusal {
  const char* name;
  const char* origin;                 // how the gateway reaches the upstream
  std::vector<std::string> cert_dns;  // what the upstream's certificate is for
  std::vector<std::string> cert_ips;
  enum class Trust { kCaFile, kSystem, kOtherCa } trust;
  const char* reason;  // what the 502's message must say
};

class TlsRefusal : public TlsUpstreamTest, public ::testing::WithParamInterface<Refusal> {};

TEST_P(TlsRefusal, TheClientGetsA502ThatSaysWhy) {
  const Refusal& c = GetParam();
  TlsUpstream upstream(ca_.issue(c.cert_dns, c.cert_ips));
  TestCa other("another CA");
  const std::string ca_file = c.trust == Refusal::Trust::kCaFile ? ca_file_
                              : c.trust == Refusal::Trust::kOtherCa
                                  ? dir_.write("other.pem", other.cert_pem())
                                  : "";
  Served s = serve(upstream, c.origin, ca_file);
  for (const bool stream : {false, true}) {
    const HttpResponse r =
        http(s.port, "POST", "/v1/chat/completions", chat_body(stream), bearer(kAcmeKey));
    EXPECT_EQ(r.status, 502) << r.body;
    EXPECT_NE(r.body.find(R"({"error":{"message":"TLS handshake with )"), std::string::npos)
        << r.body;
    EXPECT_NE(r.body.find(std::string("certificate verify failed: ") + c.reason), std::string::npos)
        << r.body;
    EXPECT_NE(r.body.find(R"("type":"server_error")"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find(R"("code":"upstream_error")"), std::string::npos) << r.body;
  }
  EXPECT_EQ(upstream.handshakes(), 0);
  EXPECT_EQ(upstream.completions(), 0);
}

INSTANTIATE_TEST_SUITE_P(Cases, TlsRefusal,
                         ::testing::Values(Refusal{"HostNameMismatch",
                                                   "https://localhost",
                                                   {"other.example"},
                                                   {},
                                                   Refusal::Trust::kCaFile,
                                                   "hostname mismatch"},
                                           Refusal{"IpAddressMismatch",
                                                   "https://127.0.0.1",
                                                   {"localhost"},
                                                   {},
                                                   Refusal::Trust::kCaFile,
                                                   "IP address mismatch"},
                                           Refusal{"UntrustedBySystemStore",
                                                   "https://127.0.0.1",
                                                   {},
                                                   {"127.0.0.1"},
                                                   Refusal::Trust::kSystem,
                                                   "unable to get local issuer certificate"},
                                           Refusal{"SignedByAnotherCa",
                                                   "https://127.0.0.1",
                                                   {},
                                                   {"127.0.0.1"},
                                                   Refusal::Trust::kOtherCa,
                                                   "unable to get local issuer certificate"}),
                         [](const ::testing::TestParamInfo<Refusal>& info) {
                           return std::string(info.param.name);
                         });

}  // namespace
}  // namespace accord::testing
