#include "trace/trace_record.h"

#include <algorithm>

#include "http/openai_error.h"

namespace accord {
namespace {

// Copies `s` into `buf`, cut at its capacity; returns the size copied.
template <size_t N>
uint8_t copy_cut(std::string_view s, char (&buf)[N]) {
  static_assert(N < 256);
  const size_t n = std::min(s.size(), N);
  s.copy(buf, n);
  return static_cast<uint8_t>(n);
}

int64_t since(MonoNanos from, MonoNanos t) {
  return t == 0 ? -1 : std::max<int64_t>(0, t - from);
}

std::string_view operation_name(ApiKind kind) {
  switch (kind) {
    case ApiKind::kChat:
      return "chat";
    case ApiKind::kCompletion:
      return "text_completion";
    case ApiKind::kEmbedding:
      return "embeddings";
  }
  return "chat";
}

// A child of the server span, from `from` to `to` (nanoseconds after arrival).
Span& stage(SpanBuffer& out, const TraceRecord& r, std::string_view name, int64_t from,
            int64_t to) {
  Span& s = out.next();
  s.trace_id = r.trace_id;
  s.span_id = new_span_id();
  s.parent_id = r.server_span;
  s.trace_state = r.tracestate;
  s.name = name;
  s.kind = SpanKind::kInternal;
  s.start_unix_ns = r.arrived_unix_ns + from;
  s.end_unix_ns = r.arrived_unix_ns + std::max(from, to);
  return s;
}

}  // namespace

void make_trace_record(const RequestContext& ctx, TraceRecord& r) {
  const RequestTrace& t = ctx.trace;
  r.trace_id = t.trace_id;
  r.parent_id = t.parent_id;
  r.server_span = t.server_span;
  r.upstream_span = t.upstream_span;
  r.tracestate.assign(t.tracestate);
  r.name_size = 0;
  const auto append = [&r](std::string_view part) {
    const size_t n = std::min(part.size(), sizeof r.name - r.name_size);
    part.copy(r.name + r.name_size, n);
    r.name_size = static_cast<uint8_t>(r.name_size + n);
  };
  append(t.method);
  r.method_size = r.name_size;
  append(" ");
  append(t.target.substr(0, t.target.find('?')));
  r.agreement = ctx.snapshot->agreement;
  r.key = ctx.key != nullptr ? static_cast<int32_t>(ctx.key - r.agreement->keys.data()) : -1;
  r.party = ctx.key != nullptr ? ctx.party : kNone;
  r.model = ctx.model;
  r.pool = ctx.model != kNone ? ctx.pool : kNone;
  r.endpoint = ctx.endpoint;
  r.kind = ctx.kind;
  r.sched_class = ctx.sched_class;
  r.status = ctx.recorded_status();
  r.error_code_size = 0;
  if (ctx.error) {
    std::string_view code = ctx.error->code;
    if (code.empty()) code = openai_error_code(ctx.error->kind);
    if (code.empty()) code = openai_error_type(ctx.error->kind);
    r.error_code_size = copy_cut(code, r.error_code);
  }
  r.prompt_tokens = ctx.prompt_tokens;
  r.cached_prompt_tokens = ctx.cached_prompt_tokens;
  r.completion_tokens = ctx.completion_tokens;
  r.request_id = ctx.request_id;
  r.arrived_unix_ns = ctx.wall_arrived_at * kNanosPerMilli;
  r.checked_ns = since(ctx.arrived_at, ctx.checked_at);
  r.authenticated_ns = since(ctx.arrived_at, ctx.authenticated_at);
  r.admitted_ns = since(ctx.arrived_at, ctx.admitted_at);
  r.dispatched_ns = since(ctx.arrived_at, ctx.dispatched_at);
  r.first_token_ns = since(ctx.arrived_at, ctx.first_token_at);
  r.finished_ns = std::max<int64_t>(0, since(ctx.arrived_at, ctx.finished_at));
  r.queued = ctx.ticket != nullptr;
  r.span_count = static_cast<uint8_t>(1 + (r.authenticated_ns >= 0) + (r.admitted_ns >= 0) +
                                      r.queued + (r.dispatched_ns >= 0) + (r.first_token_ns >= 0));
}

Span& SpanBuffer::next() {
  if (used_ == spans_.size()) spans_.emplace_back();
  Span& s = spans_[used_++];
  s.attributes.clear();
  s.error = false;
  s.error_message = {};
  return s;
}

void append_spans(const TraceRecord& r, SpanBuffer& out) {
  const Agreement& a = *r.agreement;
  const bool failed = r.status >= 500;
  const std::string_view error_code(r.error_code, r.error_code_size);

  Span& server = out.next();
  server.trace_id = r.trace_id;
  server.span_id = r.server_span;
  server.parent_id = r.parent_id;
  server.trace_state = r.tracestate;
  server.name = r.span_name();
  server.kind = SpanKind::kServer;
  server.start_unix_ns = r.arrived_unix_ns;
  server.end_unix_ns = r.arrived_unix_ns + r.finished_ns;
  server.error = failed;
  server.error_message = error_code;
  auto& at = server.attributes;
  const std::string_view name = r.span_name();
  at.push_back(SpanAttribute::string("http.request.method", name.substr(0, r.method_size)));
  at.push_back(SpanAttribute::string(
      "url.path", name.substr(std::min<size_t>(name.size(), r.method_size + size_t{1}))));
  at.push_back(SpanAttribute::integer("http.response.status_code", r.status));
  at.push_back(SpanAttribute::string("accord.request_id", r.request_id.view()));
  at.push_back(SpanAttribute::string("gen_ai.operation.name", operation_name(r.kind)));
  if (r.key >= 0) {
    at.push_back(SpanAttribute::string("accord.key_id", a.keys[static_cast<size_t>(r.key)].id));
  }
  if (r.party != kNone) {
    at.push_back(SpanAttribute::string("accord.party", a.parties[r.party].name));
  }
  if (r.model != kNone) {
    at.push_back(SpanAttribute::string("gen_ai.request.model", a.models[r.model].name));
    at.push_back(SpanAttribute::string("accord.class", to_string(r.sched_class)));
  }
  if (r.pool != kNone) at.push_back(SpanAttribute::string("accord.pool", a.pools[r.pool].name));
  if (r.dispatched_ns >= 0) {
    at.push_back(SpanAttribute::integer("gen_ai.usage.input_tokens", r.prompt_tokens));
    at.push_back(SpanAttribute::integer("gen_ai.usage.output_tokens", r.completion_tokens));
    at.push_back(
        SpanAttribute::integer("gen_ai.usage.cache_read.input_tokens", r.cached_prompt_tokens));
  }
  if (!error_code.empty()) at.push_back(SpanAttribute::string("error.type", error_code));

  const int64_t end = r.finished_ns;
  if (r.authenticated_ns >= 0) {
    stage(out, r, "authenticate", std::max<int64_t>(0, r.checked_ns), r.authenticated_ns);
  }
  if (r.admitted_ns >= 0) stage(out, r, "limits", r.authenticated_ns, r.admitted_ns);
  if (r.queued) {
    stage(out, r, "queue", r.admitted_ns, r.dispatched_ns >= 0 ? r.dispatched_ns : end);
  }
  if (r.dispatched_ns >= 0) {
    const Pool* pool = r.pool != kNone ? &a.pools[r.pool] : nullptr;
    const bool upstream = pool != nullptr && !pool->upstreams.empty();
    Span& s = stage(out, r, upstream ? "upstream" : "engine", r.dispatched_ns,
                    r.first_token_ns >= 0 ? r.first_token_ns : end);
    s.error = failed;
    s.error_message = error_code;
    if (upstream) {
      s.span_id = r.upstream_span;
      s.kind = SpanKind::kClient;
      if (r.endpoint >= 0 && static_cast<size_t>(r.endpoint) < pool->upstreams.size()) {
        const UpstreamEndpoint& e = pool->upstreams[static_cast<size_t>(r.endpoint)];
        s.attributes.push_back(SpanAttribute::string("server.address", e.host));
        s.attributes.push_back(SpanAttribute::integer("server.port", e.port));
      }
    }
  }
  if (r.first_token_ns >= 0) stage(out, r, "relay", r.first_token_ns, end);
}

}  // namespace accord
