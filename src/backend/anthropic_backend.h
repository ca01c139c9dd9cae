// AnthropicBackend: a pool of Anthropic upstreams (`provider: anthropic`). A Chat Completions
// request is translated into a Messages request (translate/anthropic_upstream.h: the model
// renamed to its name on the pool, max_tokens defaulting to the model's max_output_tokens or
// 4096) and sent to {url}/v1/messages over the pool's EndpointSet, exactly as UpstreamBackend
// sends an OpenAI one (upstream/forwarder.h: the least loaded healthy endpoint, retries before
// the first byte, health, the RunControl contract); the answer, whole or streamed, is translated
// back (anthropic_answers.h), and Anthropic's errors become OpenAI-shaped ones.
// A Messages request (BackendRequest::relay) is sent as received instead, the model renamed, and
// its answer and errors reach the client unchanged; the translation only reads the usage.
// Completions and embeddings are refused with a 400: the pool serves chat only.
// Threads: as Backend; shared by every loop.
#pragma once

#include <memory>

#include "backend/backend.h"
#include "core/clock.h"
#include "upstream/endpoint_set.h"
#include "upstream/loop_clients.h"

namespace accord {

// The max_tokens a translated request asks for when the client set none and the model has no
// max_output_tokens: Anthropic requires one.
inline constexpr int64_t kAnthropicDefaultMaxTokens = 4096;

class AnthropicBackend final : public Backend {
 public:
  // REQUIRES: `clients` outlives the backend.
  AnthropicBackend(std::shared_ptr<EndpointSet> endpoints, LoopClients& clients, const Clock& clock)
      : endpoints_(std::move(endpoints)), clients_(clients), clock_(clock) {}

  asio::awaitable<RunOutcome> run(HttpExchange& exchange, const BackendRequest& request,
                                  const HeaderLines& headers, const RunControl& control) override;
  bool ready() const override { return endpoints_->any_healthy(); }

 private:
  std::shared_ptr<EndpointSet> endpoints_;
  LoopClients& clients_;
  const Clock& clock_;
};

}  // namespace accord
