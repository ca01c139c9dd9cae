// Stage 6, dispatch: the request runs on the lane its scheduler gave it, on its pool's backend (a
// replica of the built-in engine, or the pool's upstream endpoints). A flex request whose slot was
// reclaimed before it sent anything goes back to the queue and runs again; otherwise a reclaimed
// request ends with code "preempted".
#include <fmt/format.h>

#include "backend/backend.h"
#include "engine/openai_responder.h"
#include "gateway/gateway.h"

namespace accord {
namespace {

// What the answer says about an upstream's load (its latency is measured at complete()). A 429
// is the upstream's quota, not its latency: it counts through rate_limited only.
void sample_upstream(const RunOutcome& outcome, RequestContext& ctx) {
  if (outcome.endpoint < 0 || outcome.stopped || outcome.client_gone) return;
  UpstreamSample& sample = ctx.upstream_sample.emplace();
  sample.dropped =
      outcome.status != 429 &&
      (outcome.status >= 500 || (outcome.error && outcome.error->source == ErrorSource::kUpstream));
  sample.rate_limited = outcome.rate_limited;
}

// A request that only some pools can serve, placed on another: one that continues a
// conversation kept by one pool's upstreams (NativeRelay::only_pool), since no other pool knows
// the conversation, or one that only upstreams speaking its API take (NativeRelay::untranslated).
// Its error, or nullopt.
std::optional<Error> misplaced_relay(const RequestContext& ctx, const Pool& pool) {
  if (ctx.relay == nullptr) return std::nullopt;
  if (ctx.relay->only_pool.empty()) {
    if (ctx.relay->untranslated == nullptr || relays_natively(*ctx.relay, pool)) {
      return std::nullopt;
    }
    return *ctx.relay->untranslated;
  }
  if (pool.name == ctx.relay->only_pool && relays_natively(*ctx.relay, pool)) return std::nullopt;
  return Error::client(ErrorKind::kInvalidRequest,
                       fmt::format("previous_response_id names a response that pool '{}' keeps, "
                                   "and this request was placed on pool '{}', which cannot "
                                   "continue it.",
                                   ctx.relay->only_pool, pool.name),
                       "previous_response_id");
}

}  // namespace

asio::awaitable<void> Gateway::dispatch(HttpExchange& exchange, RequestContext& ctx,
                                        const HeaderLines& headers, bool may_fall_back) {
  const Agreement& agreement = *ctx.snapshot->agreement;
  Backend& backend = *ctx.snapshot->pools[ctx.pool]->backend;
  GatewayTicket& ticket = *ctx.ticket;
  std::unique_ptr<FinalGate> gate;
  if (ledger_ != nullptr && ledger_->durability() == Durability::kStrict) {
    gate = make_strict_gate(*this, ctx);
  }
  BackendRequest request;
  request.body = &ctx.body;
  request.kind = ctx.kind;
  request.model = &agreement.models[ctx.model];
  request.pool = &agreement.pools[ctx.pool];
  request.upstream_model = agreement.models[ctx.model].upstream_name_on(ctx.pool);
  request.request_id = ctx.request_id;
  request.wall_arrived_at = ctx.wall_arrived_at;
  request.service_tier = ctx.service_tier;
  request.relay = ctx.relay;
  request.traceparent = ctx.trace.traceparent_header();
  request.tracestate = ctx.trace.tracestate;
  if (auto misplaced = misplaced_relay(ctx, *request.pool)) {
    ctx.error = std::move(misplaced);
    co_return;
  }
  for (;;) {
    ctx.dispatched_at = clock_.now();
    RunControl control;
    control.waiter = ticket.shared_waiter();
    control.stop = &ticket.stop();
    control.output_started = &ticket.output_started;
    control.lane = ticket.lane;
    control.gate = gate.get();
    control.may_fall_back = may_fall_back;
    RunOutcome outcome = co_await backend.run(exchange, request, headers, control);
    ctx.prompt_tokens = outcome.prompt_tokens;
    ctx.cached_prompt_tokens = outcome.cached_prompt_tokens;
    ctx.completion_tokens = outcome.completion_tokens;
    ctx.first_token_at = outcome.first_token_at;
    ctx.client_gone = outcome.client_gone;
    ctx.status = outcome.status;
    ctx.endpoint = outcome.endpoint;
    sample_upstream(outcome, ctx);
    if (outcome.error) ctx.error = std::move(outcome.error);
    if (!outcome.stopped) co_return;
    if (!exchange.responded() && ticket.state == Ticket::State::kQueued) {
      ticket.stop().stopped.store(false, std::memory_order_release);  // requeued: wait again
      co_await ctx.scheduler->wait(ctx.ticket);
      if (ticket.state == Ticket::State::kRefused) {
        ctx.error = ticket.refusal;
        co_return;
      }
      continue;
    }
    if (!exchange.responded()) ctx.error = preempted_error();
    ctx.status = 503;
    co_return;
  }
}

}  // namespace accord
