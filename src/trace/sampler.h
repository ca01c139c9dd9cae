// Which traces are recorded: parent-based, then by ratio. A client that sent a valid `traceparent`
// has decided (its sampled flag is followed, so a trace is whole or absent across services);
// otherwise the trace id decides, as OpenTelemetry's TraceIdRatioBased sampler does, so every
// service sampling at the same ratio keeps the same traces.
#pragma once

#include <optional>

#include "trace/trace_context.h"

namespace accord {

// Whether a trace whose id is `id` falls in a sample of `ratio` (0: none, 1: all): its last 8
// bytes, read big-endian and shifted to 63 bits, below ratio × 2^63.
bool ratio_samples(double ratio, const TraceId& id);

// The decision for a request: the client's flag when `parent` is set, else ratio_samples().
bool should_sample(const std::optional<TraceParent>& parent, const TraceId& id, double ratio);

}  // namespace accord
