// The dashboard's JSON (GET /dashboard/data, operator key): per party its requests, refusals,
// tokens, each reservation's reserved rate, served weighted tokens (the page turns successive
// polls into tokens/s), TTFT p99 against its target and attainment, and its budget; per pool its
// slots and queues. Counters are read from the same series /metrics exposes, so the two agree.
#pragma once

#include <string>

#include "metrics/gateway_metrics.h"

namespace accord {

std::string dashboard_json(GatewayMetrics& metrics, const Snapshot& snapshot, const Ledger* ledger,
                           UnixMillis now);

// The q-quantile of a Prometheus histogram, interpolated within its bucket as PromQL's
// histogram_quantile() does; -1 when it has no samples.
double histogram_quantile(double q, const prometheus::ClientMetric::Histogram& h);

// The dashboard page (dashboard/index.html, built into the binary).
std::string_view dashboard_html();

}  // namespace accord
