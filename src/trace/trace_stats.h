// What the trace exporter counts, for /metrics (metrics/gateway_metrics.cpp): spans sent to the
// collector, and spans dropped because the queue was full or the export failed. Any thread.
#pragma once

#include <atomic>
#include <cstdint>

namespace accord {

struct TraceExportStats {
  std::atomic<uint64_t> exported_spans{0};
  std::atomic<uint64_t> dropped_queue_full{0};
  std::atomic<uint64_t> dropped_export_failed{0};
};

}  // namespace accord
