#include "policy/budget.h"

#include <chrono>

namespace accord {

int32_t month_index(UnixMillis t) {
  using namespace std::chrono;
  const year_month_day ymd{floor<days>(sys_time<milliseconds>(milliseconds(t)))};
  return (static_cast<int>(ymd.year()) - 1970) * 12 + static_cast<int>(unsigned(ymd.month())) - 1;
}

void SpendBudget::roll(UnixMillis now) {
  const int32_t m = month_index(now);
  if (m != month_) {
    month_ = m;
    spent_ = 0;
  }
}

bool SpendBudget::try_hold(UnixMillis now, int64_t max_cost, int64_t* remaining) {
  std::lock_guard lock(mu_);
  roll(now);
  const int64_t left = limit_ - spent_ - held_;
  if (max_cost > left) {
    if (remaining != nullptr) *remaining = left;
    return false;
  }
  held_ += max_cost;
  if (remaining != nullptr) *remaining = left - max_cost;
  return true;
}

void SpendBudget::settle(UnixMillis now, int64_t held, int64_t actual) {
  std::lock_guard lock(mu_);
  roll(now);
  held_ -= held;
  spent_ += actual;
}

void SpendBudget::add_settled(UnixMillis now, int64_t spent) {
  std::lock_guard lock(mu_);
  roll(now);
  spent_ += spent;
}

int64_t SpendBudget::spent(UnixMillis now) {
  std::lock_guard lock(mu_);
  roll(now);
  return spent_;
}

int64_t SpendBudget::held(UnixMillis now) {
  std::lock_guard lock(mu_);
  roll(now);
  return held_;
}

}  // namespace accord
