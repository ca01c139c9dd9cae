// The operator's views: Prometheus metrics (/metrics) and the live dashboard (/dashboard, its data
// at /dashboard/data). Metrics and the dashboard's data need an operator key; the page itself
// holds nothing and asks for one.
#include "gateway/gateway.h"
#include "http/openai_error.h"
#include "metrics/dashboard_data.h"
#include "metrics/gateway_metrics.h"
#include "policy/authenticate.h"

namespace accord {

void Gateway::set_metrics(GatewayMetrics* metrics) {
  metrics_ = metrics;
  add_observer(metrics);
}

asio::awaitable<void> Gateway::serve_observability(HttpExchange& exchange, std::string_view path,
                                                   HeaderLines& headers) {
  if (path == "/dashboard" || path == "/dashboard/") {
    headers.add("cache-control", "no-store");
    co_await exchange.respond(200, "text/html; charset=utf-8", dashboard_html(), headers);
    co_return;
  }
  const auto snapshot = store_.current();
  auto key = authenticate_operator(*snapshot->agreement, *snapshot->keys,
                                   exchange.header("authorization"));
  if (!key.ok()) {
    co_await respond_error(exchange, key.error(), headers);
    co_return;
  }
  if (metrics_ == nullptr) {
    co_await respond_error(
        exchange, Error::internal(ErrorKind::kUnavailable, "Metrics are not enabled."), headers);
    co_return;
  }
  if (path == "/metrics") {
    const std::string body = metrics_->scrape();
    co_await exchange.respond(200, "text/plain; version=0.0.4; charset=utf-8", body, headers);
    co_return;
  }
  headers.add("cache-control", "no-store");
  const std::string body = dashboard_json(*metrics_, *snapshot, ledger_, clock_.wall_now());
  co_await exchange.respond(200, "application/json", body, headers);
}

}  // namespace accord
