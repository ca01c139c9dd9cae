// Stage 6 for upstream pools: send the request to an OpenAI-compatible server and relay its
// answer. The body goes as received (a stream asks for usage; a model may be renamed); streams
// are relayed event by event as they arrive. Until the first byte reaches the client, a failed
// attempt is retried on another endpoint; after it, the client gets a clean error event.
#pragma once

#include <optional>
#include <string>

#include "agreement/agreement.h"
#include "core/clock.h"
#include "core/error.h"
#include "http/client.h"
#include "http/exchange.h"
#include "openai/request_body.h"
#include "runtime/final_gate.h"
#include "runtime/stop_signal.h"
#include "upstream/endpoint_set.h"

namespace accord {

struct ForwardRequest {
  const RequestBody* body = nullptr;
  std::string_view api_path;  // "/chat/completions", "/completions", "/embeddings"
  const Model* model = nullptr;
  const Pool* pool = nullptr;
  std::string_view request_id;
  StopSignal* stop = nullptr;                   // set: stop at once (the slot was reclaimed)
  std::atomic<bool>* output_started = nullptr;  // set once the first byte is written
  FinalGate* gate = nullptr;                    // set: consulted before the final bytes
};

struct ForwardOutcome {
  std::optional<Error> error;  // set when nothing was written: the caller answers it
  int status = 200;            // what the client got
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  bool usage_known = false;
  MonoNanos first_token_at = 0;
  bool client_gone = false;
  int endpoint = -1;  // the endpoint that answered (last tried)
  int attempts = 0;
  bool stopped = false;  // stopped by request.stop; nothing was written unless streaming
  // An endpoint answered 429, or said its quota is spent (x-ratelimit-remaining-requests or
  // -tokens: 0, as OpenAI and Azure send them): the pool's adaptive limit backs off.
  bool rate_limited = false;
};

asio::awaitable<ForwardOutcome> forward_to_upstream(EndpointSet& endpoints, HttpClientPool& client,
                                                    HttpExchange& exchange,
                                                    const ForwardRequest& request,
                                                    const HeaderLines& headers, const Clock& clock);

}  // namespace accord
