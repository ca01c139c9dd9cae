// The OTLP/HTTP JSON encoding of a batch of spans (ExportTraceServiceRequest, in the protobuf JSON
// mapping OTLP specifies): one resource (service.name) with one scope ("accord") holding the
// spans; ids as lowercase hex, times as decimal strings of Unix nanoseconds, kind and status code
// as integers, 64-bit integers as decimal strings.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "trace/span.h"

namespace accord {

// Appends the request body for `spans` to `out`.
void encode_otlp_json(std::string_view service_name, std::span<const Span> spans, std::string& out);

}  // namespace accord
