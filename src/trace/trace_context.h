// W3C Trace Context (https://www.w3.org/TR/trace-context/): trace and span ids, the `traceparent`
// header read from a client and written to an upstream, `tracestate` checked before it is passed
// on, and fresh ids. Ids are random (a per-thread generator seeded once from the OS); nothing here
// allocates.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace accord {

struct TraceId {
  std::array<uint8_t, 16> bytes{};
  bool valid() const;  // not all zero
  bool operator==(const TraceId&) const = default;
};

struct SpanId {
  std::array<uint8_t, 8> bytes{};
  bool valid() const;  // not all zero
  bool operator==(const SpanId&) const = default;
};

// A valid `traceparent`'s fields.
struct TraceParent {
  TraceId trace_id;
  SpanId parent_id;
  uint8_t flags = 0;
  bool sampled() const { return (flags & 1) != 0; }
};

// "00-" 32 hex "-" 16 hex "-" 2 hex.
inline constexpr size_t kTraceParentSize = 55;
// The longest `tracestate` passed on (the size every vendor must propagate).
inline constexpr size_t kMaxTraceStateSize = 512;

// The header's fields, or nullopt when it breaks the W3C rules: version 00 (exactly 55
// characters) or a later one (at least 55, the part after them starting with '-'; never ff),
// lowercase hex only, a trace id and parent id that are not all zero.
std::optional<TraceParent> parse_traceparent(std::string_view header);
// "00-TRACE-SPAN-FLAGS" (flags 01 when sampled, else 00) into `out`.
void format_traceparent(const TraceId& trace_id, const SpanId& span_id, bool sampled,
                        char (&out)[kTraceParentSize]);
// Whether a `tracestate` may be passed on as it is: 1–512 printable ASCII characters.
bool valid_tracestate(std::string_view header);

// Random, never all zero. Any thread.
TraceId new_trace_id();
SpanId new_span_id();

// Lowercase hex of the id, appended to `out`.
void append_hex(std::string& out, const TraceId& id);
void append_hex(std::string& out, const SpanId& id);

}  // namespace accord
