#include "backend/upstream_backend.h"

#include "upstream/forwarder.h"

namespace accord {

asio::awaitable<RunOutcome> UpstreamBackend::run(HttpExchange& exchange,
                                                 const BackendRequest& request,
                                                 const HeaderLines& headers,
                                                 const RunControl& control) {
  ForwardRequest forward;
  forward.body = request.body;
  forward.api_path = request.kind == ApiKind::kChat         ? "/chat/completions"
                     : request.kind == ApiKind::kCompletion ? "/completions"
                                                            : "/embeddings";
  forward.model = request.model;
  forward.pool = request.pool;
  forward.upstream_model = request.upstream_model;
  forward.request_id = request.request_id;
  co_return co_await forward_to_upstream(*endpoints_, clients_.current(), exchange, forward,
                                         headers, clock_, control);
}

}  // namespace accord
