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

// The APIs besides Chat Completions that some upstreams speak themselves.
enum class NativeApi { kMessages, kResponses };

// What an API keeps of an answer relayed as received, before the answer's last bytes go out (the
// Responses API: the Response, so that GET /v1/responses/{id} and previous_response_id find it).
class RelayKeeper {
 public:
  virtual ~RelayKeeper() = default;
  // `answer_json`: the whole answer (a stream's: its final object); `pool`: the pool that served
  // it.
  virtual asio::awaitable<void> keep(std::string_view answer_json, const Pool& pool) = 0;
};

// A request in an API that some upstreams speak themselves (Anthropic's Messages API on a
// provider: anthropic pool; the Responses API on a pool with native_apis: [responses]): a backend
// whose upstreams speak it sends `body` as received (the model renamed) and writes their answer to
// `client` unchanged, reading it only for the usage and the stream's end. Any other backend
// ignores it and serves the translated Chat Completions request through the exchange it is given.
struct NativeRelay {
  NativeApi api = NativeApi::kMessages;
  std::string_view body;    // as the client sent it
  size_t model_offset = 0;  // the "model" JSON string in `body`, quotes included
  size_t model_length = 0;
  HttpExchange* client = nullptr;  // the client's own exchange, not the translating one
  RelayKeeper* keeper = nullptr;   // may be null
  // Not empty: the request continues a conversation that this pool's upstreams keep, so it is
  // relayed there or refused (Gateway::dispatch), never translated for another pool.
  std::string_view only_pool;
  // Set: the request uses what the Chat translation has no counterpart for (this error names it;
  // translate/native_only.h). It is relayed to a pool whose upstreams speak its API and refused
  // with this error on any other (Gateway::dispatch); fallback skips pools that cannot relay it.
  const Error* untranslated = nullptr;
};

// Whether `pool`'s upstreams take `relay`'s API as received: Messages on a provider: anthropic
// pool, Responses on a pool with native_apis: [responses].
bool relays_natively(const NativeRelay& relay, const Pool& pool);

// The relayed body: `relay.body`, but for the model's name on the pool ("": as sent).
std::string relayed_body(const NativeRelay& relay, std::string_view upstream_model);

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
  const NativeRelay* relay = nullptr;  // set by the Messages and Responses APIs (apis/)
  // W3C trace context for upstreams ("": none): a traceparent naming accord's upstream span, and
  // the client's tracestate.
  std::string_view traceparent;
  std::string_view tracestate;
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
  // Deletes response `id` where this pool's upstreams keep it (a relayed Responses request:
  // upstream_backend.h); `pool` is this backend's, in the current agreement. Default: the pool
  // keeps none.
  virtual asio::awaitable<Status> delete_response(const Pool& /*pool*/, std::string_view /*id*/) {
    co_return Status();
  }
};

}  // namespace accord
