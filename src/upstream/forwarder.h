// Stage 6 for upstream pools: send the request to an upstream and relay its answer. The body goes
// as received (a stream asks for usage; a model may be renamed), to the provider's path with the
// endpoint's key (upstream/provider_http.h); streams are relayed event by event as they arrive.
// Until the first byte reaches the client, a failed attempt is retried on another endpoint; after
// it, the client gets a clean error event. A backend whose upstream speaks another API (Anthropic)
// sends its translated body and reads the answers back through an AnswerTranslator.
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
#include "upstream/answer_translator.h"
#include "upstream/endpoint_set.h"

namespace accord {

struct ForwardRequest {
  const RequestBody* body = nullptr;
  std::string_view api_path;  // "/chat/completions", "/completions", "/embeddings"
  const Model* model = nullptr;
  const Pool* pool = nullptr;
  std::string_view upstream_model;  // the name its upstreams know the model by; "": as sent
  std::string_view request_id;
  std::string_view traceparent;  // "": none (BackendRequest)
  std::string_view tracestate;
  // Set together by a translating backend: the body to send as it is, and how the answers become
  // Chat Completions. Unset: the client's body, edited, and answers relayed as received.
  AnswerTranslator* translator = nullptr;
  std::string_view translated_body;
  // With a translator: the answer reaches the client as received (a 2xx whole or streamed, and
  // an upstream's JSON error), the translator only reading it for the usage and the stream's
  // end; errors accord makes are written in the upstream's API (native_error_*).
  bool relay_answers = false;
  // More header lines for the upstream, each "\r\nName: value" (a relayed request's own
  // anthropic-beta, say).
  std::string_view extra_headers;
};

// `control.lane` is not used: the endpoint is chosen here, least loaded first.
asio::awaitable<RunOutcome> forward_to_upstream(EndpointSet& endpoints, HttpClientPool& client,
                                                HttpExchange& exchange,
                                                const ForwardRequest& request,
                                                const HeaderLines& headers, const Clock& clock,
                                                const RunControl& control);

}  // namespace accord
