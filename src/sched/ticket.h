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
  double weighted_estimate = 0;  // prompt + output_weight × the most output it may produce
  int64_t kv_tokens = 0;         // KV cache tokens it may hold (prompt + max output)
  int slots = 1;                 // sequences it runs (n choices)
  bool priority = false;         // service_tier "priority", and the party may use it
  bool preemptible = false;      // a research tier, or service_tier "flex"
  bool flex = false;             // service_tier "flex": requeued rather than failed when stopped
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
  bool charged_bucket_ = false;
  double charged_ = 0;     // what was charged at dispatch (bucket and counters)
  uint64_t sequence_ = 0;  // arrival order
};

}  // namespace accord
