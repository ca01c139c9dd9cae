// Health (/healthz), readiness (/readyz: every pool can serve) and the operator's reload of the
// agreement (POST /admin/reload).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/json_writer.h"
#include "http/openai_error.h"
#include "policy/authenticate.h"
#include "routes/routes.h"

namespace accord {
namespace {

asio::awaitable<void> serve_healthz(HttpExchange& exchange) {
  const HeaderLines headers{};
  co_await exchange.respond(200, "application/json", R"({"status":"ok"})", headers);
}

asio::awaitable<void> serve_readyz(const RouteContext& c, HttpExchange& exchange) {
  HeaderLines headers;
  const auto snapshot = c.store->current();
  const Agreement& a = *snapshot->agreement;
  bool ready = true;
  std::string out;
  JsonWriter w(out);
  w.begin_object().key("pools").begin_object();
  for (size_t i = 0; i < a.pools.size(); ++i) {
    const bool pool_ready = snapshot->pools[i]->backend->ready();
    ready = ready && pool_ready;
    w.field(a.pools[i].name, pool_ready ? "ready" : "no healthy endpoint");
  }
  w.end_object();
  w.field("status", ready ? "ready" : "not ready");
  w.end_object();
  const int status = ready ? 200 : 503;
  co_await exchange.respond(status, "application/json", out, headers);
}

asio::awaitable<void> serve_reload(const RouteContext& c, HttpExchange& exchange) {
  HeaderLines headers;
  const auto snapshot = c.store->current();
  auto key = authenticate_operator(*snapshot->agreement, *snapshot->keys,
                                   exchange.header("authorization"), c.clock->wall_now());
  if (!key.ok()) {
    co_await respond_error(exchange, key.error(), headers);
    co_return;
  }
  const ReloadResult result = c.store->reload();
  std::string out;
  JsonWriter w(out);
  if (result.ok) {
    spdlog::info("agreement reloaded by {}: {}", key.value()->id, result.summary);
    if (c.after_reload) c.after_reload();
    w.begin_object().field("status", "reloaded").field("summary", result.summary).end_object();
    co_await exchange.respond(200, "application/json", out, headers);
    co_return;
  }
  spdlog::warn(
      "reload by {} refused: the new agreement has {} problem(s); the old one keeps "
      "serving",
      key.value()->id, result.errors.size());
  w.begin_object().key("error").begin_object();
  w.field("message", fmt::format("The new agreement is invalid ({} problem(s)); the old one keeps "
                                 "serving.",
                                 result.errors.size()));
  w.field("type", "invalid_request_error");
  w.key("param").null();
  w.field("code", "invalid_agreement");
  w.key("errors").begin_array();
  for (const std::string& e : result.errors) w.value(e);
  w.end_array();
  w.end_object().end_object();
  co_await exchange.respond(422, "application/json", out, headers);
}

}  // namespace

void add_admin_routes(Router& router, const RouteContext& context) {
  const RouteContext* c = &context;
  router.add("GET", "/healthz",
             [](HttpExchange& exchange, std::string_view) { return serve_healthz(exchange); });
  router.add("GET", "/readyz",
             [c](HttpExchange& exchange, std::string_view) { return serve_readyz(*c, exchange); });
  router.add("POST", "/admin/reload",
             [c](HttpExchange& exchange, std::string_view) { return serve_reload(*c, exchange); });
}

}  // namespace accord
