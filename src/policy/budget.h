// SpendBudget: a monthly spend cap (UTC calendar months) in integer micro-dollars. A request
// holds back its maximum possible cost at admission and settles its real cost at completion, so
// however many requests run at once, committed spend (settled + held back) never passes the cap:
// a request that could overrun is refused up front. Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>

#include "core/clock.h"

namespace accord {

// Months since 1970-01 for a wall-clock time (UTC).
int32_t month_index(UnixMillis t);

class SpendBudget {
 public:
  explicit SpendBudget(int64_t limit_micro_usd) : limit_(limit_micro_usd) {}

  // Holds back `max_cost`; false (and nothing held) if settled + held + max_cost > limit.
  bool try_hold(UnixMillis now, int64_t max_cost, int64_t* remaining);
  // Replaces a hold with the real cost (charged to the current month).
  void settle(UnixMillis now, int64_t held, int64_t actual);
  // Spend already settled this month (e.g. from the ledger at start).
  void add_settled(UnixMillis now, int64_t spent);

  int64_t limit() const { return limit_; }
  int64_t spent(UnixMillis now);
  int64_t held(UnixMillis now);

 private:
  void roll(UnixMillis now);  // REQUIRES: mu_ held

  const int64_t limit_;
  std::mutex mu_;
  int32_t month_ = -1;  // guarded by mu_
  int64_t spent_ = 0;   // guarded by mu_
  int64_t held_ = 0;    // guarded by mu_ (holds survive a month boundary)
};

}  // namespace accord
