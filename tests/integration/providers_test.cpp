// Upstream providers: a pool's `provider` decides the path each call goes to, the header that
// carries the endpoint's key (and no other credential header), the version it pins, and for
// Anthropic the translation of Chat Completions to Messages and back (usage, with cached prompt
// tokens, reaching the ledger). Keys are read from api_key_env or api_key_file when the agreement
// is loaded; a reload re-reads a rotated file; an endpoint's own key overrides its pool's.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include "agreements.h"
#include "harness.h"
#include "recording_upstream.h"

namespace accord::testing {
namespace {

const std::string kOpenAiKey = "sk-test-openai-Zq81mVd0Lx";
const std::string kAzureKey = "az-test-azure-Pw52kRt7Ye";
const std::string kAnthropicKey = "sk-ant-test-Hc39nBv4Qs";

std::string chat(const std::string& model, const std::string& extra = "") {
  return R"({"model":")" + model + R"(","messages":[{"role":"user","content":"hi"}])" + extra + "}";
}

// Model m-ren is m-up renamed for the upstream.
constexpr const char* kRenamed = "  m-ren: { owner: lab, pool: up, upstream_model: up-name-2 }\n";

// The credential headers a provider might read; a request should carry exactly one of them.
int credential_headers(const RecordedRequest& r) {
  return static_cast<int>(r.headers.count("authorization") + r.headers.count("api-key") +
                          r.headers.count("x-api-key"));
}

TEST(Providers, OpenAiSendsItsKeyAsABearerTokenToTheUrlsPath) {
  RecordingUpstream upstream(Dialect::kOpenAi);
  TempDir dir;
  setenv("ACCORD_TEST_OPENAI_KEY", kOpenAiKey.c_str(), 1);
  TestAgreement t;
  t.upstream_ports = {upstream.port()};
  t.up_extra = "api_key_env: ACCORD_TEST_OPENAI_KEY";
  t.extra_models = kRenamed;
  Served s = start_serve(dir.write("a.yaml", agreement_yaml(t, dir)), {"--workers", "1"});
  const HttpResponse r =
      http(s.port, "POST", "/v1/chat/completions", chat("m-ren"), bearer(kAcmeKey));
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(upstream.posts().size(), 1u);
  const RecordedRequest sent = upstream.posts()[0];
  EXPECT_EQ(sent.target, "/v1/chat/completions");
  EXPECT_EQ(sent.header("authorization"), "Bearer " + kOpenAiKey);
  EXPECT_EQ(credential_headers(sent), 1);
  EXPECT_NE(sent.body.find(R"("model":"up-name-2")"), std::string::npos) << sent.body;
  unsetenv("ACCORD_TEST_OPENAI_KEY");
}

TEST(Providers, AzureNamesTheDeploymentAndApiVersionAndSendsApiKey) {
  RecordingUpstream upstream(Dialect::kOpenAi);
  TempDir dir;
  TestAgreement t;
  t.upstream_ports = {upstream.port()};
  t.upstream_path = "";  // https://RESOURCE.openai.azure.com
  t.up_extra = "provider: azure\n    api_version: 2024-10-21\n    api_key_file: \"" +
               dir.write("azure.key", kAzureKey + "\n") + "\"";
  t.extra_models = std::string(kRenamed) + "  m-emb: { owner: lab, pool: up, kind: embedding }\n";
  Served s = start_serve(dir.write("a.yaml", agreement_yaml(t, dir)), {"--workers", "1"});
  EXPECT_EQ(http(s.port, "POST", "/v1/chat/completions", chat("m-ren"), bearer(kAcmeKey)).status,
            200);
  EXPECT_EQ(http(s.port, "POST", "/v1/chat/completions", chat("m-up", R"(,"stream":true)"),
                 bearer(kAcmeKey))
                .status,
            200);
  EXPECT_EQ(http(s.port, "POST", "/v1/completions", R"({"model":"m-up","prompt":"Once"})",
                 bearer(kAcmeKey))
                .status,
            200);
  EXPECT_EQ(
      http(s.port, "POST", "/v1/embeddings", R"({"model":"m-emb","input":"x"})", bearer(kAcmeKey))
          .status,
      200);
  const auto posts = upstream.posts();
  ASSERT_EQ(posts.size(), 4u);
  // The deployment is the model's name on the pool: its upstream_model, else its own.
  EXPECT_EQ(posts[0].target,
            "/openai/deployments/up-name-2/chat/completions?api-version=2024-10-21");
  EXPECT_EQ(posts[1].target, "/openai/deployments/m-up/chat/completions?api-version=2024-10-21");
  EXPECT_EQ(posts[2].target, "/openai/deployments/m-up/completions?api-version=2024-10-21");
  EXPECT_EQ(posts[3].target, "/openai/deployments/m-emb/embeddings?api-version=2024-10-21");
  for (const RecordedRequest& r : posts) {
    EXPECT_EQ(r.header("api-key"), kAzureKey) << "the file's line, without its newline";
    EXPECT_EQ(credential_headers(r), 1) << r.target;
  }
}

class AnthropicPool : public ::testing::Test {
 protected:
  Served serve(const std::string& extra = "") {
    setenv("ACCORD_TEST_ANTHROPIC_KEY", kAnthropicKey.c_str(), 1);
    TestAgreement t;
    t.upstream_ports = {upstream_.port()};
    t.upstream_path = "";  // https://api.anthropic.com
    t.up_extra = "provider: anthropic\n    api_key_env: ACCORD_TEST_ANTHROPIC_KEY" + extra;
    t.extra_models = kRenamed;
    return start_serve(dir_.write("a.yaml", agreement_yaml(t, dir_)), {"--workers", "1"});
  }
  ~AnthropicPool() override { unsetenv("ACCORD_TEST_ANTHROPIC_KEY"); }

  RecordingUpstream upstream_{Dialect::kAnthropic};
  TempDir dir_;
};

// Chat, whole and streamed, goes to /v1/messages as a Messages request and comes back as Chat
// Completions; the ledger has Anthropic's usage (cache reads as cached prompt tokens).
TEST_F(AnthropicPool, ChatIsTranslatedBothWaysWithItsUsageInTheLedger) {
  Served s = serve();
  const HttpResponse whole =
      http(s.port, "POST", "/v1/chat/completions", chat("m-ren"), bearer(kAcmeKey));
  ASSERT_EQ(whole.status, 200) << whole.body;
  EXPECT_NE(whole.body.find(R"("object":"chat.completion")"), std::string::npos) << whole.body;
  EXPECT_NE(whole.body.find(R"("content":"hi there")"), std::string::npos) << whole.body;
  EXPECT_NE(whole.body.find(R"("model":"m-ren")"), std::string::npos) << whole.body;
  EXPECT_NE(whole.body.find(R"("prompt_tokens":11)"), std::string::npos) << whole.body;
  EXPECT_NE(whole.body.find(R"("cached_tokens":4)"), std::string::npos) << whole.body;

  ASSERT_EQ(upstream_.posts().size(), 1u);
  const RecordedRequest sent = upstream_.posts()[0];
  EXPECT_EQ(sent.target, "/v1/messages");
  EXPECT_EQ(sent.header("x-api-key"), kAnthropicKey);
  EXPECT_EQ(sent.header("anthropic-version"), "2023-06-01");
  EXPECT_EQ(credential_headers(sent), 1);
  EXPECT_NE(sent.body.find(R"("model":"up-name-2")"), std::string::npos) << sent.body;
  EXPECT_NE(sent.body.find(R"("max_tokens":4096)"), std::string::npos) << sent.body;

  // Streamed: the usage chunk only for a client that asked for it.
  for (const bool include_usage : {false, true}) {
    HttpConnection c(s.port);
    c.send_request(
        "POST", "/v1/chat/completions",
        chat("m-ren", include_usage ? R"(,"stream":true,"stream_options":{"include_usage":true})"
                                    : R"(,"stream":true)"),
        bearer(kAcmeKey));
    ASSERT_EQ(c.read_head().status, 200);
    std::vector<std::string> events;
    for (std::string e = c.next_sse_data(); !e.empty(); e = c.next_sse_data()) events.push_back(e);
    ASSERT_GE(events.size(), 4u);
    std::string text;
    for (const std::string& e : events) {
      if (const size_t at = e.find(R"("content":")"); at != std::string::npos) {
        text += e.substr(at + 11, e.find('"', at + 11) - at - 11);
      }
    }
    EXPECT_EQ(text, "hi there");
    EXPECT_EQ(events.back(), "[DONE]");
    const std::string& before_done = events[events.size() - 2];
    if (include_usage) {
      EXPECT_NE(before_done.find(R"("choices":[])"), std::string::npos) << before_done;
      EXPECT_NE(before_done.find(R"("completion_tokens":3)"), std::string::npos) << before_done;
    } else {
      for (const auto& e : events) {
        EXPECT_EQ(e.find(R"("usage")"), std::string::npos) << "usage chunk leaked: " << e;
      }
      EXPECT_NE(before_done.find(R"("finish_reason":"stop")"), std::string::npos) << before_done;
    }
  }
  EXPECT_NE(upstream_.posts()[1].body.find(R"("stream":true)"), std::string::npos);
  s.process->signal(SIGTERM);
  ASSERT_EQ(s.process->wait_exit(), 0);
  EXPECT_EQ(count_rows(dir_.path() + "/ledger.db",
                       "model = 'm-ren' AND status = 200 AND prompt_tokens = 11 AND "
                       "cached_prompt_tokens = 4 AND completion_tokens = 3"),
            3);
}

// A Messages request goes to an Anthropic pool as received (but for the model's name on the
// pool), and the upstream's answer, whole or streamed, reaches the client byte for byte; the
// ledger still has its usage (cache reads as cached prompt tokens).
TEST_F(AnthropicPool, MessagesAreRelayedAsReceivedWithTheirUsageInTheLedger) {
  Served s = serve();
  const std::string request =
      R"({"max_tokens":64, "model" : "m-ren","messages":[{"role":"user","content":"hi"}]})";
  const std::string streamed =
      R"({"model":"m-ren","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"hi"}]})";
  auto with_beta = bearer(kAcmeKey);
  with_beta["anthropic-beta"] = "token-efficient-tools-2025-02-19";
  const HttpResponse whole = http(s.port, "POST", "/v1/messages", request, with_beta);
  ASSERT_EQ(whole.status, 200) << whole.body;
  EXPECT_EQ(whole.body, anthropic_answer_body(false));
  const HttpResponse stream = http(s.port, "POST", "/v1/messages", streamed, bearer(kAcmeKey));
  ASSERT_EQ(stream.status, 200) << stream.body;
  EXPECT_EQ(stream.body, anthropic_answer_body(true));

  const auto posts = upstream_.posts();
  ASSERT_EQ(posts.size(), 2u);
  EXPECT_EQ(posts[0].target, "/v1/messages");
  EXPECT_EQ(posts[0].header("x-api-key"), kAnthropicKey);
  EXPECT_EQ(posts[0].header("anthropic-version"), "2023-06-01") << "the pool's";
  EXPECT_EQ(posts[0].header("anthropic-beta"), "token-efficient-tools-2025-02-19")
      << "the client's beta features go with a relayed request";
  EXPECT_EQ(posts[1].header("anthropic-beta"), "");
  EXPECT_EQ(
      posts[0].body,
      R"({"max_tokens":64, "model" : "up-name-2","messages":[{"role":"user","content":"hi"}]})");
  EXPECT_EQ(
      posts[1].body,
      R"({"model":"up-name-2","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"hi"}]})");
  s.process->signal(SIGTERM);
  ASSERT_EQ(s.process->wait_exit(), 0);
  EXPECT_EQ(count_rows(dir_.path() + "/ledger.db",
                       "model = 'm-ren' AND status = 200 AND prompt_tokens = 11 AND "
                       "cached_prompt_tokens = 4 AND completion_tokens = 3"),
            2);
}

// Extended thinking (and whatever else the Chat translation cannot carry) is relayed as received
// to the Anthropic pool, and refused with a 400 naming the field for a model served elsewhere.
TEST_F(AnthropicPool, WhatOnlyTheMessagesApiCarriesIsRelayedAndRefusedWhereItWouldBeTranslated) {
  Served s = serve();
  const std::string thinking =
      R"({"model":"m-up","max_tokens":2048,"thinking":{"type":"enabled","budget_tokens":1024},)"
      R"("messages":[{"role":"user","content":"hi"}]})";
  const HttpResponse r = http(s.port, "POST", "/v1/messages", thinking, bearer(kAcmeKey));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, anthropic_answer_body(false));
  ASSERT_EQ(upstream_.posts().size(), 1u);
  EXPECT_EQ(upstream_.posts()[0].body, thinking);

  std::string elsewhere = thinking;
  elsewhere.replace(elsewhere.find("m-up"), 4, "m-local");
  const HttpResponse refused = http(s.port, "POST", "/v1/messages", elsewhere, bearer(kAcmeKey));
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_EQ(refused.body.rfind(R"({"type":"error","error":{"type":"invalid_request_error")", 0), 0u)
      << refused.body;
  EXPECT_NE(refused.body.find("thinking"), std::string::npos) << refused.body;
  EXPECT_EQ(upstream_.posts().size(), 1u);
}

// Anthropic's error event in the middle of a relayed stream reaches the client as Anthropic wrote
// it and ends the stream; the ledger records the failure.
TEST_F(AnthropicPool, AnErrorEventEndsARelayedStream) {
  Served s = serve();
  upstream_.break_streams(true);
  const HttpResponse r = http(
      s.port, "POST", "/v1/messages",
      R"({"model":"m-up","max_tokens":8,"stream":true,"messages":[{"role":"user","content":"hi"}]})",
      bearer(kAcmeKey));
  ASSERT_EQ(r.status, 200) << r.body;
  const auto events = anthropic_events();
  EXPECT_EQ(r.body,
            events[0] + events[1] +
                "event: error\ndata: "
                R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})"
                "\n\n");
  s.process->signal(SIGTERM);
  ASSERT_EQ(s.process->wait_exit(), 0);
  EXPECT_EQ(count_rows(dir_.path() + "/ledger.db", "model = 'm-up' AND status = 503"), 1);
}

// The upstream's refusal of a relayed request reaches the client in Anthropic's shape, without
// the key it repeats.
TEST_F(AnthropicPool, ARelayedRequestsRefusalKeepsAnthropicsShape) {
  Served s = serve();
  upstream_.refuse_with(401);
  const HttpResponse r =
      http(s.port, "POST", "/v1/messages",
           R"({"model":"m-ren","max_tokens":8,"messages":[{"role":"user","content":"hi"}]})",
           bearer(kAcmeKey));
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_EQ(r.body.rfind(R"({"type":"error","error":{"type":"authentication_error")", 0), 0u)
      << r.body;
  EXPECT_EQ(r.body.find(kAnthropicKey), std::string::npos) << r.body;
}

TEST_F(AnthropicPool, ServesChatOnlyAndAnswersItsRefusalsInOpenAisShape) {
  Served s = serve("\n    anthropic_version: 2024-01-01");
  // (`accord check` refuses an embedding model on the pool.)
  HttpResponse r = http(s.port, "POST", "/v1/completions", R"({"model":"m-up","prompt":"Once"})",
                        bearer(kAcmeKey));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("provider anthropic serves chat only"), std::string::npos) << r.body;
  EXPECT_TRUE(upstream_.posts().empty());

  ASSERT_EQ(http(s.port, "POST", "/v1/chat/completions", chat("m-up"), bearer(kAcmeKey)).status,
            200);
  EXPECT_EQ(upstream_.posts().back().header("anthropic-version"), "2024-01-01");
  EXPECT_NE(upstream_.posts().back().body.find(R"("model":"m-up")"), std::string::npos);

  // Anthropic refuses the key (and repeats it): the client gets an OpenAI error, not the key.
  upstream_.refuse_with(401);
  r = http(s.port, "POST", "/v1/chat/completions", chat("m-up"), bearer(kAcmeKey));
  EXPECT_EQ(r.status, 502) << r.body;  // the gateway's credential, not the client's
  EXPECT_NE(r.body.find(R"({"error":{"message":)"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find(kAnthropicKey), std::string::npos) << r.body;
}

// Anthropic's 529 (overloaded) before the first byte is retried on the pool's next endpoint.
TEST(Providers, AnAnthropicOverloadIsRetriedOnAnotherEndpoint) {
  RecordingUpstream overloaded(Dialect::kAnthropic);
  RecordingUpstream healthy(Dialect::kAnthropic);
  overloaded.refuse_with(529);
  TempDir dir;
  TestAgreement t;
  t.upstream_ports = {overloaded.port(), healthy.port()};
  t.upstream_path = "";
  t.up_extra = "provider: anthropic";
  Served s = start_serve(dir.write("a.yaml", agreement_yaml(t, dir)), {"--workers", "1"});
  for (const std::string extra : {"", R"(,"stream":true)"}) {
    const HttpResponse r =
        http(s.port, "POST", "/v1/chat/completions", chat("m-up", extra), bearer(kAcmeKey));
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_NE(r.body.find("there"), std::string::npos) << r.body;
  }
  EXPECT_GE(overloaded.posts().size(), 1u);
  ASSERT_EQ(healthy.posts().size(), 2u);
  EXPECT_EQ(credential_headers(healthy.posts()[0]), 0);  // no key configured: none sent
  EXPECT_EQ(healthy.posts()[0].header("anthropic-version"), "2023-06-01");
}

TEST(Providers, ARotatedKeyFileIsSentAfterAReload) {
  RecordingUpstream upstream(Dialect::kOpenAi);
  TempDir dir;
  TestAgreement t;
  t.upstream_ports = {upstream.port()};
  t.up_extra = "api_key_file: \"" + dir.write("up.key", "sk-first-key-A1") + "\"";
  Served s = start_serve(dir.write("a.yaml", agreement_yaml(t, dir)), {"--workers", "1"});
  ASSERT_EQ(http(s.port, "POST", "/v1/chat/completions", chat("m-up"), bearer(kAcmeKey)).status,
            200);
  dir.write("up.key", "sk-second-key-B2\n");
  ASSERT_EQ(http(s.port, "POST", "/v1/chat/completions", chat("m-up"), bearer(kAcmeKey)).status,
            200);  // read at load, not per request
  ASSERT_EQ(http(s.port, "POST", "/admin/reload", "", bearer(kCloudKey)).status, 200);
  ASSERT_EQ(http(s.port, "POST", "/v1/chat/completions", chat("m-up"), bearer(kAcmeKey)).status,
            200);
  const auto posts = upstream.posts();
  ASSERT_EQ(posts.size(), 3u);
  EXPECT_EQ(posts[0].header("authorization"), "Bearer sk-first-key-A1");
  EXPECT_EQ(posts[1].header("authorization"), "Bearer sk-first-key-A1");
  EXPECT_EQ(posts[2].header("authorization"), "Bearer sk-second-key-B2");
  // A key file gone: the reload is refused, naming the key, and the old key keeps serving.
  std::remove((dir.path() + "/up.key").c_str());
  const HttpResponse refused = http(s.port, "POST", "/admin/reload", "", bearer(kCloudKey));
  EXPECT_NE(refused.status, 200);
  ASSERT_EQ(http(s.port, "POST", "/v1/chat/completions", chat("m-up"), bearer(kAcmeKey)).status,
            200);
  EXPECT_EQ(upstream.posts().back().header("authorization"), "Bearer sk-second-key-B2");
}

TEST(Providers, AnEndpointsOwnKeyOverridesItsPools) {
  RecordingUpstream upstream(Dialect::kOpenAi);
  TempDir dir;
  setenv("ACCORD_TEST_POOL_KEY", "sk-pool-key-P0", 1);
  TestAgreement t;
  t.upstream_ports = {upstream.port()};
  t.up_extra = "api_key_env: ACCORD_TEST_POOL_KEY";
  std::string yaml = agreement_yaml(t, dir);
  const std::string own = ", api_key_file: \"" + dir.write("own.key", "sk-own-key-E0") + "\" }";
  const size_t end = yaml.find(" }\n", yaml.find("max_inflight"));
  ASSERT_NE(end, std::string::npos);
  yaml.replace(end, 2, own);
  Served s = start_serve(dir.write("a.yaml", yaml), {"--workers", "1"});
  ASSERT_EQ(http(s.port, "POST", "/v1/chat/completions", chat("m-up"), bearer(kAcmeKey)).status,
            200);
  EXPECT_EQ(upstream.posts().at(0).header("authorization"), "Bearer sk-own-key-E0");
  unsetenv("ACCORD_TEST_POOL_KEY");
}

// A key that cannot be read stops `accord serve` (as `accord check`), naming the key.
TEST(Providers, ServeRefusesAKeyItCannotRead) {
  TempDir dir;
  unsetenv("ACCORD_TEST_UNSET_KEY");
  TestAgreement t;
  t.upstream_ports = {9};
  t.up_extra = "api_key_env: ACCORD_TEST_UNSET_KEY";
  const std::string config = dir.write("a.yaml", agreement_yaml(t, dir));
  for (const std::string command : {"serve", "check"}) {
    std::vector<std::string> argv = {accord_binary(), command,    "--config",
                                     config,          "--listen", "127.0.0.1:0"};
    if (command == "check") argv = {accord_binary(), command, config};
    Process p(argv);
    EXPECT_EQ(p.wait_exit(), 1) << command;
    EXPECT_NE(p.captured().find("a.yaml:"), std::string::npos) << p.captured();
    EXPECT_NE(p.captured().find(
                  "pools.up.api_key_env: environment variable ACCORD_TEST_UNSET_KEY is not set"),
              std::string::npos)
        << p.captured();
  }
}

}  // namespace
}  // namespace accord::testing
