// Backend: what runs a pool's requests — the built-in engine (engine_backend.h), a relay to
// OpenAI-compatible or Azure OpenAI upstreams (upstream_backend.h), or one that translates to
// Anthropic upstreams (anthropic_backend.h). The gateway hands it a request the policy stages have
// admitted and the scheduler has placed, and reads one RunOutcome back, whatever served it.
// Threads: run() is called on the request's event loop; implementations are shared by all loops.
#pragma once

#include <string_view>

#include "agreement/agreement.h"
#include "http/exchange.h"
#include "openai/request_body.h"
#include "runtime/backend_run.h"

namespace accord {

// A request in an API that some upstreams speak themselves (Anthropic's Messages API): a backend
// whose upstreams speak it sends `body` as received (the model renamed) and writes their answer
// to `client` unchanged, reading it only for the usage and the stream's end. Any other backend
// ignores it and serves the translated Chat Completions request through the exchange it is given.
struct NativeRelay {
  std::string_view body;    // as the client sent it
  size_t model_offset = 0;  // the "model" JSON string in `body`, quotes included
  size_t model_length = 0;
  HttpExchange* client = nullptr;  // the client's own exchange, not the translating one
};

// One admitted request, as the backend needs it. Pointers outlive run().
struct BackendRequest {
  const RequestBody* body = nullptr;
  ApiKind kind = ApiKind::kChat;
  const Model* model = nullptr;
  const Pool* pool = nullptr;
  std::string_view upstream_model;  // what the pool's upstreams call the model ("": its name)
  std::string_view request_id;
  UnixMillis wall_arrived_at = 0;
  ServiceTier service_tier = ServiceTier::kDefault;  // as served
  const NativeRelay* relay = nullptr;  // set for a Messages request (apis/messages_api.h)
};

class Backend {
 public:
  virtual ~Backend() = default;
  // Runs the request and writes its answer to `exchange` (with `headers`), unless the outcome
  // carries an error and nothing was written: then the caller answers it.
  virtual asio::awaitable<RunOutcome> run(HttpExchange& exchange, const BackendRequest& request,
                                          const HeaderLines& headers,
                                          const RunControl& control) = 0;
  // Whether it can serve now (an upstream pool: some endpoint is healthy).
  virtual bool ready() const = 0;
};

}  // namespace accord
