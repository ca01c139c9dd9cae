#include "gateway/gateway.h"

#include <fmt/format.h>

#include "core/request_id.h"
#include "engine/openai_responder.h"
#include "http/openai_error.h"
#include "policy/authenticate.h"
#include "policy/entitle.h"
#include "policy/request_terms.h"

namespace accord {
namespace {

// Model kind and output cap: checks that need the model but not the pool.
Status check_request_against_model(const RequestBody& body, const Model& model) {
  if (body.kind == ApiKind::kEmbedding && model.kind != ModelKind::kEmbedding) {
    return Error::client(ErrorKind::kInvalidRequest,
                         fmt::format("The model '{}' does not support embeddings.", model.name),
                         "model");
  }
  if (body.kind != ApiKind::kEmbedding && model.kind == ModelKind::kEmbedding) {
    return Error::client(
        ErrorKind::kInvalidRequest,
        fmt::format("The model '{}' is an embedding model; use /v1/embeddings.", model.name),
        "model");
  }
  if (body.max_tokens && model.max_output_tokens && *body.max_tokens > *model.max_output_tokens) {
    return Error::client(
        ErrorKind::kInvalidRequest,
        fmt::format("max_tokens is too large: {}. This model supports at most {} completion "
                    "tokens, whereas you provided {}.",
                    *body.max_tokens, *model.max_output_tokens, *body.max_tokens),
        "max_tokens");
  }
  return Status();
}

// An upper bound of the prompt's tokens under any tokenizer: one per UTF-8 byte (no tokenizer
// makes a token of less than a byte), plus what chat templates add per message and per request.
int64_t prompt_upper_bound(const RequestBody& body) {
  return body.prompt_bytes + body.prompt_token_ids + 8 * body.prompt_parts + 64;
}

void add_rate_limit_headers(const RateLimitHeaders& r, HeaderLines& headers) {
  char reset[32];
  if (r.requests) {
    headers.add("x-ratelimit-limit-requests", r.requests_limit);
    headers.add("x-ratelimit-remaining-requests", r.requests->remaining);
    headers.add("x-ratelimit-reset-requests", format_reset_to(reset, r.requests->reset_after));
  }
  if (r.tokens) {
    headers.add("x-ratelimit-limit-tokens", r.tokens_limit);
    headers.add("x-ratelimit-remaining-tokens", r.tokens->remaining);
    headers.add("x-ratelimit-reset-tokens", format_reset_to(reset, r.tokens->reset_after));
  }
}

// What the gateway keeps for each keep-alive connection.
struct GatewayMemo final : ConnectionMemo {
  KeyMemo key;
};

// authenticate(), with the connection's memo of its last key where the exchange keeps one.
Result<const ApiKey*> authenticate_on(HttpExchange& exchange, const RequestContext& ctx) {
  const std::string_view authorization = exchange.header("authorization");
  std::unique_ptr<ConnectionMemo>* slot = exchange.memo();
  if (slot == nullptr) return authenticate(*ctx.snapshot->keys, authorization, ctx.wall_arrived_at);
  if (*slot == nullptr) *slot = std::make_unique<GatewayMemo>();
  auto& memo = static_cast<GatewayMemo&>(**slot);  // the gateway is the memo's only writer
  return authenticate(*ctx.snapshot->keys, authorization, ctx.wall_arrived_at, ctx.snapshot,
                      memo.key);
}

}  // namespace

Gateway::Gateway(AgreementStore& store, const Clock& clock, Ledger* ledger)
    : store_(store), clock_(clock), ledger_(ledger) {}

void Gateway::add_routes(Router& router) {
  const auto route = [this](ApiKind kind) {
    return [this, kind](HttpExchange& exchange, std::string_view) { return serve(exchange, kind); };
  };
  router.add("POST", "/v1/chat/completions", route(ApiKind::kChat));
  router.add("POST", "/v1/completions", route(ApiKind::kCompletion));
  router.add("POST", "/v1/embeddings", route(ApiKind::kEmbedding));
}

asio::awaitable<void> Gateway::serve(HttpExchange& exchange, ApiKind kind,
                                     const NativeRelay* relay) {
  HeaderLines headers;
  RequestContext ctx;
  ctx.relay = relay;
  ctx.arrived_at = clock_.now();
  ctx.wall_arrived_at = clock_.wall_now();
  ctx.kind = kind;
  ctx.request_id = request_id_from(exchange.header("x-request-id"));
  headers.add("x-request-id", ctx.request_id);
  ctx.snapshot = store_.current();
  ctx.checked_at = ctx.arrived_at;
  ctx.wall_checked_at = ctx.wall_arrived_at;
  if (const TracesConfig& traces = ctx.snapshot->agreement->traces; traces.enabled) {
    begin_request_trace(traces, exchange.header("traceparent"), exchange.header("tracestate"),
                        exchange.method(), exchange.target(), ctx.trace);
  }
  if (ledger_ != nullptr && ledger_->backlogged()) {
    co_await wait_for_ledger_room();
    ctx.checked_at = clock_.now();
    ctx.wall_checked_at = clock_.wall_now();
  }
  const auto executor = co_await asio::this_coro::executor;
  if (prepare(exchange, ctx, headers, executor)) {
    co_await run_on_pools(exchange, ctx, headers, executor);
  }
  ctx.sched_class = ctx.ticket ? ctx.ticket->cls : ctx.sched_class;
  if (ctx.error && !exchange.responded()) {
    if (ctx.error->retry_after_ms >= 0) {
      headers.add("retry-after", std::to_string((ctx.error->retry_after_ms + 999) / 1000));
      headers.add("retry-after-ms", std::to_string(ctx.error->retry_after_ms));
    }
    ctx.status = http_status(ctx.error->kind);
    // Strict durability holds this answer too until its record is committed.
    if (ledger_ != nullptr && ledger_->durability() == Durability::kStrict && !ctx.recorded) {
      ctx.finished_at = clock_.now();
      co_await record_and_wait(ctx);
    }
    if (!co_await respond_error(exchange, *ctx.error, headers)) ctx.client_gone = true;
  }
  ctx.finished_at = clock_.now();
  complete(ctx);
}

bool Gateway::prepare(HttpExchange& exchange, RequestContext& ctx, HeaderLines& headers,
                      const asio::any_io_executor& executor) {
  const Agreement& agreement = *ctx.snapshot->agreement;
  // 2. authenticate
  auto key = authenticate_on(exchange, ctx);
  if (ctx.trace.sampled) ctx.authenticated_at = clock_.now();
  if (!key.ok()) {
    ctx.error = key.take_error();
    return false;
  }
  ctx.key = key.value();
  ctx.party = ctx.key->party;
  if (ctx.key->role == KeyRole::kAdmin) {
    ctx.error = Error::client(ErrorKind::kForbidden,
                              "This is an admin key: it manages its party's keys (/admin/keys) "
                              "and cannot call models.");
    return false;
  }
  if (ledger_ != nullptr && !ledger_->healthy()) {
    ctx.error = Error::internal(ErrorKind::kUnavailable,
                                "The usage ledger cannot be written, so accord refuses new "
                                "requests rather than serve them unbilled. Please retry later.");
    return false;
  }
  // 1. parse (what policy needs from the body)
  auto body = read_request_body(exchange.body(), ctx.kind);
  if (!body.ok()) {
    ctx.error = body.take_error();
    return false;
  }
  ctx.body = std::move(body.value());
  // 3. entitle
  const auto model = agreement.find_model(ctx.body.model);
  if (!model) {
    ctx.error = unknown_model(ctx.body.model);
    return false;
  }
  ctx.model = *model;
  if (Status s = entitle(agreement, ctx.party, ctx.model, ctx.wall_checked_at); !s.ok()) {
    ctx.error = s.take_error();
    return false;
  }
  if (!ctx.key->may_call(ctx.model)) {
    ctx.error = key_not_entitled(ctx.key->id, ctx.body.model);
    return false;
  }
  const Model& m = agreement.models[ctx.model];
  if (Status s = check_request_against_model(ctx.body, m); !s.ok()) {
    ctx.error = s.take_error();
    return false;
  }
  ctx.pool = m.pool;
  for (const Reservation& r : agreement.reservations) {
    if (r.party == ctx.party && r.model == ctx.model) ctx.reserved = true;
  }
  // 4. limit
  const bool admitted = limit(ctx, headers);
  if (ctx.trace.sampled) ctx.admitted_at = clock_.now();
  if (!admitted) return false;
  // 5. admit (a refusal may still find another pool: run_on_pools())
  submit(ctx, executor);
  return true;
}

bool Gateway::limit(RequestContext& ctx, HeaderLines& headers) {
  const Agreement& a = *ctx.snapshot->agreement;
  const ServedTier served = served_tier(a, ctx.party, ctx.body.service_tier);
  if (served.service_tier != ServiceTier::kDefault) ctx.service_tier = served.service_tier;
  ctx.billed = served.billed;
  // Estimates: the prompt as the engine will likely count it, the most output it may produce.
  const int64_t choices = ctx.kind == ApiKind::kEmbedding ? 1 : ctx.body.n;
  ctx.prompt_estimate = simulated_prompt_tokens(ctx.body);
  ctx.max_output_tokens =
      ctx.kind == ApiKind::kEmbedding
          ? 0
          : max_output_tokens(a.models[ctx.model], ctx.body.max_tokens, ctx.prompt_estimate);
  LimitRequest request =
      limit_request(a, ctx.party, ctx.model, ctx.billed, prompt_upper_bound(ctx.body),
                    ctx.max_output_tokens * choices);
  request.key_index = static_cast<size_t>(ctx.key - a.keys.data());
  request.now = ctx.checked_at;
  request.wall_now = ctx.wall_checked_at;
  auto lease = admit_limits(*ctx.snapshot->limits, request, &ctx.rate_headers);
  add_rate_limit_headers(ctx.rate_headers, headers);
  if (!lease.ok()) {
    ctx.error = lease.take_error();
    return false;
  }
  ctx.lease = std::move(lease.value());
  return true;
}

void Gateway::submit(RequestContext& ctx, const asio::any_io_executor& executor) {
  const int64_t choices = ctx.kind == ApiKind::kEmbedding ? 1 : ctx.body.n;
  ctx.scheduler = ctx.snapshot->pools[ctx.pool]->scheduler;
  ctx.ticket = std::make_shared<GatewayTicket>(executor);
  describe_ticket(*ctx.ticket, *ctx.snapshot->agreement, ctx.party, ctx.model,
                  {ctx.service_tier, ctx.billed}, ctx.prompt_estimate, ctx.max_output_tokens,
                  static_cast<int>(choices));
  ctx.scheduler->submit(ctx.ticket);
  ctx.sched_class = ctx.ticket->cls;
}

void Gateway::release_ticket(RequestContext& ctx, bool whole) {
  const Pool& pool = ctx.snapshot->agreement->pools[ctx.pool];
  const double actual = static_cast<double>(ctx.prompt_tokens) +
                        pool.output_weight * static_cast<double>(ctx.completion_tokens);
  if (ctx.ticket->state == Ticket::State::kQueued) {
    ctx.scheduler->withdraw(*ctx.ticket);
    return;
  }
  if (ctx.upstream_sample && !ctx.upstream_sample->dropped) {
    const UpstreamSample measured =
        measure_upstream(ctx.dispatched_at, ctx.first_token_at, ctx.finished_at,
                         ctx.completion_tokens, ctx.body.stream);
    ctx.upstream_sample->latency_per_token_s = measured.latency_per_token_s;
    ctx.upstream_sample->noise_per_token_s = measured.noise_per_token_s;
  }
  // A whole answer teaches the scheduler what this party's requests produce.
  ctx.scheduler->finish(*ctx.ticket, actual, whole ? ctx.completion_tokens : -1,
                        ctx.upstream_sample ? &*ctx.upstream_sample : nullptr);
}

void Gateway::complete(RequestContext& ctx) {
  if (ctx.ticket && ctx.scheduler) {
    release_ticket(ctx, ctx.status == 200 && !ctx.client_gone && !ctx.error);
  }
  if (ctx.key != nullptr && ctx.model != kNone) {
    const int64_t cost = cost_micro_usd(
        price_terms(*ctx.snapshot->agreement, ctx.party, ctx.model, ctx.billed, ctx.pool),
        ctx.prompt_tokens, ctx.completion_tokens, ctx.cached_prompt_tokens);
    ctx.lease.complete(ctx.prompt_tokens + ctx.completion_tokens, cost, ctx.finished_at,
                       clock_.wall_now());
  }
  if (ledger_ != nullptr && !ctx.recorded) record(ctx);
  for (CompletionObserver* o : observers_) o->on_complete(ctx);
}

}  // namespace accord
