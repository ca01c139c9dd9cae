#include "backend/upstream_backend.h"

#include "backend/forward_request.h"
#include "backend/responses_relay.h"
#include "upstream/forwarder.h"
#include "upstream/response_delete.h"

namespace accord {
namespace {

// A Responses request for a pool whose upstreams serve the Responses API: relayed as received.
asio::awaitable<RunOutcome> relay_responses(EndpointSet& endpoints, HttpClientPool& client,
                                            const BackendRequest& request,
                                            const HeaderLines& headers, const Clock& clock,
                                            const RunControl& control) {
  const NativeRelay& relay = *request.relay;
  ResponsesRelayAnswers answers(relay.keeper, *request.pool);
  const std::string body = relayed_body(relay, request.upstream_model);
  ForwardRequest forward = forward_request_for(request, "/responses");
  forward.translator = &answers;
  forward.translated_body = body;
  forward.relay_answers = true;
  co_return co_await forward_to_upstream(endpoints, client, *relay.client, forward, headers, clock,
                                         control);
}

}  // namespace

asio::awaitable<RunOutcome> UpstreamBackend::run(HttpExchange& exchange,
                                                 const BackendRequest& request,
                                                 const HeaderLines& headers,
                                                 const RunControl& control) {
  if (request.relay != nullptr && relays_natively(*request.relay, *request.pool) &&
      request.kind == ApiKind::kChat) {
    co_return co_await relay_responses(*endpoints_, clients_.current(), request, headers, clock_,
                                       control);
  }
  const ForwardRequest forward =
      forward_request_for(request, request.kind == ApiKind::kChat         ? "/chat/completions"
                                   : request.kind == ApiKind::kCompletion ? "/completions"
                                                                          : "/embeddings");
  co_return co_await forward_to_upstream(*endpoints_, clients_.current(), exchange, forward,
                                         headers, clock_, control);
}

asio::awaitable<Status> UpstreamBackend::delete_response(const Pool& pool, std::string_view id) {
  co_return co_await delete_upstream_response(*endpoints_, clients_.current(), pool, id);
}

}  // namespace accord
