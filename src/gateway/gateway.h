// Gateway: the inference pipeline. Runs each inference request through the stages of DESIGN.md
// §2 — authenticate, entitle, limit, admit, dispatch to its pool's backend, complete — against
// the snapshot of the agreement current when it arrived. Errors are values until the edge, where
// one table turns them into OpenAI error bodies. The other routes sit beside it (routes/).
#pragma once

#include <vector>

#include "core/clock.h"
#include "gateway/agreement_store.h"
#include "gateway/request_context.h"
#include "http/router.h"
#include "ledger/ledger.h"
#include "runtime/final_gate.h"

namespace accord {

class Gateway final {
 public:
  // `ledger` may be null (ledger: { enabled: false }).
  Gateway(AgreementStore& store, const Clock& clock, Ledger* ledger = nullptr);

  // The inference routes (POST /v1/chat/completions, /v1/completions, /v1/embeddings), served by
  // this gateway. REQUIRES: the gateway outlives the router's use.
  void add_routes(Router& router);

  // REQUIRES: called before serving starts; observers outlive the gateway's use.
  void add_observer(CompletionObserver* observer) { observers_.push_back(observer); }

  // Serves one inference request of `kind` whole: from authentication to completion. Another
  // API served through the pipeline calls it with a TranslatingExchange (apis/), and with `relay`
  // when a backend whose upstreams speak that API may send it as received.
  // REQUIRES: `relay`, when set, outlives the call.
  asio::awaitable<void> serve(HttpExchange& exchange, ApiKind kind,
                              const NativeRelay* relay = nullptr);

 private:
  // Stages 1–5 up to the scheduler's decision, without suspending: false when the request
  // ends here (ctx.error says why); otherwise its ticket is running or queued.
  bool prepare(HttpExchange& exchange, RequestContext& ctx, HeaderLines& headers,
               const asio::any_io_executor& executor);
  bool limit(RequestContext& ctx, HeaderLines& headers);
  void submit(RequestContext& ctx, const asio::any_io_executor& executor);
  // gateway_fallback.cpp: waits for the ticket and dispatches it; when its pool cannot start it
  // in time, or its upstream fails before the first byte, the next pool of its chain serves it.
  asio::awaitable<void> run_on_pools(HttpExchange& exchange, RequestContext& ctx,
                                     const HeaderLines& headers,
                                     const asio::any_io_executor& executor);
  // Gives the ticket back to its pool's scheduler (complete() does it for the last pool).
  void release_ticket(RequestContext& ctx, bool whole);
  // gateway_dispatch.cpp: stage 6, with requeue after a reclaim.
  asio::awaitable<void> dispatch(HttpExchange& exchange, RequestContext& ctx,
                                 const HeaderLines& headers, bool may_fall_back);
  // Stage 7: reconcile the estimates, record the usage, then the observers.
  void complete(RequestContext& ctx);
  // gateway_usage.cpp: the ledger.
  UsageRecord make_record(const RequestContext& ctx) const;
  uint64_t record(RequestContext& ctx);
  // Strict durability: appends the record and waits until it is committed.
  asio::awaitable<bool> record_and_wait(RequestContext& ctx);
  asio::awaitable<void> wait_for_ledger_room();
  friend class StrictGate;

  AgreementStore& store_;
  const Clock& clock_;
  Ledger* ledger_;
  std::vector<CompletionObserver*> observers_;
};

// The strict ledger's gate for one request (gateway_usage.cpp).
std::unique_ptr<FinalGate> make_strict_gate(Gateway& gateway, RequestContext& ctx);

}  // namespace accord
