// Gcra: a rate limit of `limit` units per `period` that admits a burst of up to `limit` and then
// `limit` per period (the generic cell rate algorithm — a token bucket kept as one theoretical
// arrival time). Exact in integers: time is scaled by `limit`, so no rounding ever admits an
// extra unit. Thread-safe (a mutex held for a few instructions; futex-cheap when uncontended).
#pragma once

#include <cstdint>
#include <mutex>

#include "core/clock.h"

namespace accord {

class Gcra {
 public:
  // REQUIRES: limit >= 0, period > 0. A limit of 0 admits nothing.
  Gcra(int64_t limit, MonoNanos period);

  struct Decision {
    bool allowed = false;
    MonoNanos retry_after = 0;  // when refused: until enough has refilled
    int64_t remaining = 0;      // units left after this decision
    MonoNanos reset_after = 0;  // until the bucket is full again
  };
  // Takes `cost` units at `now`, or nothing.
  Decision try_take(MonoNanos now, int64_t cost);
  // Returns units taken but not used (the reconciliation of an estimate).
  void give_back(MonoNanos now, int64_t cost);
  // The state without taking anything.
  Decision peek(MonoNanos now);

  int64_t limit() const { return limit_; }

 private:
  using Wide = __int128;
  Decision describe(Wide now_scaled, Wide tat) const;

  const int64_t limit_;
  const MonoNanos period_;
  std::mutex mu_;
  Wide tat_scaled_ = 0;  // theoretical arrival time × limit; guarded by mu_
};

}  // namespace accord
