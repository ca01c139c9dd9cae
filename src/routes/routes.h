// The routes beside the inference pipeline: the model list, the usage API and reports, health,
// readiness and reload, and the operator's views (/metrics, the dashboard). Each adds its routes
// to the server's Router; inference's routes come from the gateway (gateway/gateway.h).
#pragma once

#include <functional>

#include "core/clock.h"
#include "gateway/agreement_store.h"
#include "http/router.h"
#include "ledger/ledger.h"

namespace accord {

class GatewayMetrics;
class KeyAdmin;

// What the routes read. REQUIRES: everything it points to outlives the router's use.
struct RouteContext {
  AgreementStore* store = nullptr;
  Ledger* ledger = nullptr;  // null: ledger: { enabled: false }
  const Clock* clock = nullptr;
  GatewayMetrics* metrics = nullptr;  // null: /metrics answers 503
  KeyAdmin* keys = nullptr;           // null (no ledger): the keys API answers 400
  // Called after each reload that took (POST /admin/reload), as after SIGHUP's.
  std::function<void()> after_reload;
};

// GET /v1/models, /v1/models/{id}
void add_model_routes(Router& router, const RouteContext& context);
// GET /v1/usage (a party's own), /admin/usage, /admin/sla, /admin/settlement (operators)
void add_usage_routes(Router& router, const RouteContext& context);
// GET /healthz, /readyz; POST /admin/reload
void add_admin_routes(Router& router, const RouteContext& context);
// GET /metrics, /dashboard, /dashboard/data
void add_observability_routes(Router& router, const RouteContext& context);
// POST/GET /admin/keys, POST /admin/keys/{id}/rotate, DELETE /admin/keys/{id}, GET /admin/audit
void add_key_routes(Router& router, const RouteContext& context);

}  // namespace accord
