#include "engine/engine_server.h"

#include <fmt/format.h>

#include "core/json_writer.h"
#include "core/request_id.h"
#include "http/openai_error.h"

namespace accord {

asio::awaitable<void> EngineServer::handle(HttpExchange& exchange) {
  HeaderLines headers;
  std::string_view path = exchange.target();
  path = path.substr(0, path.find('?'));
  if (path == "/health" || path == "/healthz") {
    co_await exchange.respond(200, "application/json", R"({"status":"ok"})", headers);
    co_return;
  }
  if (path == "/v1/models") {
    std::string out;
    JsonWriter w(out);
    w.begin_object().field("object", "list").key("data").begin_array();
    w.begin_object().field("id", model_name_).field("object", "model");
    w.field("created", int64_t{0}).field("owned_by", "accord-sim").end_object();
    w.end_array().end_object();
    co_await exchange.respond(200, "application/json", out, headers);
    co_return;
  }
  ApiKind kind = ApiKind::kChat;
  if (path == "/v1/chat/completions") {
    kind = ApiKind::kChat;
  } else if (path == "/v1/completions") {
    kind = ApiKind::kCompletion;
  } else if (path == "/v1/embeddings") {
    kind = ApiKind::kEmbedding;
  } else {
    co_await respond_error(
        exchange,
        Error::client(ErrorKind::kRouteNotFound,
                      fmt::format("Unknown request URL: {} {}.", exchange.method(), path)),
        headers);
    co_return;
  }
  if (exchange.method() != "POST") {
    co_await respond_error(
        exchange,
        Error::client(ErrorKind::kMethodNotAllowed,
                      fmt::format("{} is not allowed on {}.", exchange.method(), path)),
        headers);
    co_return;
  }
  const RequestId request_id = request_id_from(exchange.header("x-request-id"));
  headers.add("x-request-id", request_id);
  auto body = read_request_body(exchange.body(), kind);
  if (!body.ok()) {
    co_await respond_error(exchange, body.error(), headers);
    co_return;
  }
  const std::string id =
      std::string(kind == ApiKind::kChat ? "chatcmpl-" : "cmpl-") + std::string(request_id);
  ResponseMeta meta;
  meta.id = id;
  meta.model = body->model;
  meta.created = clock_.wall_now() / 1000;
  RunOutcome outcome =
      co_await serve_with_engine(engine_, exchange, body.value(), limits_, meta, headers, clock_);
  if (outcome.error && !exchange.responded()) {
    co_await respond_error(exchange, *outcome.error, headers);
  }
}

}  // namespace accord
