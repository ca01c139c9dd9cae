#include "trace/otlp_json.h"

#include <charconv>

#include "core/json_writer.h"

namespace accord {
namespace {

// OTLP's Status codes.
constexpr int kStatusError = 2;

// The exporter writes about 2 KB of JSON per request, most of it fixed keys, hex ids and digits:
// it is written piece by piece here rather than through JsonWriter (strings through
// append_json_string).

// An int64 as the JSON mapping writes it: a decimal string.
void put_int64(std::string& out, int64_t v) {
  char buf[24];
  const char* end = std::to_chars(buf, buf + sizeof buf, v).ptr;
  const auto size = static_cast<size_t>(end - buf);
  out.push_back('"');
  out.append(buf, size);
  out.push_back('"');
}

template <class Id>
void put_id(std::string& out, const Id& id) {
  out.push_back('"');
  append_hex(out, id);
  out.push_back('"');
}

void put_attribute(std::string& out, const SpanAttribute& a) {
  out.append(R"({"key":)");
  append_json_string(out, a.key);
  if (a.is_int) {
    out.append(R"(,"value":{"intValue":)");
    put_int64(out, a.number);
  } else {
    out.append(R"(,"value":{"stringValue":)");
    append_json_string(out, a.text);
  }
  out.append("}}");
}

void put_span(std::string& out, const Span& s) {
  out.append(R"({"traceId":)");
  put_id(out, s.trace_id);
  out.append(R"(,"spanId":)");
  put_id(out, s.span_id);
  if (s.parent_id.valid()) {
    out.append(R"(,"parentSpanId":)");
    put_id(out, s.parent_id);
  }
  if (!s.trace_state.empty()) {
    out.append(R"(,"traceState":)");
    append_json_string(out, s.trace_state);
  }
  out.append(R"(,"name":)");
  append_json_string(out, s.name);
  out.append(R"(,"kind":)");
  out.push_back(static_cast<char>('0' + static_cast<int>(s.kind)));
  out.append(R"(,"startTimeUnixNano":)");
  put_int64(out, s.start_unix_ns);
  out.append(R"(,"endTimeUnixNano":)");
  put_int64(out, s.end_unix_ns);
  out.append(R"(,"attributes":[)");
  for (size_t i = 0; i < s.attributes.size(); ++i) {
    if (i > 0) out.push_back(',');
    put_attribute(out, s.attributes[i]);
  }
  out.push_back(']');
  if (s.error) {
    out.append(R"(,"status":{)");
    if (!s.error_message.empty()) {
      out.append(R"("message":)");
      append_json_string(out, s.error_message);
      out.push_back(',');
    }
    out.append(R"("code":)");
    out.push_back(static_cast<char>('0' + kStatusError));
    out.push_back('}');
  }
  out.push_back('}');
}

}  // namespace

void encode_otlp_json(std::string_view service_name, std::span<const Span> spans,
                      std::string& out) {
  out.reserve(out.size() + 512 * (spans.size() + 1));  // a span's JSON is about 200–600 bytes
  out.append(R"({"resourceSpans":[{"resource":{"attributes":[)");
  put_attribute(out, SpanAttribute::string("service.name", service_name));
  out.append(R"(]},"scopeSpans":[{"scope":{"name":"accord"},"spans":[)");
  for (size_t i = 0; i < spans.size(); ++i) {
    if (i > 0) out.push_back(',');
    put_span(out, spans[i]);
  }
  out.append("]}]}]}");
}

}  // namespace accord
