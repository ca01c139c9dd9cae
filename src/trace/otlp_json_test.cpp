#include "trace/otlp_json.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <map>

namespace accord {
namespace {

std::string hex_of(const TraceId& id) {
  std::string s;
  append_hex(s, id);
  return s;
}
std::string hex_of(const SpanId& id) {
  std::string s;
  append_hex(s, id);
  return s;
}

// A span's attributes, read back: key → the JSON of its value ({"stringValue":...}).
std::map<std::string, std::string> attributes_of(simdjson::dom::element span) {
  std::map<std::string, std::string> out;
  for (simdjson::dom::element a : span["attributes"].get_array()) {
    out[std::string(std::string_view(a["key"]))] = simdjson::minify(a["value"]);
  }
  return out;
}

TEST(OtlpJson, ABatchReadsBackAsTheOtlpJsonMappingWritesIt) {
  Span server;
  server.trace_id = new_trace_id();
  server.span_id = new_span_id();
  server.parent_id = new_span_id();
  server.trace_state = "congo=t61rcWkgMzE";
  server.name = "POST /v1/chat/completions";
  server.kind = SpanKind::kServer;
  server.start_unix_ns = 1'795'000'000'000'000'000;
  server.end_unix_ns = 1'795'000'000'123'456'789;
  server.error = true;
  server.error_message = "upstream_error";
  server.attributes = {SpanAttribute::string("http.request.method", "POST"),
                       SpanAttribute::integer("http.response.status_code", 502),
                       SpanAttribute::string("accord.party", "a \"quoted\" name")};
  Span upstream;
  upstream.trace_id = server.trace_id;
  upstream.span_id = new_span_id();
  upstream.parent_id = server.span_id;
  upstream.name = "upstream";
  upstream.kind = SpanKind::kClient;
  upstream.start_unix_ns = server.start_unix_ns + 1000;
  upstream.end_unix_ns = server.end_unix_ns;
  Span root;  // no parent, no attributes, no status
  root.trace_id = new_trace_id();
  root.span_id = new_span_id();
  root.name = "authenticate";
  const std::vector<Span> spans{server, upstream, root};

  std::string body;
  encode_otlp_json("accord-test", spans, body);
  simdjson::dom::parser parser;
  const simdjson::dom::element doc = parser.parse(body);
  const simdjson::dom::element resource = doc["resourceSpans"].at(0);
  EXPECT_EQ(doc["resourceSpans"].get_array().size(), 1u);
  const auto resource_attributes = attributes_of(resource["resource"]);
  EXPECT_EQ(resource_attributes.at("service.name"), R"({"stringValue":"accord-test"})");
  const simdjson::dom::element scope = resource["scopeSpans"].at(0);
  EXPECT_EQ(std::string_view(scope["scope"]["name"]), "accord");
  const simdjson::dom::array out = scope["spans"].get_array();
  ASSERT_EQ(out.size(), 3u);

  const simdjson::dom::element s = out.at(0);
  EXPECT_EQ(std::string_view(s["traceId"]), hex_of(server.trace_id));
  EXPECT_EQ(std::string_view(s["spanId"]), hex_of(server.span_id));
  EXPECT_EQ(std::string_view(s["parentSpanId"]), hex_of(server.parent_id));
  EXPECT_EQ(std::string_view(s["traceState"]), "congo=t61rcWkgMzE");
  EXPECT_EQ(std::string_view(s["name"]), "POST /v1/chat/completions");
  EXPECT_EQ(int64_t(s["kind"]), 2);
  EXPECT_EQ(std::string_view(s["startTimeUnixNano"]), "1795000000000000000");
  EXPECT_EQ(std::string_view(s["endTimeUnixNano"]), "1795000000123456789");
  EXPECT_EQ(int64_t(s["status"]["code"]), 2);
  EXPECT_EQ(std::string_view(s["status"]["message"]), "upstream_error");
  const auto attributes = attributes_of(s);
  EXPECT_EQ(attributes.at("http.request.method"), R"({"stringValue":"POST"})");
  EXPECT_EQ(attributes.at("http.response.status_code"), R"({"intValue":"502"})");
  EXPECT_EQ(attributes.at("accord.party"), R"({"stringValue":"a \"quoted\" name"})");

  EXPECT_EQ(int64_t(out.at(1)["kind"]), 3);
  EXPECT_EQ(std::string_view(out.at(1)["parentSpanId"]), hex_of(server.span_id));
  EXPECT_EQ(std::string_view(out.at(1)["traceId"]), hex_of(server.trace_id));

  const simdjson::dom::element r = out.at(2);
  EXPECT_EQ(int64_t(r["kind"]), 1);
  EXPECT_EQ(r["parentSpanId"].error(), simdjson::NO_SUCH_FIELD);
  EXPECT_EQ(r["traceState"].error(), simdjson::NO_SUCH_FIELD);
  EXPECT_EQ(r["status"].error(), simdjson::NO_SUCH_FIELD);
  EXPECT_EQ(r["attributes"].get_array().size(), 0u);
}

TEST(OtlpJson, AnEmptyBatchIsStillARequest) {
  std::string body;
  encode_otlp_json("accord", {}, body);
  simdjson::dom::parser parser;
  const simdjson::dom::element doc = parser.parse(body);
  EXPECT_EQ(doc["resourceSpans"].at(0)["scopeSpans"].at(0)["spans"].get_array().size(), 0u);
}

}  // namespace
}  // namespace accord
