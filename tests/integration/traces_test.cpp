// Traces end to end: `accord serve` with a traces section sends each sampled request's spans to a
// collector in the test (a RecordingUpstream: it records each POST and answers 200, which is all
// an OTLP exporter asks of a collector), and the test decodes what it was sent. The client's
// traceparent continues into accord's spans and on to the upstream; a collector that is down
// costs the requests nothing, and /metrics counts the spans dropped.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <simdjson.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <map>
#include <regex>
#include <thread>

#include "agreements.h"
#include "harness.h"
#include "recording_upstream.h"

namespace accord::testing {
namespace {

constexpr const char* kTraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr const char* kClientSpan = "00f067aa0ba902b7";

std::string chat(const std::string& model) {
  return R"({"model":")" + model + R"(","messages":[{"role":"user","content":"hi"}]})";
}

// A chat completion's status.
int post_chat(const Served& s, const std::string& model,
              const std::map<std::string, std::string>& headers) {
  return http(s.port, "POST", "/v1/chat/completions", chat(model), headers).status;
}

std::map<std::string, std::string> traced(const std::string& flags) {
  auto headers = bearer(kAcmeKey);
  headers["traceparent"] = std::string("00-") + kTraceId + "-" + kClientSpan + "-" + flags;
  headers["tracestate"] = "congo=t61rcWkgMzE";
  return headers;
}

// One span as the collector received it.
struct ReceivedSpan {
  std::string trace_id, span_id, parent_id, trace_state, name;
  int64_t kind = 0;
  std::map<std::string, std::string> attributes;  // values as text (an int's decimal string)
};

// Decodes every export the collector received; checks each was an OTLP/HTTP JSON request.
std::vector<ReceivedSpan> decode(const std::vector<RecordedRequest>& posts) {
  std::vector<ReceivedSpan> out;
  simdjson::dom::parser parser;
  for (const RecordedRequest& post : posts) {
    EXPECT_EQ(post.target, "/v1/traces");
    EXPECT_EQ(post.header("content-type"), "application/json");
    simdjson::dom::element doc;
    if (parser.parse(post.body).get(doc) != simdjson::SUCCESS) {
      ADD_FAILURE() << "not JSON: " << post.body;
      continue;
    }
    for (simdjson::dom::element resource : doc["resourceSpans"].get_array()) {
      for (simdjson::dom::element scope : resource["scopeSpans"].get_array()) {
        for (simdjson::dom::element s : scope["spans"].get_array()) {
          ReceivedSpan r;
          r.trace_id = std::string(std::string_view(s["traceId"]));
          r.span_id = std::string(std::string_view(s["spanId"]));
          std::string_view text;
          if (s["parentSpanId"].get(text) == simdjson::SUCCESS) r.parent_id = text;
          if (s["traceState"].get(text) == simdjson::SUCCESS) r.trace_state = text;
          r.name = std::string(std::string_view(s["name"]));
          r.kind = int64_t(s["kind"]);
          for (simdjson::dom::element a : s["attributes"].get_array()) {
            simdjson::dom::element v = a["value"];
            if (v["stringValue"].get(text) != simdjson::SUCCESS)
              text = std::string_view(v["intValue"]);
            r.attributes[std::string(std::string_view(a["key"]))] = std::string(text);
          }
          out.push_back(std::move(r));
        }
      }
    }
  }
  return out;
}

// Waits (bounded) until the spans received satisfy `done`; returns them.
std::vector<ReceivedSpan> wait_for_spans(
    const RecordingUpstream& collector,
    const std::function<bool(const std::vector<ReceivedSpan>&)>& done) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  std::vector<ReceivedSpan> spans = decode(collector.posts());
  while (!done(spans) && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    spans = decode(collector.posts());
  }
  return spans;
}

// The server span of a request, by its request id.
const ReceivedSpan* server_span(const std::vector<ReceivedSpan>& spans, const std::string& id) {
  for (const ReceivedSpan& s : spans) {
    if (s.kind == 2 && s.attributes.count("accord.request_id") &&
        s.attributes.at("accord.request_id") == id) {
      return &s;
    }
  }
  return nullptr;
}

// The children of `parent`, by name.
std::map<std::string, ReceivedSpan> children(const std::vector<ReceivedSpan>& spans,
                                             const ReceivedSpan& parent) {
  std::map<std::string, ReceivedSpan> out;
  for (const ReceivedSpan& s : spans) {
    if (s.parent_id == parent.span_id && s.trace_id == parent.trace_id) out[s.name] = s;
  }
  return out;
}

std::map<std::string, std::string> with_id(std::map<std::string, std::string> headers,
                                           const std::string& id) {
  headers["X-Request-Id"] = id;
  return headers;
}

std::string traces_section(int port, const std::string& extra = "") {
  return "traces: { endpoint: \"http://127.0.0.1:" + std::to_string(port) +
         "/v1/traces\", flush_interval_ms: 20" + extra + " }\n";
}

// A port nothing listens on: bound, then closed.
int closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// The sum of a counter's samples in a Prometheus exposition (-1: no sample).
double counter(const std::string& exposition, const std::string& name) {
  const std::regex sample("^" + name + R"((\{[^}]*\})? ([0-9.e+]+)$)");
  double sum = -1;
  std::smatch m;
  for (auto it = exposition.begin(); it != exposition.end();) {
    const auto eol = std::find(it, exposition.end(), '\n');
    const std::string line(it, eol);
    if (std::regex_match(line, m, sample)) sum = std::max(sum, 0.0) + std::stod(m[2]);
    it = eol == exposition.end() ? eol : eol + 1;
  }
  return sum;
}

class Traces : public ::testing::Test {
 protected:
  Served serve(const std::string& traces) {
    TestAgreement t;
    t.upstream_ports = {upstream_.port()};
    return start_serve(dir_.write("a.yaml", agreement_yaml(t, dir_) + traces), {"--workers", "1"});
  }

  RecordingUpstream upstream_{Dialect::kOpenAi};
  RecordingUpstream collector_{Dialect::kOpenAi};
  TempDir dir_;
};

TEST_F(Traces, OneTracePerRequestWithTheStageSpansAndTheClientsTraceparent) {
  Served s = serve(traces_section(collector_.port()));
  ASSERT_EQ(post_chat(s, "m-up", with_id(traced("01"), "traced-up")), 200);
  ASSERT_EQ(post_chat(s, "m-local", with_id(bearer(kAcmeKey), "new-local")), 200);
  ASSERT_EQ(post_chat(s, "m-up", with_id({}, "no-key")), 401);
  ASSERT_EQ(http(s.port, "POST", "/v1/responses", R"({"model":"m-up","input":"hi"})",
                 with_id(bearer(kAcmeKey), "responses"))
                .status,
            200);
  const auto spans = wait_for_spans(collector_, [](const std::vector<ReceivedSpan>& got) {
    return server_span(got, "traced-up") && server_span(got, "new-local") &&
           server_span(got, "no-key") && server_span(got, "responses");
  });

  // The traced request continues the client's trace, under the client's span.
  const ReceivedSpan* server = server_span(spans, "traced-up");
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->trace_id, kTraceId);
  EXPECT_EQ(server->parent_id, kClientSpan);
  EXPECT_EQ(server->trace_state, "congo=t61rcWkgMzE");
  EXPECT_EQ(server->name, "POST /v1/chat/completions");
  EXPECT_EQ(server->attributes.at("http.request.method"), "POST");
  EXPECT_EQ(server->attributes.at("url.path"), "/v1/chat/completions");
  EXPECT_EQ(server->attributes.at("http.response.status_code"), "200");
  EXPECT_EQ(server->attributes.at("accord.party"), "acme");
  EXPECT_EQ(server->attributes.at("accord.pool"), "up");
  EXPECT_EQ(server->attributes.at("gen_ai.request.model"), "m-up");
  EXPECT_EQ(server->attributes.at("gen_ai.usage.input_tokens"), "5");
  EXPECT_EQ(server->attributes.at("gen_ai.usage.output_tokens"), "1");
  EXPECT_EQ(server->attributes.at("gen_ai.usage.cache_read.input_tokens"), "3");
  int servers_in_trace = 0;
  for (const ReceivedSpan& sp : spans) servers_in_trace += sp.trace_id == kTraceId && sp.kind == 2;
  EXPECT_EQ(servers_in_trace, 1);
  const auto stages = children(spans, *server);
  for (const char* stage : {"authenticate", "limits", "queue", "upstream", "relay"}) {
    EXPECT_TRUE(stages.count(stage)) << stage;
  }
  EXPECT_EQ(stages.size(), 5u);
  ASSERT_TRUE(stages.count("upstream"));
  const ReceivedSpan& upstream_span = stages.at("upstream");
  EXPECT_EQ(upstream_span.kind, 3);

  // The upstream was told the same trace, under accord's upstream span; tracestate passed on.
  const auto posts = upstream_.posts();
  ASSERT_EQ(posts.size(), 2u);
  EXPECT_EQ(posts[0].header("traceparent"),
            std::string("00-") + kTraceId + "-" + upstream_span.span_id + "-01");
  EXPECT_EQ(posts[0].header("tracestate"), "congo=t61rcWkgMzE");

  // Without a traceparent: a trace of its own, whose engine stage replaces the upstream's.
  const ReceivedSpan* local = server_span(spans, "new-local");
  ASSERT_NE(local, nullptr);
  EXPECT_NE(local->trace_id, kTraceId);
  EXPECT_EQ(local->trace_id.size(), 32u);
  EXPECT_TRUE(local->parent_id.empty());
  const auto local_stages = children(spans, *local);
  EXPECT_TRUE(local_stages.count("engine"));
  EXPECT_FALSE(local_stages.count("upstream"));

  // Refused at authentication: the server span with its status, and one stage.
  const ReceivedSpan* refused = server_span(spans, "no-key");
  ASSERT_NE(refused, nullptr);
  EXPECT_EQ(refused->attributes.at("http.response.status_code"), "401");
  EXPECT_EQ(refused->attributes.at("error.type"), "invalid_api_key");
  const auto refused_stages = children(spans, *refused);
  EXPECT_EQ(refused_stages.size(), 1u);
  EXPECT_TRUE(refused_stages.count("authenticate"));

  // Another API served through the pipeline: the span is named after its own route.
  const ReceivedSpan* responses = server_span(spans, "responses");
  ASSERT_NE(responses, nullptr);
  EXPECT_EQ(responses->name, "POST /v1/responses");
  EXPECT_EQ(children(spans, *responses).size(), 5u);
}

TEST_F(Traces, AClientThatDoesNotSampleIsFollowedAndItsUpstreamKeepsTheTrace) {
  Served s = serve(traces_section(collector_.port()));
  ASSERT_EQ(post_chat(s, "m-up", with_id(traced("00"), "unsampled")), 200);
  // A sampled request after it: once its spans are in, the unsampled one's would be too.
  ASSERT_EQ(post_chat(s, "m-up", with_id(bearer(kAcmeKey), "after")), 200);
  const auto spans = wait_for_spans(collector_, [](const std::vector<ReceivedSpan>& got) {
    return server_span(got, "after") != nullptr;
  });
  ASSERT_NE(server_span(spans, "after"), nullptr);
  EXPECT_EQ(server_span(spans, "unsampled"), nullptr);
  for (const ReceivedSpan& sp : spans) EXPECT_NE(sp.trace_id, kTraceId);
  const auto posts = upstream_.posts();
  ASSERT_EQ(posts.size(), 2u);
  const std::string sent = posts[0].header("traceparent");
  EXPECT_TRUE(sent.starts_with(std::string("00-") + kTraceId + "-")) << sent;
  EXPECT_TRUE(sent.ends_with("-00")) << sent;
  EXPECT_EQ(sent.find(kClientSpan), std::string::npos) << "accord's span is the parent";
}

TEST_F(Traces, WithTheCollectorDownRequestsAreServedAndTheDropsCounted) {
  Served s = serve(traces_section(closed_port()));
  constexpr int kRequests = 20;
  for (int i = 0; i < kRequests; ++i) {
    ASSERT_EQ(post_chat(s, "m-up", traced("01")), 200);
  }
  EXPECT_EQ(upstream_.posts().size(), static_cast<size_t>(kRequests));
  for (const RecordedRequest& r : upstream_.posts()) {
    EXPECT_TRUE(r.header("traceparent").starts_with(std::string("00-") + kTraceId));
  }
  s.process->wait_for_line("traces: cannot export to");
  // Six spans a request, every one dropped and counted.
  const double expected = kRequests * 6;
  std::string metrics;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  do {
    metrics = http(s.port, "GET", "/metrics", "", bearer(kCloudKey)).body;
    if (counter(metrics, "accord_trace_spans_dropped_total") >= expected) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  } while (std::chrono::steady_clock::now() < give_up);
  EXPECT_EQ(counter(metrics, "accord_trace_spans_dropped_total"), expected) << metrics;
  EXPECT_EQ(counter(metrics, R"(accord_trace_spans_dropped_total\{reason="export_failed"\})"),
            expected);
  EXPECT_EQ(counter(metrics, "accord_trace_spans_exported_total"), 0);
}

TEST_F(Traces, AReloadTurnsTracingOn) {
  Served s = serve("");
  ASSERT_EQ(post_chat(s, "m-up", traced("01")), 200);
  EXPECT_EQ(upstream_.posts()[0].header("traceparent"), "") << "no traces section: none sent";

  TestAgreement t;
  t.upstream_ports = {upstream_.port()};
  dir_.write("a.yaml", agreement_yaml(t, dir_) + traces_section(collector_.port()));
  ASSERT_EQ(http(s.port, "POST", "/admin/reload", "", bearer(kCloudKey)).status, 200);
  ASSERT_EQ(post_chat(s, "m-up", with_id(traced("01"), "after-reload")), 200);
  const auto spans = wait_for_spans(collector_, [](const std::vector<ReceivedSpan>& got) {
    return server_span(got, "after-reload") != nullptr;
  });
  ASSERT_NE(server_span(spans, "after-reload"), nullptr);
  EXPECT_EQ(spans.size(), 6u) << "the request before the reload was not traced";
}

}  // namespace
}  // namespace accord::testing
