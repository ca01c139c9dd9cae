// TraceRecord: what a sampled request leaves for the exporter at completion — its ids, its stage
// timestamps and the values of its attributes, copied from the RequestContext in one go (no
// allocation unless the client sent a tracestate). The exporter's thread turns it into spans.
//
// A request's spans: the server span, named after its route ("POST /v1/chat/completions"), and as
// children the stages it reached — "authenticate"; "limits" (parsing, entitlement and limits);
// "queue" (the pool scheduler); "upstream" (a client span, the one upstreams see as their parent)
// or "engine", until the first byte; "relay", from the first byte to the end.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/request_id.h"
#include "gateway/request_context.h"
#include "trace/span.h"

namespace accord {

struct TraceRecord {
  TraceId trace_id;
  SpanId parent_id;  // the client's span; invalid: none
  SpanId server_span;
  SpanId upstream_span;
  std::string tracestate;
  // "METHOD /path" (no query), cut at its capacity.
  char name[96];
  uint8_t name_size = 0;
  uint8_t method_size = 0;
  std::shared_ptr<const Agreement> agreement;  // names are read from it
  int32_t key = -1;                            // index in agreement->keys
  PartyId party = kNone;
  ModelId model = kNone;
  PoolId pool = kNone;
  int endpoint = -1;
  ApiKind kind = ApiKind::kChat;
  SchedClass sched_class = SchedClass::kShared;
  int status = 0;
  char error_code[40];  // error.type; empty when the request did not fail
  uint8_t error_code_size = 0;
  int64_t prompt_tokens = 0;
  int64_t cached_prompt_tokens = 0;
  int64_t completion_tokens = 0;
  RequestId request_id;
  // Unix nanoseconds of arrival, and the stages' moments as nanoseconds after it (-1: never).
  int64_t arrived_unix_ns = 0;
  int64_t checked_ns = -1;  // authentication begins
  int64_t authenticated_ns = -1;
  int64_t admitted_ns = -1;
  int64_t dispatched_ns = -1;
  int64_t first_token_ns = -1;
  int64_t finished_ns = 0;
  bool queued = false;  // it reached the pool scheduler
  uint8_t span_count = 0;

  std::string_view span_name() const { return {name, name_size}; }
};

// REQUIRES: ctx.trace.active; called at completion (the request's views still valid).
void make_trace_record(const RequestContext& ctx, TraceRecord& out);

// Reused spans: append_spans() fills them without reallocating their attribute lists.
class SpanBuffer {
 public:
  Span& next();
  void clear() { used_ = 0; }
  std::span<const Span> spans() const { return {spans_.data(), used_}; }

 private:
  std::vector<Span> spans_;
  size_t used_ = 0;
};

// The record's spans, appended to `out`. They view `record`: it must outlive them.
void append_spans(const TraceRecord& record, SpanBuffer& out);

}  // namespace accord
