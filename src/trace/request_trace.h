// RequestTrace: a request's place in a trace, decided on arrival (the client's `traceparent`, or a
// new trace) and carried in its RequestContext: the ids of the spans it will have, whether they
// are recorded, and the `traceparent` its upstream gets. Its spans are built only at completion,
// from the context's timestamps (trace_record.h), so the stages between do no tracing work.
#pragma once

#include <string_view>

#include "agreement/agreement.h"
#include "trace/trace_context.h"

namespace accord {

struct RequestTrace {
  bool active = false;   // the agreement has `traces`: ids are set, upstreams get a traceparent
  bool sampled = false;  // its spans are exported
  TraceId trace_id;
  SpanId parent_id;      // the client's span (from its traceparent); invalid: a new trace
  SpanId server_span;    // the request's own span
  SpanId upstream_span;  // the span of its call to an upstream, named in the upstream's traceparent
  // Views into the request, valid while it is served (completion included).
  std::string_view tracestate;  // the client's, when valid with a valid traceparent
  std::string_view method;
  std::string_view target;
  char upstream_traceparent[kTraceParentSize];

  // What an upstream gets in `traceparent`: "" when tracing is off.
  std::string_view traceparent_header() const {
    return active ? std::string_view(upstream_traceparent, kTraceParentSize) : std::string_view();
  }
};

// Starts `out` from the client's headers ("" when absent): a valid traceparent continues its trace
// and decides sampling; anything else starts a new trace, sampled at `config.sample_ratio`.
// REQUIRES: config.enabled; the headers outlive the request.
void begin_request_trace(const TracesConfig& config, std::string_view traceparent,
                         std::string_view tracestate, std::string_view method,
                         std::string_view target, RequestTrace& out);

}  // namespace accord
