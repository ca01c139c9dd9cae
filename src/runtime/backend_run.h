// What the gateway hands a pool's backend to run one request with, and what it gets back. One
// pair for every backend — the built-in engine, the upstream relay and the provider adapters — so
// the gateway reads one outcome whatever served the request.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>

#include "core/clock.h"
#include "core/error.h"
#include "runtime/final_gate.h"
#include "runtime/stop_signal.h"
#include "runtime/waiter.h"

namespace accord {

// How the scheduler's decision reaches the backend: the lane it chose, the request's waiter, the
// stop signal that reclaims its slot, and the strict ledger's gate. All optional.
struct RunControl {
  std::shared_ptr<Waiter> waiter;               // null: the backend makes its own
  StopSignal* stop = nullptr;                   // set: stop at once (the slot was reclaimed)
  std::atomic<bool>* output_started = nullptr;  // set once the first byte is written
  int lane = -1;                                // the engine replica; -1: the least loaded
  FinalGate* gate = nullptr;                    // set: consulted before the final bytes
  // Another pool may serve the request: an upstream's failure before the first byte (a 429 or
  // 5xx included) comes back as the outcome's error instead of being answered.
  bool may_fall_back = false;

  bool stop_requested() const { return stop != nullptr && stop->is_set(); }
  // The client is about to get the answer's first byte: nothing falls back from here.
  void mark_output() const {
    if (output_started != nullptr) output_started->store(true, std::memory_order_release);
  }
};

// The error a stopped request's client gets (503, code "preempted"), whatever backend ran it.
Error preempted_error();

struct RunOutcome {
  std::optional<Error> error;  // set when nothing was written: the caller answers it
  int status = 200;            // what the client got (499: it went away)
  int64_t prompt_tokens = 0;
  int64_t cached_prompt_tokens = 0;  // of prompt_tokens, read from the provider's prompt cache
  int64_t completion_tokens = 0;
  bool usage_known = false;      // the backend reported usage (an upstream may not)
  MonoNanos first_token_at = 0;  // 0: no token was produced
  bool client_gone = false;      // the client left before the end
  bool stopped = false;          // stopped by control.stop; nothing was written unless streaming
  int endpoint = -1;             // the upstream endpoint that answered (last tried); -1: engine
  int attempts = 0;
  // An endpoint answered 429, or said its quota is spent (x-ratelimit-remaining-requests or
  // -tokens: 0, as OpenAI and Azure send them): the pool's adaptive limit backs off.
  bool rate_limited = false;
};

}  // namespace accord
