#include "backend/anthropic_backend.h"

#include <fmt/format.h>

#include "backend/anthropic_answers.h"
#include "backend/forward_request.h"
#include "core/json_writer.h"
#include "translate/anthropic_upstream.h"
#include "upstream/forwarder.h"

namespace accord {

asio::awaitable<RunOutcome> AnthropicBackend::run(HttpExchange& exchange,
                                                  const BackendRequest& request,
                                                  const HeaderLines& headers,
                                                  const RunControl& control) {
  const Model& model = *request.model;
  if (request.kind != ApiKind::kChat) {
    RunOutcome refused;
    refused.error = Error::client(
        ErrorKind::kInvalidRequest,
        fmt::format("Model '{}' runs on pool '{}', whose provider anthropic serves chat only: use "
                    "/v1/chat/completions.",
                    model.name, request.pool->name));
    co_return refused;
  }
  const std::string_view upstream_model =
      request.upstream_model.empty() ? std::string_view(model.name) : request.upstream_model;
  const NativeRelay* relay =
      request.relay != nullptr && relays_natively(*request.relay, *request.pool) ? request.relay
                                                                                 : nullptr;
  auto body = relay != nullptr ? Result<std::string>(relayed_body(*relay, request.upstream_model))
                               : chat_to_messages_body(
                                     exchange.body(), upstream_model,
                                     model.max_output_tokens.value_or(kAnthropicDefaultMaxTokens));
  if (!body.ok()) {
    RunOutcome refused;
    refused.error = body.take_error();  // the client's: nothing went upstream
    co_return refused;
  }
  AnthropicAnswers answers("chatcmpl-" + std::string(request.request_id), model.name,
                           request.wall_arrived_at / 1000);
  ForwardRequest forward = forward_request_for(
      request, "/chat/completions");  // unused: the provider's path is /v1/messages
  forward.translator = &answers;
  forward.translated_body = body.value();
  forward.relay_answers = relay != nullptr;
  // A relayed request keeps the beta features its client asked for (the version is the pool's).
  std::string beta;
  if (relay != nullptr && !relay->client->header("anthropic-beta").empty()) {
    beta = "\r\nanthropic-beta: " + std::string(relay->client->header("anthropic-beta"));
  }
  forward.extra_headers = beta;
  HttpExchange& client = relay != nullptr ? *relay->client : exchange;
  co_return co_await forward_to_upstream(*endpoints_, clients_.current(), client, forward, headers,
                                         clock_, control);
}

}  // namespace accord
