// UpstreamBackend: a pool of OpenAI-compatible servers or Azure OpenAI (`provider: openai` or
// `azure`: the paths and key headers differ, upstream/provider_http.h). Each request goes to the
// least loaded healthy endpoint over the calling loop's pooled connections (upstream/forwarder.h).
// A pool with native_apis: [responses] gets /v1/responses requests as the client sent them
// (NativeRelay), and the client their answers unchanged (responses_relay.h).
#pragma once

#include <memory>

#include "backend/backend.h"
#include "core/clock.h"
#include "upstream/endpoint_set.h"
#include "upstream/loop_clients.h"

namespace accord {

class UpstreamBackend final : public Backend {
 public:
  // REQUIRES: `clients` outlives the backend.
  UpstreamBackend(std::shared_ptr<EndpointSet> endpoints, LoopClients& clients, const Clock& clock)
      : endpoints_(std::move(endpoints)), clients_(clients), clock_(clock) {}

  asio::awaitable<RunOutcome> run(HttpExchange& exchange, const BackendRequest& request,
                                  const HeaderLines& headers, const RunControl& control) override;
  bool ready() const override { return endpoints_->any_healthy(); }
  asio::awaitable<Status> delete_response(const Pool& pool, std::string_view id) override;

 private:
  std::shared_ptr<EndpointSet> endpoints_;
  LoopClients& clients_;
  const Clock& clock_;
};

}  // namespace accord
