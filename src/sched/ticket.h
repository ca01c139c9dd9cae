// Ticket: one request's place in a pool's scheduler. The request fills in what it needs (its
// party, its estimate, its class hints) and submits it; the scheduler moves it through its
// states and calls notify() (under the scheduler's lock) whenever that happens after submit()
// has returned. The request reads the state after the notification.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>

#include "agreement/agreement.h"
#include "core/clock.h"
#include "core/error.h"

namespace accord {

enum class SchedClass : uint8_t { kReserved, kShared, kPreemptible };
const char* to_string(SchedClass c);

class Ticket {
 public:
  enum class State : uint8_t {
    kNew,        // not submitted yet
    kQueued,     // waiting for capacity
    kRunning,    // dispatched on `lane`
    kFinished,   // finish() was called
    kRefused,    // never started: `refusal` says why (429 with retry-after)
    kPreempted,  // stopped to give its slot to reserved work
    kWithdrawn,  // the client left while it was queued
  };

  virtual ~Ticket() = default;

  // --- Filled by the request before submit().
  PartyId party = kNone;
  ModelId model = kNone;
  // What it asks for, from which the scheduler estimates what it will likely use (when
  // weighted_estimate is left at 0): see OutputEstimator.
  int64_t prompt_tokens = 0;      // as the engine will likely count them
  int64_t max_output_tokens = 0;  // per choice: the most it may produce (0: none, an embedding)
  double output_weight = 3;       // the pool's weight of an output token
  // What it will likely use: prompt + output_weight × expected output × slots (weighted tokens),
  // and the KV cache its sequences will likely hold at the end (prompt + expected output each).
  // Set by the scheduler from the above, or by the caller.
  double weighted_estimate = 0;
  int64_t kv_tokens = 0;
  int slots = 1;             // sequences it runs (n choices)
  bool priority = false;     // service_tier "priority", and the party may use it
  bool preemptible = false;  // a research tier, or service_tier "flex"
  bool flex = false;         // service_tier "flex": requeued rather than failed when stopped
  // Set by the request (any thread) once the first byte reached its client: from then on it
  // cannot be requeued.
  std::atomic<bool> output_started{false};

  // --- Set by the scheduler; read by the request after notify().
  State state = State::kNew;
  SchedClass cls = SchedClass::kShared;
  int lane = -1;
  MonoNanos arrived_at = 0;
  MonoNanos started_at = 0;
  MonoNanos deadline = 0;
  Error refusal;
  int times_requeued = 0;

  virtual void notify() {}

 private:
  friend class PoolScheduler;
  int reservation_ = -1;  // index of its reservation, if it was eligible
  bool holds_lane_ = false;
  bool charged_bucket_ = false;  // its estimate was taken from its reservation's bucket
  bool estimated_ = false;       // the scheduler estimated its output
  double charged_ = 0;           // what was charged at dispatch (bucket and counters)
  uint64_t sequence_ = 0;        // arrival order
};

}  // namespace accord
