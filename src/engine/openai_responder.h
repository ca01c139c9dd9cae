// Serves one OpenAI request on a LiveEngine: plans the generation (length, stop, n), runs the
// sequences on the engine in real time and writes the response — whole, or streamed token by
// token at the engine's pace. Used by the gateway for `engine: builtin` pools and by the
// standalone `accord engine` server.
#pragma once

#include <optional>

#include "core/clock.h"
#include "core/error.h"
#include "engine/live_engine.h"
#include "engine/openai_format.h"
#include "http/exchange.h"
#include "openai/request_body.h"
#include "runtime/backend_run.h"

namespace accord {

struct EngineLimits {
  int64_t context_window = 131072;
  int64_t max_output_tokens = 0;  // 0: the context window less the prompt
  int embedding_dimensions = 1024;
};

// The simulated model's prompt token count for a request (about four bytes a token, plus a
// few per chat message, as chat templates add).
int64_t simulated_prompt_tokens(const RequestBody& body);

// The lane in `run` is the replica; its outcome never names an endpoint.
asio::awaitable<RunOutcome> serve_with_engine(LiveEngine& engine, HttpExchange& exchange,
                                              const RequestBody& body, const EngineLimits& limits,
                                              const ResponseMeta& meta, const HeaderLines& headers,
                                              const Clock& clock, RunControl run = {});

// The error a client gets when its usage could not be recorded (503).
Error unrecorded_error();

}  // namespace accord
