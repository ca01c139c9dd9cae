// The operator's views: Prometheus metrics (/metrics) and the live dashboard (/dashboard, its data
// at /dashboard/data). Metrics and the dashboard's data need an operator key; the page itself
// holds nothing and asks for one.
#include "http/openai_error.h"
#include "metrics/dashboard_data.h"
#include "metrics/gateway_metrics.h"
#include "policy/authenticate.h"
#include "routes/routes.h"

namespace accord {
namespace {

asio::awaitable<void> serve_observability(const RouteContext& c, HttpExchange& exchange,
                                          std::string_view path) {
  HeaderLines headers;
  if (path == "/dashboard" || path == "/dashboard/") {
    headers.add("cache-control", "no-store");
    co_await exchange.respond(200, "text/html; charset=utf-8", dashboard_html(), headers);
    co_return;
  }
  const auto snapshot = c.store->current();
  auto key = authenticate_operator(*snapshot->agreement, *snapshot->keys,
                                   exchange.header("authorization"), c.clock->wall_now());
  if (!key.ok()) {
    co_await respond_error(exchange, key.error(), headers);
    co_return;
  }
  if (c.metrics == nullptr) {
    co_await respond_error(
        exchange, Error::internal(ErrorKind::kUnavailable, "Metrics are not enabled."), headers);
    co_return;
  }
  if (path == "/metrics") {
    const std::string body = c.metrics->scrape();
    co_await exchange.respond(200, "text/plain; version=0.0.4; charset=utf-8", body, headers);
    co_return;
  }
  headers.add("cache-control", "no-store");
  const std::string body = dashboard_json(*c.metrics, *snapshot, c.ledger, c.clock->wall_now());
  co_await exchange.respond(200, "application/json", body, headers);
}

}  // namespace

void add_observability_routes(Router& router, const RouteContext& context) {
  const RouteContext* c = &context;
  for (const char* path : {"/metrics", "/dashboard", "/dashboard/", "/dashboard/data"}) {
    router.add("GET", path, [c](HttpExchange& exchange, std::string_view p) {
      return serve_observability(*c, exchange, p);
    });
  }
}

}  // namespace accord
