#include "backend/engine_backend.h"

#include "engine/openai_responder.h"

namespace accord {

asio::awaitable<RunOutcome> EngineBackend::run(HttpExchange& exchange,
                                               const BackendRequest& request,
                                               const HeaderLines& headers,
                                               const RunControl& control) {
  const Model& model = *request.model;
  EngineLimits limits;
  limits.context_window = model.context_window;
  limits.max_output_tokens = model.max_output_tokens.value_or(0);
  limits.embedding_dimensions = model.embedding_dimensions;
  const std::string id = std::string(request.kind == ApiKind::kChat ? "chatcmpl-" : "cmpl-") +
                         std::string(request.request_id);
  ResponseMeta meta;
  meta.id = id;
  meta.model = model.name;
  meta.created = request.wall_arrived_at / 1000;
  meta.service_tier = to_string(request.service_tier);
  co_return co_await serve_with_engine(*engine_, exchange, *request.body, limits, meta, headers,
                                       clock_, control);
}

}  // namespace accord
