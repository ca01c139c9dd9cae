// Span: one finished OpenTelemetry span, as the exporter encodes it. Strings are views: a span
// lives no longer than the TraceRecord it was built from (trace_record.h).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "trace/trace_context.h"

namespace accord {

// OTLP's SpanKind values.
enum class SpanKind : uint8_t { kInternal = 1, kServer = 2, kClient = 3 };

struct SpanAttribute {
  std::string_view key;
  std::string_view text;  // a string value, unless `is_int`
  int64_t number = 0;
  bool is_int = false;

  static SpanAttribute string(std::string_view key, std::string_view value) {
    return {key, value, 0, false};
  }
  static SpanAttribute integer(std::string_view key, int64_t value) {
    return {key, {}, value, true};
  }
};

struct Span {
  TraceId trace_id;
  SpanId span_id;
  SpanId parent_id;  // invalid: a root span
  std::string_view trace_state;
  std::string_view name;
  SpanKind kind = SpanKind::kInternal;
  int64_t start_unix_ns = 0;
  int64_t end_unix_ns = 0;
  bool error = false;              // OTLP status ERROR; otherwise UNSET
  std::string_view error_message;  // with `error`
  std::vector<SpanAttribute> attributes;
};

}  // namespace accord
