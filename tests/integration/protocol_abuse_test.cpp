// Protocol abuse against a running gateway: each gets a clear error or is served correctly, and
// the gateway stays up and keeps its limits.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "agreements.h"
#include "harness.h"

namespace accord::testing {
namespace {

class Abuse : public ::testing::Test {
 protected:
  void SetUp() override {
    // Under AddressSanitizer freed blocks wait in a quarantine (to catch use after free), which
    // would read as memory growth below: without it, RSS measures what the gateway holds.
    // (Ignored by a build without sanitizers.)
    setenv("ASAN_OPTIONS", "quarantine_size_mb=0", 1);
    TestAgreement t;
    t.server = "max_connections_per_ip: 10000";  // the idle-connection test comes from one address
    s_ = start_serve(dir_.write("a.yaml", agreement_yaml(t, dir_)), {"--workers", "1"});
  }
  void TearDown() override {
    // Still up and serving after whatever the test did.
    EXPECT_EQ(http(s_.port, "POST", "/v1/chat/completions", chat_, bearer(kAcmeKey)).status, 200);
    s_.process->signal(SIGTERM);
    EXPECT_EQ(s_.process->wait_exit(), 0);
  }
  std::string raw(const std::string& bytes, int timeout_ms = 5000) {
    HttpConnection c(s_.port);
    c.send_raw(bytes);
    std::string all;
    HttpResponse r = c.read_response(timeout_ms);
    last_closed_ = c.closed_by_peer(2000);
    return std::to_string(r.status) + "\n" + r.body;
  }
  std::string auth() const { return "Authorization: Bearer " + kAcmeKey + "\r\n"; }

  TempDir dir_;
  Served s_;
  bool last_closed_ = false;
  const std::string chat_ =
      R"({"model":"m-local","messages":[{"role":"user","content":"hi"}],"max_tokens":2})";
};

TEST_F(Abuse, ContentLengthWithTransferEncodingIsRefusedAndTheConnectionClosed) {
  // A smuggled second request rides in the body; it must never be answered.
  const std::string smuggled = "GET /v1/models HTTP/1.1\r\nHost: x\r\n" + auth() + "\r\n";
  const std::string body = "0\r\n\r\n" + smuggled;
  const std::string out =
      raw("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n" + auth() +
          "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
          "\r\nTransfer-Encoding: chunked\r\n\r\n" + body);
  EXPECT_EQ(out.substr(0, 3), "400") << out;
  EXPECT_TRUE(last_closed_) << "the connection is closed after a framing error";
}

TEST_F(Abuse, ConflictingContentLengthsAreRefused) {
  const std::string out = raw("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n" + auth() +
                              "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!");
  EXPECT_EQ(out.substr(0, 3), "400") << out;
  EXPECT_TRUE(last_closed_);
}

// A bare CR in a value and bare LF line ends are refused, so no header value that an upstream
// might read as a line end (x-request-id is passed on) gets through. An obs-fold is replaced by
// a space, as RFC 9112 §5.2 allows, so it cannot carry a line end either.
TEST_F(Abuse, BareCarriageReturnsAndLineFeedsAreRefusedObsFoldIsASpace) {
  std::string out =
      raw("GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n  b\r\n" + auth() + "\r\n");
  EXPECT_EQ(out.substr(0, 3), "200") << out;
  out = raw("GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Bare: a\rb\r\n" + auth() + "\r\n");
  EXPECT_EQ(out.substr(0, 3), "400") << out;
  out = raw("GET /v1/models HTTP/1.1\nHost: x\n" + auth() + "\n");
  EXPECT_EQ(out.substr(0, 3), "400") << out;
}

TEST_F(Abuse, BadJsonGetsA400NamingTheProblem) {
  const auto post = [&](const std::string& b) {
    return http(s_.port, "POST", "/v1/chat/completions", b, bearer(kAcmeKey));
  };
  // Invalid UTF-8 inside a string.
  HttpResponse r =
      post(std::string(R"({"model":"m-local","messages":[{"role":"user","content":")") +
           "\xff\xfe" + R"("}]})");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("\"error\":{"), std::string::npos);
  // Deeply nested.
  r = post(R"({"model":"m-local","messages":)" + std::string(100000, '[') +
           std::string(100000, ']') + "}");
  EXPECT_EQ(r.status, 400) << r.body.substr(0, 300);
  // Absurd sizes.
  r = post(
      R"({"model":"m-local","messages":[{"role":"user","content":"hi"}],"max_tokens":99999999999})");
  EXPECT_EQ(r.status, 400) << r.body;
  r = post(
      R"({"model":"m-local","messages":[{"role":"user","content":"hi"}],"n":100000,"max_tokens":2})");
  EXPECT_EQ(r.status, 400) << r.body;
  std::string stops = "[";
  for (int i = 0; i < 100; ++i)
    stops += std::string(i ? "," : "") + "\"s" + std::to_string(i) + "\"";
  r = post(
      R"({"model":"m-local","messages":[{"role":"user","content":"hi"}],"max_tokens":2,"stop":)" +
      stops + "]}");
  EXPECT_EQ(r.status, 400) << r.body;
  // A malformed literal where null may stand (found by fuzz/request_body_fuzz: simdjson threw and
  // the connection closed without an answer).
  r = post(R"({"model":"m-local","messages":[{"role":"user","content":"hi"}],"stop":n\_"n"})");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("\"error\":{"), std::string::npos);
  // Unknown fields are passed over, not refused.
  r = post(
      R"({"model":"m-local","messages":[{"role":"user","content":"hi"}],"max_tokens":2,"x_vendor":{"a":[1,2]}})");
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST_F(Abuse, ThousandsOfIdleConnectionsDoNotStopTheServer) {
  // This test process needs a descriptor per connection: raise its soft limit to the hard one.
  rlimit nofile{};
  getrlimit(RLIMIT_NOFILE, &nofile);
  nofile.rlim_cur = nofile.rlim_max;
  setrlimit(RLIMIT_NOFILE, &nofile);
  const int n = static_cast<int>(std::min<rlim_t>(3000, nofile.rlim_cur - 100));
  ASSERT_GE(n, 1000) << "the hard descriptor limit is too low for this test";
  std::vector<std::unique_ptr<HttpConnection>> idle;
  for (int i = 0; i < n; ++i) idle.push_back(std::make_unique<HttpConnection>(s_.port));
  for (auto& c : idle) ASSERT_TRUE(c->connected());
  // Honest clients still get through, while the idle ones wait.
  EXPECT_EQ(http(s_.port, "POST", "/v1/chat/completions", chat_, bearer(kAcmeKey)).status, 200);
}

TEST_F(Abuse, ClientsThatLeaveMidStreamLeakNothing) {
  auto rss_kb = [&] {
    std::ifstream status("/proc/" + std::to_string(s_.process->pid()) + "/status");
    std::string line;
    while (std::getline(status, line)) {
      if (line.starts_with("VmRSS:")) return std::stol(line.substr(6));
    }
    return 0L;
  };
  const std::string stream =
      R"({"model":"m-local","messages":[{"role":"user","content":"hi"}],"max_tokens":2000,"ignore_eos":true,"stream":true})";
  auto round = [&] {
    for (int i = 0; i < 100; ++i) {
      HttpConnection c(s_.port);
      c.send_request("POST", "/v1/chat/completions", stream, bearer(kAcmeKey));
      c.read_head();
      c.next_sse_data();
    }  // closed mid-stream
  };
  round();  // warm up: pools and caches settle
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const long before = rss_kb();
  for (int i = 0; i < 3; ++i) round();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const long after = rss_kb();
  EXPECT_LT(after - before, 8 * 1024) << "RSS grew from " << before << " to " << after << " kB";
  // Every abandoned request ended: nothing is left running on the engine.
  const HttpResponse m = http(s_.port, "GET", "/metrics", "", bearer(kCloudKey));
  EXPECT_NE(m.body.find("accord_pool_slots_used{pool=\"local\"} 0"), std::string::npos)
      << m.body.substr(0, 200);
}

}  // namespace
}  // namespace accord::testing
