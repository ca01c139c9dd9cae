// Stage 7's ledger part: one usage record per request that reached authentication, and in strict
// durability the wait for its commit before the response's final bytes.
#include "gateway/gateway.h"

namespace accord {
namespace {

constexpr int64_t kStrictWaitMs = 30'000;

double millis_between(MonoNanos from, MonoNanos to) {
  return from == 0 || to < from ? 0 : nanos_to_millis(to - from);
}

}  // namespace

UsageRecord Gateway::make_record(const RequestContext& ctx) const {
  UsageRecord r;
  r.agreement = ctx.snapshot->agreement;
  const Agreement& a = *r.agreement;
  r.time_ms = ctx.wall_arrived_at;
  r.request_id = ctx.request_id;
  r.key = ctx.key != nullptr ? static_cast<int32_t>(ctx.key - a.keys.data()) : -1;
  r.party = ctx.party;
  r.model = ctx.model;
  r.pool = ctx.model != kNone ? ctx.pool : kNone;
  r.endpoint = ctx.endpoint;
  r.cls = ctx.sched_class;
  r.service_tier = ctx.service_tier;
  r.reserved = ctx.reserved;
  const int status = ctx.recorded_status();
  r.status = static_cast<int16_t>(status);
  r.failed = ctx.error.has_value() || status >= 400;
  if (ctx.error) {
    r.error_kind = ctx.error->kind;
    r.error_source = ctx.error->source;
  } else if (ctx.client_gone) {
    r.error_kind = ErrorKind::kRequestTimeout;
    r.error_source = ErrorSource::kClient;
  } else if (status >= 500) {
    r.error_kind = ErrorKind::kUpstreamError;
    r.error_source = ErrorSource::kUpstream;
  } else if (status >= 400) {
    r.error_kind = ErrorKind::kInvalidRequest;
    r.error_source = ErrorSource::kClient;
  }
  r.prompt_tokens = ctx.prompt_tokens;
  r.completion_tokens = ctx.completion_tokens;
  r.cached_prompt_tokens = ctx.cached_prompt_tokens;
  r.queue_ms = millis_between(ctx.arrived_at, ctx.dispatched_at);
  r.ttft_ms = ctx.first_token_at != 0 ? millis_between(ctx.arrived_at, ctx.first_token_at) : -1;
  r.total_ms = millis_between(ctx.arrived_at, ctx.finished_at);
  if (ctx.model != kNone && ctx.party != kNone) {
    PriceTerms terms = price_terms(a, ctx.party, ctx.model, ctx.billed, ctx.pool);
    r.cost_micro_usd =
        cost_micro_usd(terms, ctx.prompt_tokens, ctx.completion_tokens, ctx.cached_prompt_tokens);
    terms.discount_ppm = 0;
    r.list_cost_micro_usd =
        cost_micro_usd(terms, ctx.prompt_tokens, ctx.completion_tokens, ctx.cached_prompt_tokens);
  }
  return r;
}

uint64_t Gateway::record(RequestContext& ctx) {
  ctx.recorded = true;
  return ledger_->append(make_record(ctx));
}

asio::awaitable<bool> Gateway::record_and_wait(RequestContext& ctx) {
  const uint64_t seq = record(ctx);
  if (ledger_->committed(seq)) co_return true;
  auto waiter = std::make_shared<Waiter>(co_await asio::this_coro::executor);
  ledger_->notify_when_committed(seq, waiter);
  const MonoNanos deadline = clock_.now() + kStrictWaitMs * kNanosPerMilli;
  while (!ledger_->committed(seq) && clock_.now() < deadline) {
    co_await waiter->wait_until(deadline);
  }
  co_return ledger_->committed(seq);
}

asio::awaitable<void> Gateway::wait_for_ledger_room() {
  auto waiter = std::make_shared<Waiter>(co_await asio::this_coro::executor);
  ledger_->notify_when_room(waiter);
  co_await waiter->wait_until(clock_.now() + 5 * kNanosPerSecond);
}

// Strict durability's gate: the response's final bytes wait until its record is committed.
class StrictGate final : public FinalGate {
 public:
  StrictGate(Gateway& gateway, RequestContext& ctx) : gateway_(gateway), ctx_(ctx) {}
  asio::awaitable<bool> before_final(int64_t prompt_tokens, int64_t completion_tokens,
                                     MonoNanos first_token_at) override {
    ctx_.prompt_tokens = prompt_tokens;
    ctx_.completion_tokens = completion_tokens;
    ctx_.first_token_at = first_token_at;
    ctx_.status = 200;
    ctx_.finished_at = gateway_.clock_.now();
    co_return co_await gateway_.record_and_wait(ctx_);
  }

 private:
  Gateway& gateway_;
  RequestContext& ctx_;
};

std::unique_ptr<FinalGate> make_strict_gate(Gateway& gateway, RequestContext& ctx) {
  return std::make_unique<StrictGate>(gateway, ctx);
}

}  // namespace accord
