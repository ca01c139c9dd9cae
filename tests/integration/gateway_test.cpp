// accord serve in front of accord engine (real HTTP both ways), and the built-in engine in
// process: the OpenAI surface, streaming, errors and the upstream's failures.
#include <gtest/gtest.h>
#include <signal.h>

#include "agreements.h"
#include "harness.h"

namespace accord::testing {
namespace {

const std::string kChat =
    R"({"model":"MODEL","messages":[{"role":"user","content":"Hi"}],"max_tokens":8})";

std::string chat(const std::string& model, const std::string& extra = "") {
  std::string body = kChat;
  body.replace(body.find("MODEL"), 5, model);
  if (!extra.empty()) body.insert(body.size() - 1, "," + extra);
  return body;
}

class GatewayOverEngine : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = start_engine({"--gpu", "h100", "--model-params-b", "8", "--workers", "1"});
    ASSERT_GT(engine_.port, 0);
    TestAgreement t;
    t.upstream_ports = {engine_.port};
    config_ = dir_.write("agreement.yaml", agreement_yaml(t, dir_));
    gateway_ = start_serve(config_, {"--workers", "2"});
    ASSERT_GT(gateway_.port, 0);
  }

  TempDir dir_;
  std::string config_;
  Served engine_;
  Served gateway_;
};

TEST_F(GatewayOverEngine, NonStreamingThroughTheUpstream) {
  auto headers = bearer(kAcmeKey);
  headers["X-Request-Id"] = "my-request-1";
  const HttpResponse r = http(gateway_.port, "POST", "/v1/chat/completions", chat("m-up"), headers);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("x-request-id"), "my-request-1");
  EXPECT_NE(r.body.find("\"object\":\"chat.completion\""), std::string::npos);
  EXPECT_NE(r.body.find("\"system_fingerprint\":\"accord-sim\""), std::string::npos);
  EXPECT_NE(r.body.find("\"completion_tokens\":8"), std::string::npos) << r.body;
}

TEST_F(GatewayOverEngine, StreamWithoutUsageHasTheUsageChunkStripped) {
  HttpConnection c(gateway_.port);
  c.send_request("POST", "/v1/chat/completions", chat("m-up", R"("stream":true)"),
                 bearer(kAcmeKey));
  const HttpResponse head = c.read_head();
  ASSERT_EQ(head.status, 200);
  EXPECT_EQ(head.header("content-type"), "text/event-stream");
  std::vector<std::string> events;
  for (std::string e = c.next_sse_data(); !e.empty(); e = c.next_sse_data()) events.push_back(e);
  ASSERT_GE(events.size(), 3u);
  EXPECT_NE(events.front().find("\"role\":\"assistant\""), std::string::npos);
  EXPECT_EQ(events.back(), "[DONE]");
  EXPECT_NE(events[events.size() - 2].find("\"finish_reason\":\"length\""), std::string::npos);
  for (const auto& e : events) {
    EXPECT_EQ(e.find("\"choices\":[]"), std::string::npos) << "usage chunk leaked: " << e;
  }
}

TEST_F(GatewayOverEngine, StreamWithUsageKeepsTheUsageChunk) {
  HttpConnection c(gateway_.port);
  c.send_request("POST", "/v1/chat/completions",
                 chat("m-up", R"("stream":true,"stream_options":{"include_usage":true})"),
                 bearer(kAcmeKey));
  ASSERT_EQ(c.read_head().status, 200);
  std::vector<std::string> events;
  for (std::string e = c.next_sse_data(); !e.empty(); e = c.next_sse_data()) events.push_back(e);
  ASSERT_GE(events.size(), 2u);
  const std::string& usage = events[events.size() - 2];
  EXPECT_NE(usage.find("\"choices\":[]"), std::string::npos) << usage;
  EXPECT_NE(usage.find("\"completion_tokens\":8"), std::string::npos) << usage;
}

TEST_F(GatewayOverEngine, CompletionsAndEmbeddingsPassThrough) {
  HttpResponse r = http(gateway_.port, "POST", "/v1/completions",
                        R"({"model":"m-up","prompt":"Once","max_tokens":3})", bearer(kAcmeKey));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"object\":\"text_completion\""), std::string::npos);
  // The engine answers embeddings for any model name; the gateway refuses them for a chat model.
  r = http(gateway_.port, "POST", "/v1/embeddings", R"({"model":"m-up","input":"x"})",
           bearer(kAcmeKey));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("does not support embeddings"), std::string::npos);
}

TEST_F(GatewayOverEngine, ErrorsAreOpenAiShaped) {
  HttpResponse r = http(gateway_.port, "POST", "/v1/chat/completions", chat("m-up"));
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.body.find("\"type\":\"authentication_error\""), std::string::npos);
  r = http(gateway_.port, "POST", "/v1/chat/completions", chat("m-up"), bearer("sk-wrong"));
  EXPECT_EQ(r.status, 401);
  r = http(gateway_.port, "POST", "/v1/chat/completions", chat("nope"), bearer(kAcmeKey));
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("\"code\":\"model_not_found\""), std::string::npos);
  r = http(gateway_.port, "POST", "/v1/chat/completions", "{\"model\":", bearer(kAcmeKey));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("\"error\":{"), std::string::npos);
  r = http(gateway_.port, "POST", "/v1/chat/completions",
           R"({"model":"m-up","messages":[{"role":"user","content":"x"}],"max_tokens":"9"})",
           bearer(kAcmeKey));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("\"param\":\"max_tokens\""), std::string::npos);
  r = http(gateway_.port, "GET", "/v1/chat/completions", "", bearer(kAcmeKey));
  EXPECT_EQ(r.status, 405);
  r = http(gateway_.port, "GET", "/v2/nothing", "", bearer(kAcmeKey));
  EXPECT_EQ(r.status, 404);
}

TEST_F(GatewayOverEngine, KeepAliveAndPipelining) {
  HttpConnection c(gateway_.port);
  // Two requests written back to back before reading either.
  c.send_request("GET", "/v1/models", "", bearer(kAcmeKey));
  c.send_request("POST", "/v1/chat/completions", chat("m-local"), bearer(kAcmeKey));
  const HttpResponse first = c.read_response();
  const HttpResponse second = c.read_response();
  EXPECT_EQ(first.status, 200);
  EXPECT_NE(first.body.find("\"id\":\"m-up\""), std::string::npos);
  EXPECT_EQ(second.status, 200) << second.body;
  c.send_request("GET", "/healthz", "");
  EXPECT_EQ(c.read_response().status, 200);
}

// The gateway remembers a keep-alive connection's last key so as not to hash it again: a request
// on the same connection with another key, or with the same key one character off, is judged by
// its own key.
TEST_F(GatewayOverEngine, EachRequestOnAConnectionIsJudgedByItsOwnKey) {
  HttpConnection c(gateway_.port);
  const auto ask = [&c](const std::string& key) {
    c.send_request("POST", "/v1/chat/completions", chat("m-local"), bearer(key));
    return c.read_response().status;
  };
  std::string off_by_one = kAcmeKey;
  off_by_one.back() = off_by_one.back() == 'x' ? 'y' : 'x';
  EXPECT_EQ(ask(kAcmeKey), 200);
  EXPECT_EQ(ask(off_by_one), 401);
  EXPECT_EQ(ask(kAcmeKey), 200);
  EXPECT_EQ(ask(kCloudKey), 403);  // the operator's party has no tier: it may call no model
  EXPECT_EQ(ask(kAcmeKey), 200);
  EXPECT_EQ(ask(""), 401);
}

TEST_F(GatewayOverEngine, ReadyzReflectsTheUpstream) {
  EXPECT_EQ(http(gateway_.port, "GET", "/readyz").status, 200);
  EXPECT_EQ(http(gateway_.port, "GET", "/healthz").status, 200);
}

// The upstream dies in the middle of a stream: the client gets a clean error event and the end
// of the stream; the gateway keeps serving.
TEST_F(GatewayOverEngine, UpstreamKilledMidStream) {
  HttpConnection c(gateway_.port);
  c.send_request(
      "POST", "/v1/chat/completions",
      R"({"model":"m-up","messages":[{"role":"user","content":"x"}],"max_tokens":4000,"ignore_eos":true,"stream":true})",
      bearer(kAcmeKey));
  ASSERT_EQ(c.read_head().status, 200);
  for (int i = 0; i < 5; ++i) ASSERT_FALSE(c.next_sse_data().empty());
  engine_.process->signal(SIGKILL);
  std::string last;
  for (std::string e = c.next_sse_data(); !e.empty(); e = c.next_sse_data()) last = e;
  EXPECT_NE(last.find("\"error\":{"), std::string::npos) << last;
  EXPECT_NE(last.find("upstream"), std::string::npos) << last;
  // Still serving: the built-in pool answers, the dead upstream gets a clean 5xx.
  EXPECT_EQ(
      http(gateway_.port, "POST", "/v1/chat/completions", chat("m-local"), bearer(kAcmeKey)).status,
      200);
  const HttpResponse r =
      http(gateway_.port, "POST", "/v1/chat/completions", chat("m-up"), bearer(kAcmeKey));
  EXPECT_GE(r.status, 500);
  EXPECT_NE(r.body.find("\"error\":{"), std::string::npos);
  EXPECT_TRUE(gateway_.process->running());
}

TEST(GatewayUpstreams, RetriesOnAnotherEndpointAndEjectsTheDeadOne) {
  Served engine = start_engine({"--workers", "1"});
  // A port nothing listens on: bind, note, close.
  Served dead = start_engine({"--workers", "1"});
  const int dead_port = dead.port;
  dead.process->signal(SIGKILL);
  dead.process->wait_exit();
  TempDir dir;
  TestAgreement t;
  t.upstream_ports = {dead_port, engine.port};
  Served gateway = start_serve(dir.write("a.yaml", agreement_yaml(t, dir)), {"--workers", "1"});
  for (int i = 0; i < 6; ++i) {
    const HttpResponse r =
        http(gateway.port, "POST", "/v1/chat/completions", chat("m-up"), bearer(kAcmeKey));
    EXPECT_EQ(r.status, 200) << r.body;
  }
}

}  // namespace
}  // namespace accord::testing
