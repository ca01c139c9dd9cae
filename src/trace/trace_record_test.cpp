#include "trace/trace_record.h"

#include <gtest/gtest.h>

#include <map>

#include "agreement/loader.h"
#include "http/openai_error.h"

namespace accord {
namespace {

constexpr const char* kAgreement = R"(parties:
  lab: { role: provider }
  acme: { role: customer, tier: standard }
tiers:
  standard: { weight: 1 }
models:
  m-up: { owner: lab, pool: up }
  m-local: { owner: lab, pool: local }
pools:
  local: { engine: builtin, gpu: h100, gpus: 1, model_params_b: 8 }
  up: { upstreams: [ { url: "http://10.0.0.7:8001/v1" } ] }
keys:
  - { id: acme-key, party: acme, sha256: "2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a" }
traces: { endpoint: "http://127.0.0.1:4318" }
)";

constexpr const char* kClientTraceparent =
    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

std::shared_ptr<const Snapshot> snapshot() {
  const LoadResult loaded = load_agreement(kAgreement, "a.yaml");
  EXPECT_TRUE(loaded.ok()) << ::testing::PrintToString(loaded.messages());
  auto s = std::make_shared<Snapshot>();
  s->agreement = loaded.agreement;
  return s;
}

std::string hex_of(const SpanId& id) {
  std::string s;
  append_hex(s, id);
  return s;
}

std::map<std::string_view, const Span*> by_name(std::span<const Span> spans) {
  std::map<std::string_view, const Span*> out;
  for (const Span& s : spans) out[s.name] = &s;
  return out;
}

const SpanAttribute* attribute(const Span& s, std::string_view key) {
  for (const SpanAttribute& a : s.attributes) {
    if (a.key == key) return &a;
  }
  return nullptr;
}

class TraceRecordTest : public ::testing::Test {
 protected:
  TraceRecordTest() {
    ctx_.snapshot = snapshot();
    ctx_.wall_arrived_at = 1'795'000'000'000;  // ms
    ctx_.arrived_at = 5'000'000'000;
    ctx_.checked_at = ctx_.arrived_at;
    ctx_.request_id = RequestId("req-1");
    begin_request_trace(ctx_.snapshot->agreement->traces, kClientTraceparent, "congo=t61", "POST",
                        "/v1/chat/completions?x=1", ctx_.trace);
  }

  // An upstream request served whole: every stage reached.
  void serve_upstream() {
    const Agreement& a = *ctx_.snapshot->agreement;
    ctx_.key = &a.keys[0];
    ctx_.party = ctx_.key->party;
    ctx_.model = *a.find_model("m-up");
    ctx_.pool = a.models[ctx_.model].pool;
    ctx_.ticket = std::make_shared<GatewayTicket>(io_.get_executor());
    ctx_.sched_class = SchedClass::kShared;
    ctx_.authenticated_at = ctx_.arrived_at + 10'000;
    ctx_.admitted_at = ctx_.arrived_at + 30'000;
    ctx_.dispatched_at = ctx_.arrived_at + 1'000'000;
    ctx_.first_token_at = ctx_.arrived_at + 20'000'000;
    ctx_.finished_at = ctx_.arrived_at + 25'000'000;
    ctx_.endpoint = 0;
    ctx_.status = 200;
    ctx_.prompt_tokens = 5;
    ctx_.cached_prompt_tokens = 3;
    ctx_.completion_tokens = 7;
  }

  asio::io_context io_;
  RequestContext ctx_;
};

TEST_F(TraceRecordTest, AServedRequestHasTheServerSpanAndEveryStage) {
  serve_upstream();
  TraceRecord record;
  make_trace_record(ctx_, record);
  SpanBuffer buffer;
  append_spans(record, buffer);
  const std::span<const Span> spans = buffer.spans();
  ASSERT_EQ(spans.size(), 6u);
  EXPECT_EQ(record.span_count, 6);
  const auto named = by_name(spans);
  const Span& server = *named.at("POST /v1/chat/completions");
  EXPECT_EQ(server.kind, SpanKind::kServer);
  EXPECT_EQ(server.trace_id, parse_traceparent(kClientTraceparent)->trace_id);
  EXPECT_EQ(hex_of(server.parent_id), "00f067aa0ba902b7");
  EXPECT_EQ(server.trace_state, "congo=t61");
  EXPECT_EQ(server.start_unix_ns, 1'795'000'000'000'000'000);
  EXPECT_EQ(server.end_unix_ns, 1'795'000'000'025'000'000);
  EXPECT_FALSE(server.error);
  EXPECT_EQ(attribute(server, "url.path")->text, "/v1/chat/completions");
  EXPECT_EQ(attribute(server, "http.request.method")->text, "POST");
  EXPECT_EQ(attribute(server, "http.response.status_code")->number, 200);
  EXPECT_EQ(attribute(server, "accord.request_id")->text, "req-1");
  EXPECT_EQ(attribute(server, "accord.party")->text, "acme");
  EXPECT_EQ(attribute(server, "accord.key_id")->text, "acme-key");
  EXPECT_EQ(attribute(server, "accord.pool")->text, "up");
  EXPECT_EQ(attribute(server, "accord.class")->text, "shared");
  EXPECT_EQ(attribute(server, "gen_ai.request.model")->text, "m-up");
  EXPECT_EQ(attribute(server, "gen_ai.operation.name")->text, "chat");
  EXPECT_EQ(attribute(server, "gen_ai.usage.input_tokens")->number, 5);
  EXPECT_EQ(attribute(server, "gen_ai.usage.output_tokens")->number, 7);
  EXPECT_EQ(attribute(server, "gen_ai.usage.cache_read.input_tokens")->number, 3);
  EXPECT_EQ(attribute(server, "error.type"), nullptr);

  // The stages, children of the server span, back to back.
  const std::pair<const char*, std::pair<int64_t, int64_t>> stages[] = {
      {"authenticate", {0, 10'000}},       {"limits", {10'000, 30'000}},
      {"queue", {30'000, 1'000'000}},      {"upstream", {1'000'000, 20'000'000}},
      {"relay", {20'000'000, 25'000'000}},
  };
  for (const auto& [name, times] : stages) {
    const Span& s = *named.at(name);
    EXPECT_EQ(s.trace_id, server.trace_id) << name;
    EXPECT_EQ(s.parent_id, server.span_id) << name;
    EXPECT_TRUE(s.span_id.valid()) << name;
    EXPECT_NE(s.span_id, server.span_id) << name;
    EXPECT_EQ(s.start_unix_ns - server.start_unix_ns, times.first) << name;
    EXPECT_EQ(s.end_unix_ns - server.start_unix_ns, times.second) << name;
  }
  // The upstream span is the one the upstream's traceparent names, a client span.
  const Span& upstream = *named.at("upstream");
  EXPECT_EQ(upstream.kind, SpanKind::kClient);
  EXPECT_EQ(upstream.span_id, ctx_.trace.upstream_span);
  EXPECT_EQ(ctx_.trace.traceparent_header(),
            "00-4bf92f3577b34da6a3ce929d0e0e4736-" + hex_of(upstream.span_id) + "-01");
  EXPECT_EQ(attribute(upstream, "server.address")->text, "10.0.0.7");
  EXPECT_EQ(attribute(upstream, "server.port")->number, 8001);
}

TEST_F(TraceRecordTest, AnUnauthenticatedRequestHasTheAuthenticationStageOnly) {
  ctx_.authenticated_at = ctx_.arrived_at + 10'000;
  ctx_.finished_at = ctx_.arrived_at + 50'000;
  ctx_.status = 401;
  ctx_.error = Error::client(ErrorKind::kUnauthorized, "no");
  TraceRecord record;
  make_trace_record(ctx_, record);
  SpanBuffer buffer;
  append_spans(record, buffer);
  ASSERT_EQ(buffer.spans().size(), 2u);
  EXPECT_EQ(record.span_count, 2);
  const auto named = by_name(buffer.spans());
  const Span& server = *named.at("POST /v1/chat/completions");
  EXPECT_FALSE(server.error);  // a 4xx is the client's: the server span's status stays unset
  EXPECT_EQ(attribute(server, "error.type")->text, openai_error_code(ErrorKind::kUnauthorized));
  EXPECT_EQ(attribute(server, "accord.party"), nullptr);
  EXPECT_EQ(attribute(server, "gen_ai.request.model"), nullptr);
  EXPECT_EQ(attribute(server, "gen_ai.usage.input_tokens"), nullptr);
  EXPECT_TRUE(named.count("authenticate"));
}

TEST_F(TraceRecordTest, AFailedUpstreamMarksTheServerAndUpstreamSpans) {
  serve_upstream();
  ctx_.first_token_at = 0;  // nothing came
  ctx_.status = 502;
  ctx_.error = Error::upstream(ErrorKind::kUpstreamError, "down", false);
  TraceRecord record;
  make_trace_record(ctx_, record);
  SpanBuffer buffer;
  append_spans(record, buffer);
  ASSERT_EQ(buffer.spans().size(), 5u);  // no relay
  EXPECT_EQ(record.span_count, 5);
  const auto named = by_name(buffer.spans());
  EXPECT_TRUE(named.at("POST /v1/chat/completions")->error);
  const Span& upstream = *named.at("upstream");
  EXPECT_TRUE(upstream.error);
  EXPECT_EQ(upstream.end_unix_ns, named.at("POST /v1/chat/completions")->end_unix_ns);
}

TEST_F(TraceRecordTest, TheBuiltInEngineIsAnInternalEngineSpan) {
  serve_upstream();
  const Agreement& a = *ctx_.snapshot->agreement;
  ctx_.model = *a.find_model("m-local");
  ctx_.pool = a.models[ctx_.model].pool;
  ctx_.endpoint = -1;
  TraceRecord record;
  make_trace_record(ctx_, record);
  SpanBuffer buffer;
  append_spans(record, buffer);
  const auto named = by_name(buffer.spans());
  ASSERT_TRUE(named.count("engine"));
  EXPECT_EQ(named.at("engine")->kind, SpanKind::kInternal);
  EXPECT_EQ(named.count("upstream"), 0u);
}

TEST(RequestTrace, AnInvalidTraceparentStartsANewTraceAtTheRatio) {
  TracesConfig config;
  config.enabled = true;
  config.sample_ratio = 0;
  RequestTrace t;
  begin_request_trace(config, "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
                      "congo=t61", "POST", "/v1/embeddings", t);
  EXPECT_TRUE(t.active);
  EXPECT_FALSE(t.sampled);  // ratio 0: the invalid header's flag does not count
  EXPECT_TRUE(t.trace_id.valid());
  EXPECT_FALSE(t.parent_id.valid());
  EXPECT_TRUE(t.tracestate.empty());  // without its traceparent, tracestate is dropped
  EXPECT_EQ(t.traceparent_header().substr(52), "-00");

  config.sample_ratio = 1;
  RequestTrace sampled;
  begin_request_trace(config, "", "", "POST", "/v1/embeddings", sampled);
  EXPECT_TRUE(sampled.sampled);
  EXPECT_EQ(sampled.traceparent_header().substr(52), "-01");
}

TEST(RequestTrace, AClientThatDidNotSampleIsFollowed) {
  TracesConfig config;
  config.enabled = true;
  config.sample_ratio = 1;
  RequestTrace t;
  begin_request_trace(config, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", "", "POST",
                      "/v1/chat/completions", t);
  EXPECT_FALSE(t.sampled);
  EXPECT_EQ(t.traceparent_header().substr(0, 36), "00-4bf92f3577b34da6a3ce929d0e0e4736-");
  RequestTrace off;
  EXPECT_TRUE(off.traceparent_header().empty());
}

}  // namespace
}  // namespace accord
