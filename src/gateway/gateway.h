// Gateway: the OpenAI-compatible front door. Routes each request and runs it through the stages
// of DESIGN.md §2 — authenticate, entitle, (limit, admit: later issues), dispatch to the built-in
// engine or an upstream, complete — against the snapshot of the agreement current when it
// arrived. Errors are values until the edge, where one table turns them into OpenAI error bodies.
#pragma once

#include <vector>

#include "core/clock.h"
#include "gateway/agreement_store.h"
#include "gateway/request_context.h"
#include "http/server.h"
#include "ledger/ledger.h"
#include "runtime/final_gate.h"
#include "upstream/loop_clients.h"

namespace accord {

class GatewayMetrics;

class Gateway final : public HttpHandler {
 public:
  // `ledger` may be null (ledger: { enabled: false }).
  Gateway(AgreementStore& store, LoopClients& clients, const Clock& clock,
          Ledger* ledger = nullptr);

  asio::awaitable<void> handle(HttpExchange& exchange) override;

  // REQUIRES: called before serving starts; observers outlive the gateway's use.
  void add_observer(CompletionObserver* observer) { observers_.push_back(observer); }
  // Serves /metrics and the dashboard from `metrics` (and observes requests for it).
  void set_metrics(GatewayMetrics* metrics);

 private:
  // Every route but inference's (handle() sends a POST to an inference path straight on).
  asio::awaitable<void> route(HttpExchange& exchange);
  asio::awaitable<void> serve_inference(HttpExchange& exchange, ApiKind kind);
  // Stages 1–5 up to the scheduler's decision, without suspending: false when the request
  // ends here (ctx.error says why); otherwise its ticket is running or queued.
  bool prepare(HttpExchange& exchange, RequestContext& ctx, HeaderLines& headers,
               const asio::any_io_executor& executor);
  bool limit(RequestContext& ctx, HeaderLines& headers);
  void submit(RequestContext& ctx, const asio::any_io_executor& executor);
  // gateway_dispatch.cpp: stage 6, with requeue after a reclaim.
  asio::awaitable<void> dispatch(HttpExchange& exchange, RequestContext& ctx,
                                 const HeaderLines& headers);
  // Stage 7: reconcile the estimates, record the usage, then the observers.
  void complete(RequestContext& ctx);
  // gateway_usage.cpp: the ledger.
  UsageRecord make_record(const RequestContext& ctx) const;
  uint64_t record(RequestContext& ctx);
  // Strict durability: appends the record and waits until it is committed.
  asio::awaitable<bool> record_and_wait(RequestContext& ctx);
  asio::awaitable<void> wait_for_ledger_room();
  friend class StrictGate;

  // gateway_routes.cpp
  asio::awaitable<void> serve_models(HttpExchange& exchange, std::string_view model_id,
                                     HeaderLines& headers);
  asio::awaitable<void> serve_reload(HttpExchange& exchange, HeaderLines& headers);
  asio::awaitable<void> serve_readyz(HttpExchange& exchange, HeaderLines& headers);
  // gateway_reports.cpp
  asio::awaitable<void> serve_usage_api(HttpExchange& exchange, std::string_view path,
                                        HeaderLines& headers);
  // gateway_observability.cpp: /metrics, /dashboard, /dashboard/data
  asio::awaitable<void> serve_observability(HttpExchange& exchange, std::string_view path,
                                            HeaderLines& headers);

  AgreementStore& store_;
  LoopClients& clients_;
  const Clock& clock_;
  Ledger* ledger_;
  std::vector<CompletionObserver*> observers_;
  GatewayMetrics* metrics_ = nullptr;
};

// The strict ledger's gate for one request (gateway_usage.cpp).
std::unique_ptr<FinalGate> make_strict_gate(Gateway& gateway, RequestContext& ctx);

}  // namespace accord
