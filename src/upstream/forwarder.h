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
#include "runtime/backend_run.h"
#include "upstream/endpoint_set.h"

namespace accord {

struct ForwardRequest {
  const RequestBody* body = nullptr;
  std::string_view api_path;  // "/chat/completions", "/completions", "/embeddings"
  const Model* model = nullptr;
  const Pool* pool = nullptr;
  std::string_view upstream_model;  // the name its upstreams know the model by; "": as sent
  std::string_view request_id;
};

// `control.lane` is not used: the endpoint is chosen here, least loaded first.
asio::awaitable<RunOutcome> forward_to_upstream(EndpointSet& endpoints, HttpClientPool& client,
                                                HttpExchange& exchange,
                                                const ForwardRequest& request,
                                                const HeaderLines& headers, const Clock& clock,
                                                const RunControl& control);

}  // namespace accord
