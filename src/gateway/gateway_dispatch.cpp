// Stage 6, dispatch: the request runs on the lane its scheduler gave it — a replica of the
// built-in engine, or the pool's upstream endpoints. A flex request whose slot was reclaimed
// before it sent anything goes back to the queue and runs again; otherwise a reclaimed request
// ends with code "preempted".
#include "engine/openai_responder.h"
#include "gateway/gateway.h"
#include "upstream/forwarder.h"

namespace accord {

asio::awaitable<void> Gateway::dispatch(HttpExchange& exchange, RequestContext& ctx,
                                        const HeaderLines& headers) {
  const Agreement& agreement = *ctx.snapshot->agreement;
  const Model& model = agreement.models[ctx.model];
  const Pool& pool = agreement.pools[ctx.pool];
  PoolBackend& backend = *ctx.snapshot->pools[ctx.pool];
  GatewayTicket& ticket = *ctx.ticket;
  std::unique_ptr<FinalGate> gate;
  if (ledger_ != nullptr && ledger_->durability() == Durability::kStrict) {
    gate = make_strict_gate(*this, ctx);
  }
  for (;;) {
    ctx.dispatched_at = clock_.now();
    bool stopped = false;
    if (backend.engine) {
      EngineLimits limits;
      limits.context_window = model.context_window;
      limits.max_output_tokens = model.max_output_tokens.value_or(0);
      limits.embedding_dimensions = model.embedding_dimensions;
      const std::string id = std::string(ctx.kind == ApiKind::kChat ? "chatcmpl-" : "cmpl-") +
                             std::string(ctx.request_id);
      ResponseMeta meta;
      meta.id = id;
      meta.model = model.name;
      meta.created = ctx.wall_arrived_at / 1000;
      meta.service_tier = to_string(ctx.service_tier);
      EngineRun run;
      run.waiter = ticket.shared_waiter();
      run.stop = &ticket.stop();
      run.output_started = &ticket.output_started;
      run.replica = ticket.lane;
      run.gate = gate.get();
      EngineOutcome outcome = co_await serve_with_engine(*backend.engine, exchange, ctx.body,
                                                         limits, meta, headers, clock_, run);
      ctx.prompt_tokens = outcome.prompt_tokens;
      ctx.completion_tokens = outcome.completion_tokens;
      ctx.first_token_at = outcome.first_token_at;
      ctx.client_gone = outcome.client_gone;
      ctx.status = outcome.status;
      if (outcome.error) ctx.error = std::move(outcome.error);
      stopped = outcome.stopped;
    } else {
      ForwardRequest request;
      request.body = &ctx.body;
      request.api_path = ctx.kind == ApiKind::kChat         ? "/chat/completions"
                         : ctx.kind == ApiKind::kCompletion ? "/completions"
                                                            : "/embeddings";
      request.model = &model;
      request.pool = &pool;
      request.request_id = ctx.request_id;
      request.stop = &ticket.stop();
      request.output_started = &ticket.output_started;
      request.gate = gate.get();
      ForwardOutcome outcome = co_await forward_to_upstream(*backend.endpoints, clients_.current(),
                                                            exchange, request, headers, clock_);
      ctx.prompt_tokens = outcome.prompt_tokens;
      ctx.completion_tokens = outcome.completion_tokens;
      ctx.first_token_at = outcome.first_token_at;
      ctx.client_gone = outcome.client_gone;
      ctx.status = outcome.status;
      ctx.endpoint = outcome.endpoint;
      // What the answer says about the upstream's load (its latency is measured at complete()).
      // A 429 is the upstream's quota, not its latency: it counts through rate_limited only.
      if (!outcome.stopped && !outcome.client_gone) {
        UpstreamSample& sample = ctx.upstream_sample.emplace();
        sample.dropped = outcome.status != 429 &&
                         (outcome.status >= 500 ||
                          (outcome.error && outcome.error->source == ErrorSource::kUpstream));
        sample.rate_limited = outcome.rate_limited;
      }
      if (outcome.error) ctx.error = std::move(outcome.error);
      stopped = outcome.stopped;
    }
    if (!stopped) co_return;
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
