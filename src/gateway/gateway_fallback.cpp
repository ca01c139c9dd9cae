// Fallback between pools. A request runs on its model's pool; when that pool cannot start it in
// time (its scheduler refuses it for capacity) or its upstream fails before the first byte, the
// next pool of its chain serves it: its reservation's `spillover: { to: POOL }` (for work beyond
// the reservation), then its pool's `fallback` list, then 429. `spillover: false` never falls
// back. Nothing falls back once a byte has reached the client. The pool that served it is the
// request's pool from then on: its scheduler, its upstream's name for the model, its price, and
// the ledger's, the access log's and the metrics' `pool`.
#include "backend/backend.h"
#include "gateway/gateway.h"
#include "policy/request_terms.h"

namespace accord {
namespace {

// Failed where another pool could still serve it: its pool could not start it in time, or an
// upstream failed (a refusal, a reset, a 429 or 5xx) and nothing was written.
bool may_move(const Error& error) {
  return error.kind == ErrorKind::kCapacityExceeded || error.kind == ErrorKind::kUnavailable ||
         error.source == ErrorSource::kUpstream;
}

}  // namespace

asio::awaitable<void> Gateway::run_on_pools(HttpExchange& exchange, RequestContext& ctx,
                                            const HeaderLines& headers,
                                            const asio::any_io_executor& executor) {
  std::vector<PoolId> chain;
  size_t next = 0;
  for (;;) {
    if (ctx.ticket->state == Ticket::State::kQueued) {
      co_await ctx.scheduler->wait(ctx.ticket);
    }
    // The chain is known once the scheduler has classed the request (within its reservation
    // or beyond it).
    if (next == 0 && chain.empty()) {
      chain = fallback_pools(*ctx.snapshot->agreement, ctx.party, ctx.model,
                             ctx.ticket->cls == SchedClass::kReserved);
      // A conversation that one pool's upstreams keep is continued there or nowhere; a request
      // that only upstreams speaking its API take falls back to such pools only.
      if (ctx.relay != nullptr && !ctx.relay->only_pool.empty()) chain.clear();
      if (ctx.relay != nullptr && ctx.relay->untranslated != nullptr) {
        std::erase_if(chain, [&](PoolId pool) {
          return !relays_natively(*ctx.relay,
                                  ctx.snapshot->agreement->pools[static_cast<size_t>(pool)]);
        });
      }
    }
    const bool may_fall_back = next < chain.size();
    if (ctx.ticket->state == Ticket::State::kRefused) {
      ctx.error = ctx.ticket->refusal;
    } else {
      co_await dispatch(exchange, ctx, headers, may_fall_back);
    }
    if (!may_fall_back || !ctx.error || exchange.responded() || !may_move(*ctx.error)) co_return;
    release_ticket(ctx, false);
    ctx.pool = chain[next++];
    ctx.error.reset();
    ctx.upstream_sample.reset();
    ctx.status = 0;
    ctx.prompt_tokens = ctx.cached_prompt_tokens = ctx.completion_tokens = 0;
    ctx.first_token_at = 0;
    ctx.endpoint = -1;
    submit(ctx, executor);
  }
}

}  // namespace accord
