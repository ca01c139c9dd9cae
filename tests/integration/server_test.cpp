// The HTTP edge and the process: limits on bodies, headers and connections, slow clients,
// reload on SIGHUP and /admin/reload, and the drain on SIGTERM.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <fstream>
#include <thread>
#include <vector>

#include "agreements.h"
#include "harness.h"

namespace accord::testing {
namespace {

const std::string kChat =
    R"({"model":"m-local","messages":[{"role":"user","content":"Hi"}],"max_tokens":4})";

Served serve_with(const TempDir& dir, const std::string& server_keys) {
  TestAgreement t;
  t.server = server_keys;
  return start_serve(dir.write("a.yaml", agreement_yaml(t, dir)), {"--workers", "1"});
}

TEST(Server, OversizedBodyIsRefusedFromTheHeadersAlone) {
  TempDir dir;
  Served s = serve_with(dir, "max_body_bytes: 1024");
  HttpConnection c(s.port);
  // Announce 10 MB and send none of it: the answer must come anyway.
  c.send_raw("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kAcmeKey +
             "\r\nContent-Type: application/json\r\nContent-Length: 10000000\r\n\r\n");
  const HttpResponse r = c.read_response(5'000);
  EXPECT_EQ(r.status, 413);
  EXPECT_NE(r.body.find("\"code\":\"payload_too_large\""), std::string::npos) << r.body;
  EXPECT_TRUE(c.closed_by_peer(5'000));
}

TEST(Server, ChunkedBodyOverTheLimitIs413) {
  TempDir dir;
  Served s = serve_with(dir, "max_body_bytes: 1024");
  HttpConnection c(s.port);
  c.send_raw(
      "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "800\r\n" +
      std::string(2048, 'a') + "\r\n0\r\n\r\n");
  EXPECT_EQ(c.read_response(5'000).status, 413);
}

TEST(Server, ChunkedRequestBodiesAreRead) {
  TempDir dir;
  Served s = serve_with(dir, "");
  HttpConnection c(s.port);
  const std::string half1 = kChat.substr(0, 20), half2 = kChat.substr(20);
  char size1[16], size2[16];
  snprintf(size1, sizeof size1, "%zx", half1.size());
  snprintf(size2, sizeof size2, "%zx", half2.size());
  c.send_raw("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kAcmeKey +
             "\r\nTransfer-Encoding: chunked\r\n\r\n" + size1 + "\r\n" + half1 + "\r\n" + size2 +
             "\r\n" + half2 + "\r\n0\r\n\r\n");
  const HttpResponse r = c.read_response();
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST(Server, OversizedHeadersAre431) {
  TempDir dir;
  Served s = serve_with(dir, "max_header_bytes: 2048");
  HttpConnection c(s.port);
  c.send_raw("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4096, 'b') + "\r\n\r\n");
  EXPECT_EQ(c.read_response(5'000).status, 431);
}

TEST(Server, SlowHeadersTimeOut) {
  TempDir dir;
  Served s = serve_with(dir, "header_timeout_ms: 300");
  HttpConnection c(s.port);
  c.send_raw("GET /healthz HTTP/1.1\r\nHost: x\r\n");  // and never the blank line
  const HttpResponse r = c.read_response(5'000);
  EXPECT_EQ(r.status, 408);
  EXPECT_TRUE(c.closed_by_peer(5'000));
}

TEST(Server, SlowBodyTimesOut) {
  TempDir dir;
  Served s = serve_with(dir, "body_timeout_ms: 300");
  HttpConnection c(s.port);
  c.send_raw("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{");
  EXPECT_EQ(c.read_response(5'000).status, 408);
}

TEST(Server, ConnectionsPerAddressAreCapped) {
  TempDir dir;
  Served s = serve_with(dir, "max_connections_per_ip: 2");
  HttpConnection a(s.port), b(s.port);
  a.send_request("GET", "/healthz", "");
  b.send_request("GET", "/healthz", "");
  EXPECT_EQ(a.read_response().status, 200);
  EXPECT_EQ(b.read_response().status, 200);
  HttpConnection third(s.port);
  EXPECT_TRUE(third.closed_by_peer(5'000));
  // The two honest connections keep working.
  a.send_request("GET", "/healthz", "");
  EXPECT_EQ(a.read_response().status, 200);
}

TEST(Server, ReloadKeepsTheOldAgreementWhenTheNewOneIsInvalid) {
  TempDir dir;
  TestAgreement t;
  const std::string path = dir.write("a.yaml", agreement_yaml(t, dir));
  Served s = start_serve(path, {"--workers", "1"});
  // A broken file on SIGHUP: logged, refused, the old agreement keeps serving.
  dir.write("a.yaml", "parties: {\n");
  s.process->signal(SIGHUP);
  s.process->wait_for_line("the new agreement is invalid");
  EXPECT_EQ(http(s.port, "POST", "/v1/chat/completions", kChat, bearer(kAcmeKey)).status, 200);
  // /admin/reload: customers may not; the operator gets the errors back.
  EXPECT_EQ(http(s.port, "POST", "/admin/reload", "", bearer(kAcmeKey)).status, 403);
  HttpResponse r = http(s.port, "POST", "/admin/reload", "", bearer(kCloudKey));
  EXPECT_EQ(r.status, 422);
  EXPECT_NE(r.body.find("a.yaml:"), std::string::npos) << r.body;
  // A valid file with a new model: reloaded, and the model is there.
  t.extra_models = "  m-new: { owner: lab, pool: local }\n";
  dir.write("a.yaml", agreement_yaml(t, dir));
  r = http(s.port, "POST", "/admin/reload", "", bearer(kCloudKey));
  EXPECT_EQ(r.status, 200) << r.body;
  r = http(s.port, "GET", "/v1/models", "", bearer(kAcmeKey));
  EXPECT_NE(r.body.find("\"id\":\"m-new\""), std::string::npos) << r.body;
}

TEST(Server, SigtermDrainsInFlightStreamsThenExits) {
  TempDir dir;
  TestAgreement t;
  Served s = start_serve(dir.write("a.yaml", agreement_yaml(t, dir)), {"--workers", "1"});
  HttpConnection streaming(s.port);
  streaming.send_request(
      "POST", "/v1/chat/completions",
      R"({"model":"m-local","messages":[{"role":"user","content":"x"}],"max_tokens":60,"ignore_eos":true,"stream":true})",
      bearer(kAcmeKey));
  ASSERT_EQ(streaming.read_head().status, 200);
  ASSERT_FALSE(streaming.next_sse_data().empty());
  HttpConnection idle(s.port);  // an idle keep-alive connection
  idle.send_request("GET", "/healthz", "");
  ASSERT_EQ(idle.read_response().status, 200);
  s.process->signal(SIGTERM);
  EXPECT_TRUE(idle.closed_by_peer(5'000));
  // The stream runs to its end.
  const std::vector<std::string> rest = streaming.remaining_sse_data();
  ASSERT_FALSE(rest.empty());
  EXPECT_EQ(rest.back(), "[DONE]");
  EXPECT_GE(rest.size(), 59u);  // and the one read before SIGTERM
  EXPECT_EQ(s.process->wait_exit(), 0);
  EXPECT_FALSE(HttpConnection(s.port).connected());
}

TEST(Server, ExpectContinueIsHonoured) {
  TempDir dir;
  Served s = serve_with(dir, "");
  HttpConnection c(s.port);
  c.send_raw("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kAcmeKey +
             "\r\nExpect: 100-continue\r\nContent-Length: " + std::to_string(kChat.size()) +
             "\r\n\r\n");
  const HttpResponse interim = c.read_head();
  EXPECT_EQ(interim.status, 100);
  c.send_raw(kChat);
  EXPECT_EQ(c.read_response().status, 200);
}

}  // namespace
}  // namespace accord::testing

namespace accord::testing {
namespace {

// SIGHUP with a broken file, then a good one, while four clients keep sending: not one request
// fails, the broken file is refused, the good one takes effect.
TEST(Server, ReloadsUnderLoadLoseNoRequest) {
  TempDir dir;
  TestAgreement t;
  const std::string path = dir.write("a.yaml", agreement_yaml(t, dir));
  Served s = start_serve(path, {"--workers", "2"});
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < 4; ++i) {
    clients.emplace_back([&] {
      HttpConnection c(s.port);
      while (!stop.load()) {
        c.send_request("POST", "/v1/chat/completions", kChat, bearer(kAcmeKey));
        const HttpResponse r = c.read_response(10'000);
        (r.status == 200 ? ok : failed)++;
        if (r.status == 0) return;
      }
    });
  }
  while (ok.load() < 20) std::this_thread::yield();
  dir.write("a.yaml", "parties: {\n");
  s.process->signal(SIGHUP);
  s.process->wait_for_line("the new agreement is invalid");
  const int before = ok.load();
  while (ok.load() < before + 20) std::this_thread::yield();
  t.extra_models = "  m-new: { owner: lab, pool: local }\n";
  dir.write("a.yaml", agreement_yaml(t, dir));
  s.process->signal(SIGHUP);
  s.process->wait_for_line("SIGHUP: agreement reloaded");
  const int after = ok.load();
  while (ok.load() < after + 20) std::this_thread::yield();
  stop.store(true);
  for (auto& c : clients) c.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_NE(http(s.port, "GET", "/v1/models", "", bearer(kAcmeKey)).body.find("\"id\":\"m-new\""),
            std::string::npos);
}

}  // namespace
}  // namespace accord::testing

namespace accord::testing {
namespace {

// With --workers unset, one event loop per CPU the process may use: under `taskset -c 0`, one,
// and the log says what it found.
TEST(Server, TheDefaultLoopCountFollowsTheCpusTheProcessMayUse) {
  TempDir dir;
  const std::string config = dir.write("a.yaml", agreement_yaml(TestAgreement{}, dir));
  Process p({"/usr/bin/taskset", "-c", "0", accord_binary(), "serve", "--config", config,
             "--listen", "127.0.0.1:0", "--access-log", "off"});
  EXPECT_EQ(p.wait_for_line(R"(with (\d+) event loop)"), "1") << p.captured();
  EXPECT_NE(p.captured().find("1 CPU (affinity 1"), std::string::npos) << p.captured();
  p.signal(SIGTERM);
  EXPECT_EQ(p.wait_exit(), 0);
}

}  // namespace
}  // namespace accord::testing
