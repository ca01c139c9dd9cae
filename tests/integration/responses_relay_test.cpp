// The Responses API relayed as received: a pool with `native_apis: [responses]` gets a
// /v1/responses request as the client wrote it (but for the model's name on the pool) at its
// /responses path, and the client gets the upstream's answer byte for byte, whole or streamed.
// accord reads the answer for the usage it bills and keeps the Response for its party: GET and
// DELETE /v1/responses/{id} find it, and a previous_response_id naming it is relayed to the same
// pool (whose upstream keeps the conversation) and refused anywhere else.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include "agreements.h"
#include "harness.h"
#include "recording_upstream.h"

namespace accord::testing {
namespace {

const std::string kOpenAiKey = "sk-test-openai-Rr72bXc1Nq";

// Model m-ren is m-up renamed for the upstream.
constexpr const char* kRenamed = "  m-ren: { owner: lab, pool: up, upstream_model: up-name-2 }\n";

class ResponsesPool : public ::testing::Test {
 protected:
  Served serve(const std::string& pool_keys = "native_apis: [responses]") {
    setenv("ACCORD_TEST_OPENAI_KEY", kOpenAiKey.c_str(), 1);
    TestAgreement t;
    t.upstream_ports = {upstream_.port()};
    t.up_extra = "api_key_env: ACCORD_TEST_OPENAI_KEY\n    " + pool_keys;
    t.extra_models = kRenamed;
    return start_serve(dir_.write("a.yaml", agreement_yaml(t, dir_)), {"--workers", "1"});
  }
  ~ResponsesPool() override { unsetenv("ACCORD_TEST_OPENAI_KEY"); }
  std::string ledger() const { return dir_.path() + "/ledger.db"; }

  RecordingUpstream upstream_{Dialect::kOpenAi};
  TempDir dir_;
};

TEST_F(ResponsesPool, RequestsAndAnswersAreRelayedAsReceivedWithTheirUsageInTheLedger) {
  Served s = serve();
  const std::string request = R"({"input":"hi", "model" : "m-ren","max_output_tokens":16})";
  const std::string streamed = R"({"model":"m-ren","stream":true,"input":"hi"})";
  const HttpResponse whole = http(s.port, "POST", "/v1/responses", request, bearer(kAcmeKey));
  ASSERT_EQ(whole.status, 200) << whole.body;
  EXPECT_EQ(whole.body, responses_answer_body(false));
  const HttpResponse stream = http(s.port, "POST", "/v1/responses", streamed, bearer(kAcmeKey));
  ASSERT_EQ(stream.status, 200) << stream.body;
  EXPECT_EQ(stream.header("content-type").rfind("text/event-stream", 0), 0u);
  EXPECT_EQ(stream.body, responses_answer_body(true));

  const auto posts = upstream_.posts();
  ASSERT_EQ(posts.size(), 2u);
  EXPECT_EQ(posts[0].target, "/v1/responses");
  EXPECT_EQ(posts[0].header("authorization"), "Bearer " + kOpenAiKey);
  EXPECT_EQ(posts[0].body, R"({"input":"hi", "model" : "up-name-2","max_output_tokens":16})");
  EXPECT_EQ(posts[1].body, R"({"model":"up-name-2","stream":true,"input":"hi"})");
  s.process->signal(SIGTERM);
  ASSERT_EQ(s.process->wait_exit(), 0);
  EXPECT_EQ(count_rows(ledger(),
                       "model = 'm-ren' AND pool = 'up' AND status = 200 AND prompt_tokens = 9 "
                       "AND cached_prompt_tokens = 2 AND completion_tokens = 4"),
            2);
}

// The Response the upstream made is kept for the party that asked for it, as it was answered.
TEST_F(ResponsesPool, ARelayedResponseIsKeptForItsPartyAndCanBeDeleted) {
  Served s = serve();
  ASSERT_EQ(
      http(s.port, "POST", "/v1/responses", R"({"model":"m-up","input":"hi"})", bearer(kAcmeKey))
          .status,
      200);
  const HttpResponse got = http(s.port, "GET", "/v1/responses/resp_up_1", "", bearer(kAcmeKey));
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(got.body, responses_answer_body(false));
  EXPECT_EQ(http(s.port, "GET", "/v1/responses/resp_up_1", "", bearer(kCloudKey)).status, 404);
  EXPECT_EQ(http(s.port, "DELETE", "/v1/responses/resp_up_1", "", bearer(kCloudKey)).status, 404);
  ASSERT_EQ(upstream_.posts().size(), 1u) << "another party's DELETE goes nowhere";

  // Deleted where the upstream keeps it first; if that fails, accord keeps its copy.
  upstream_.refuse_with(503);
  const HttpResponse failed =
      http(s.port, "DELETE", "/v1/responses/resp_up_1", "", bearer(kAcmeKey));
  EXPECT_EQ(failed.status, 502) << failed.body;
  EXPECT_EQ(http(s.port, "GET", "/v1/responses/resp_up_1", "", bearer(kAcmeKey)).status, 200);
  upstream_.refuse_with(0);
  EXPECT_EQ(http(s.port, "DELETE", "/v1/responses/resp_up_1", "", bearer(kAcmeKey)).status, 200);
  const auto sent = upstream_.posts();
  ASSERT_EQ(sent.size(), 3u) << "the POST, the refused DELETE and the DELETE";
  EXPECT_EQ(sent.back().method, "DELETE");
  EXPECT_EQ(sent.back().target, "/v1/responses/resp_up_1");
  EXPECT_EQ(sent.back().header("authorization"), "Bearer " + kOpenAiKey);
  EXPECT_EQ(http(s.port, "GET", "/v1/responses/resp_up_1", "", bearer(kAcmeKey)).status, 404);
}

// A streamed Response is kept from its response.completed event; with store: false, nothing is.
TEST_F(ResponsesPool, AStreamedResponseIsKeptUnlessStoreIsFalse) {
  Served s = serve();
  ASSERT_EQ(http(s.port, "POST", "/v1/responses",
                 R"({"model":"m-up","input":"hi","stream":true,"store":false})", bearer(kAcmeKey))
                .status,
            200);
  EXPECT_EQ(http(s.port, "GET", "/v1/responses/resp_up_1", "", bearer(kAcmeKey)).status, 404);
  ASSERT_EQ(http(s.port, "POST", "/v1/responses", R"({"model":"m-up","input":"hi","stream":true})",
                 bearer(kAcmeKey))
                .status,
            200);
  const HttpResponse got = http(s.port, "GET", "/v1/responses/resp_up_1", "", bearer(kAcmeKey));
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(got.body, responses_answer_body(false));
}

// The upstream keeps the conversation: a continuation goes to it untouched, and no other pool
// (which would not know the conversation) may serve it.
TEST_F(ResponsesPool, AContinuationIsRelayedToThePoolThatKeepsTheConversation) {
  Served s = serve();
  ASSERT_EQ(
      http(s.port, "POST", "/v1/responses", R"({"model":"m-up","input":"hi"})", bearer(kAcmeKey))
          .status,
      200);
  const std::string next = R"({"model":"m-up","input":"and?","previous_response_id":"resp_up_1"})";
  const HttpResponse r = http(s.port, "POST", "/v1/responses", next, bearer(kAcmeKey));
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(upstream_.posts().size(), 2u);
  EXPECT_EQ(upstream_.posts()[1].body, next);

  const HttpResponse elsewhere = http(
      s.port, "POST", "/v1/responses",
      R"({"model":"m-local","input":"and?","previous_response_id":"resp_up_1"})", bearer(kAcmeKey));
  EXPECT_EQ(elsewhere.status, 400) << elsewhere.body;
  EXPECT_NE(elsewhere.body.find("pool 'up'"), std::string::npos) << elsewhere.body;
  // Another party cannot continue it.
  EXPECT_EQ(http(s.port, "POST", "/v1/responses", next, bearer(kCloudKey)).status, 400);
  EXPECT_EQ(upstream_.posts().size(), 2u);
}

// The upstream's error event ends the relayed stream as the upstream wrote it; the ledger
// records the failure.
TEST_F(ResponsesPool, AnUpstreamErrorEventEndsTheRelayedStream) {
  Served s = serve();
  upstream_.break_streams(true);
  const HttpResponse r = http(s.port, "POST", "/v1/responses",
                              R"({"model":"m-up","input":"hi","stream":true})", bearer(kAcmeKey));
  ASSERT_EQ(r.status, 200) << r.body;
  const auto events = responses_events();
  EXPECT_EQ(r.body.rfind(events[0] + events[1], 0), 0u) << r.body;
  EXPECT_NE(r.body.find("event: error\ndata: {\"type\":\"error\",\"code\":\"server_error\""),
            std::string::npos)
      << r.body;
  EXPECT_EQ(r.body.find("response.completed"), std::string::npos) << r.body;
  s.process->signal(SIGTERM);
  ASSERT_EQ(s.process->wait_exit(), 0);
  EXPECT_EQ(count_rows(ledger(), "model = 'm-up' AND status = 502"), 1);
}

// Without native_apis the pool gets Chat Completions, translated both ways.
TEST_F(ResponsesPool, AChatOnlyPoolGetsTheRequestTranslated) {
  Served s = serve("max_retries: 0");
  const HttpResponse r =
      http(s.port, "POST", "/v1/responses", R"({"model":"m-up","input":"hi"})", bearer(kAcmeKey));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find(R"("object":"response")"), std::string::npos) << r.body;
  ASSERT_EQ(upstream_.posts().size(), 1u);
  EXPECT_EQ(upstream_.posts()[0].target, "/v1/chat/completions");
}

// What the Chat translation cannot carry (reasoning summaries, a built-in tool, a field newer
// than accord) is relayed as received to a pool that serves the Responses API, and refused with
// a 400 naming the field where the request would be translated.
TEST_F(ResponsesPool, WhatOnlyTheResponsesApiCarriesIsRelayedAndRefusedWhereItWouldBeTranslated) {
  const std::string request =
      R"({"model":"m-up","input":"hi","reasoning":{"effort":"high","summary":"auto"},)"
      R"("tools":[{"type":"web_search"}],"a_field_newer_than_accord":1,"max_output_tokens":64})";
  {
    Served s = serve();
    const HttpResponse r = http(s.port, "POST", "/v1/responses", request, bearer(kAcmeKey));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body, responses_answer_body(false));
    ASSERT_EQ(upstream_.posts().size(), 1u);
    EXPECT_EQ(upstream_.posts()[0].target, "/v1/responses");
    EXPECT_EQ(upstream_.posts()[0].body, request);
    EXPECT_EQ(http(s.port, "GET", "/v1/responses/resp_up_1", "", bearer(kAcmeKey)).status, 200);
    s.process->signal(SIGTERM);
    ASSERT_EQ(s.process->wait_exit(), 0);
    EXPECT_EQ(count_rows(ledger(), "model = 'm-up' AND status = 200 AND completion_tokens = 4"), 1);
  }
  Served s = serve("max_retries: 0");
  const HttpResponse r = http(s.port, "POST", "/v1/responses", request, bearer(kAcmeKey));
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find(R"("param":"reasoning.summary")"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"("code":"unsupported_parameter")"), std::string::npos) << r.body;
  EXPECT_EQ(upstream_.posts().size(), 1u) << "nothing more went upstream";
  // A request that is wrong in any API is refused before it goes anywhere.
  const HttpResponse wrong =
      http(s.port, "POST", "/v1/responses", R"({"model":"m-up","input":7})", bearer(kAcmeKey));
  EXPECT_EQ(wrong.status, 400) << wrong.body;
}

}  // namespace
}  // namespace accord::testing
