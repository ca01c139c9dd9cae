#include "trace/request_trace.h"

#include "trace/sampler.h"

namespace accord {

void begin_request_trace(const TracesConfig& config, std::string_view traceparent,
                         std::string_view tracestate, std::string_view method,
                         std::string_view target, RequestTrace& out) {
  const std::optional<TraceParent> parent =
      traceparent.empty() ? std::nullopt : parse_traceparent(traceparent);
  out.active = true;
  if (parent) {
    out.trace_id = parent->trace_id;
    out.parent_id = parent->parent_id;
    // tracestate means nothing without the traceparent it came with.
    if (valid_tracestate(tracestate)) out.tracestate = tracestate;
  } else {
    out.trace_id = new_trace_id();
  }
  out.sampled = should_sample(parent, out.trace_id, config.sample_ratio);
  out.server_span = new_span_id();
  out.upstream_span = new_span_id();
  out.method = method;
  out.target = target;
  format_traceparent(out.trace_id, out.upstream_span, out.sampled, out.upstream_traceparent);
}

}  // namespace accord
