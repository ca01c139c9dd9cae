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
#include "runtime/final_gate.h"
#include "runtime/stop_signal.h"

namespace accord {

struct EngineLimits {
  int64_t context_window = 131072;
  int64_t max_output_tokens = 0;  // 0: the context window less the prompt
  int embedding_dimensions = 1024;
};

// How the gateway runs a request on the engine: on the replica its scheduler chose, woken through
// the request's waiter, stopped when its slot is reclaimed.
struct EngineRun {
  std::shared_ptr<Waiter> waiter;  // null: one of its own
  const StopSignal* stop = nullptr;
  std::atomic<bool>* output_started = nullptr;  // set once the first byte is written
  int replica = -1;                             // -1: the least loaded
  FinalGate* gate = nullptr;                    // set: consulted before the final bytes
};

struct EngineOutcome {
  std::optional<Error> error;  // set when nothing was written: the caller answers it
  int status = 200;            // what the client got
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  MonoNanos first_token_at = 0;  // 0: no token was produced
  bool client_gone = false;      // the client left before the end
  bool stopped = false;          // stopped by run.stop; nothing was written unless streaming
};

// The simulated model's prompt token count for a request (about four bytes a token, plus a
// few per chat message, as chat templates add).
int64_t simulated_prompt_tokens(const RequestBody& body);

asio::awaitable<EngineOutcome> serve_with_engine(
    LiveEngine& engine, HttpExchange& exchange, const RequestBody& body, const EngineLimits& limits,
    const ResponseMeta& meta, const HeaderLines& headers, const Clock& clock, EngineRun run = {});

// The error a stopped request's client gets (503, code "preempted").
Error preempted_error();
// The error a client gets when its usage could not be recorded (503).
Error unrecorded_error();

}  // namespace accord
