#include "gateway/gateway.h"

#include <fmt/format.h>

#include "engine/openai_responder.h"
#include "gateway/request_id.h"
#include "http/openai_error.h"
#include "policy/authenticate.h"
#include "policy/entitle.h"
#include "upstream/forwarder.h"

namespace accord {
namespace {

std::string_view path_of(std::string_view target) {
  const size_t q = target.find('?');
  return q == std::string_view::npos ? target : target.substr(0, q);
}

std::string_view api_path(ApiKind kind) {
  switch (kind) {
    case ApiKind::kChat:
      return "/chat/completions";
    case ApiKind::kCompletion:
      return "/completions";
    case ApiKind::kEmbedding:
      return "/embeddings";
  }
  return "/chat/completions";
}

Error method_not_allowed(std::string_view method, std::string_view path) {
  return Error::client(ErrorKind::kMethodNotAllowed,
                       fmt::format("{} is not allowed on {}.", method, path));
}

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

}  // namespace

Gateway::Gateway(AgreementStore& store, LoopClients& clients, const Clock& clock)
    : store_(store), clients_(clients), clock_(clock) {}

asio::awaitable<void> Gateway::handle(HttpExchange& exchange) {
  HeaderLines headers;
  const std::string_view path = path_of(exchange.target());
  const std::string_view method = exchange.method();
  const bool get = method == "GET";
  const bool post = method == "POST";
  if (path == "/v1/chat/completions" || path == "/v1/completions" || path == "/v1/embeddings") {
    if (!post) {
      co_await respond_error(exchange, method_not_allowed(method, path), headers);
      co_return;
    }
    const ApiKind kind = path == "/v1/chat/completions" ? ApiKind::kChat
                         : path == "/v1/completions"    ? ApiKind::kCompletion
                                                        : ApiKind::kEmbedding;
    co_await serve_inference(exchange, kind, headers);
  } else if (path == "/v1/models" || path.starts_with("/v1/models/")) {
    if (!get) {
      co_await respond_error(exchange, method_not_allowed(method, path), headers);
      co_return;
    }
    // (A local, not a conditional inside co_await's arguments: GCC 12 miscompiles those.)
    std::string_view model_id;
    if (path.size() > 11) model_id = path.substr(11);
    co_await serve_models(exchange, model_id, headers);
  } else if (path == "/healthz") {
    co_await exchange.respond(200, "application/json", R"({"status":"ok"})", headers);
  } else if (path == "/readyz") {
    co_await serve_readyz(exchange, headers);
  } else if (path == "/admin/reload") {
    if (!post) {
      co_await respond_error(exchange, method_not_allowed(method, path), headers);
      co_return;
    }
    co_await serve_reload(exchange, headers);
  } else {
    co_await respond_error(exchange,
                           Error::client(ErrorKind::kRouteNotFound,
                                         fmt::format("Unknown request URL: {} {}.", method, path)),
                           headers);
  }
}

asio::awaitable<void> Gateway::serve_inference(HttpExchange& exchange, ApiKind kind,
                                               HeaderLines& headers) {
  RequestContext ctx;
  ctx.arrived_at = clock_.now();
  ctx.wall_arrived_at = clock_.wall_now();
  ctx.kind = kind;
  ctx.request_id = request_id_from(exchange.header("x-request-id"));
  headers.add("x-request-id", ctx.request_id);
  ctx.snapshot = store_.current();
  co_await run_stages(exchange, ctx, headers);
  if (ctx.error && !exchange.responded()) {
    if (!co_await respond_error(exchange, *ctx.error, headers)) ctx.client_gone = true;
    ctx.status = http_status(ctx.error->kind);
  }
  ctx.finished_at = clock_.now();
  complete(ctx);
}

asio::awaitable<void> Gateway::run_stages(HttpExchange& exchange, RequestContext& ctx,
                                          HeaderLines& headers) {
  const Agreement& agreement = *ctx.snapshot->agreement;
  // 2. authenticate
  auto key = authenticate(*ctx.snapshot->keys, exchange.header("authorization"));
  if (!key.ok()) {
    ctx.error = key.take_error();
    co_return;
  }
  ctx.key = key.value();
  ctx.party = ctx.key->party;
  // 1. parse (what policy needs from the body)
  auto body = read_request_body(exchange.body(), ctx.kind);
  if (!body.ok()) {
    ctx.error = body.take_error();
    co_return;
  }
  ctx.body = std::move(body.value());
  // 3. entitle
  const auto model = agreement.find_model(ctx.body.model);
  if (!model) {
    ctx.error = unknown_model(ctx.body.model);
    co_return;
  }
  ctx.model = *model;
  if (Status s = entitle(agreement, ctx.party, ctx.model, clock_.wall_now()); !s.ok()) {
    ctx.error = s.take_error();
    co_return;
  }
  const Model& m = agreement.models[ctx.model];
  if (Status s = check_request_against_model(ctx.body, m); !s.ok()) {
    ctx.error = s.take_error();
    co_return;
  }
  ctx.pool = m.pool;
  // 4–5. limit and admit: see issues on limits and the scheduler.
  // 6. dispatch
  co_await dispatch(exchange, ctx, headers);
}

asio::awaitable<void> Gateway::dispatch(HttpExchange& exchange, RequestContext& ctx,
                                        const HeaderLines& headers) {
  const Agreement& agreement = *ctx.snapshot->agreement;
  const Model& model = agreement.models[ctx.model];
  const Pool& pool = agreement.pools[ctx.pool];
  PoolBackend& backend = *ctx.snapshot->pools[ctx.pool];
  ctx.dispatched_at = clock_.now();
  if (backend.engine) {
    EngineLimits limits;
    limits.context_window = model.context_window;
    limits.max_output_tokens = model.max_output_tokens.value_or(0);
    limits.embedding_dimensions = model.embedding_dimensions;
    const std::string id =
        std::string(ctx.kind == ApiKind::kChat ? "chatcmpl-" : "cmpl-") + ctx.request_id;
    ResponseMeta meta;
    meta.id = id;
    meta.model = model.name;
    meta.created = ctx.wall_arrived_at / 1000;
    meta.service_tier = to_string(ctx.service_tier);
    EngineOutcome outcome = co_await serve_with_engine(*backend.engine, exchange, ctx.body, limits,
                                                       meta, headers, clock_);
    ctx.prompt_tokens = outcome.prompt_tokens;
    ctx.completion_tokens = outcome.completion_tokens;
    ctx.first_token_at = outcome.first_token_at;
    ctx.client_gone = outcome.client_gone;
    ctx.status = outcome.status;
    if (outcome.error) ctx.error = std::move(outcome.error);
    co_return;
  }
  ForwardRequest request;
  request.body = &ctx.body;
  request.api_path = api_path(ctx.kind);
  request.model = &model;
  request.pool = &pool;
  request.request_id = ctx.request_id;
  ForwardOutcome outcome = co_await forward_to_upstream(*backend.endpoints, clients_.current(),
                                                        exchange, request, headers, clock_);
  ctx.prompt_tokens = outcome.prompt_tokens;
  ctx.completion_tokens = outcome.completion_tokens;
  ctx.first_token_at = outcome.first_token_at;
  ctx.client_gone = outcome.client_gone;
  ctx.status = outcome.status;
  ctx.endpoint = outcome.endpoint;
  if (outcome.error) ctx.error = std::move(outcome.error);
}

void Gateway::complete(RequestContext& ctx) {
  for (CompletionObserver* o : observers_) o->on_complete(ctx);
}

}  // namespace accord
