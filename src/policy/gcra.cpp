#include "policy/gcra.h"

#include <algorithm>
#include <mutex>

namespace accord {

Gcra::Gcra(int64_t limit, MonoNanos period) : limit_(limit), period_(period) {}

Gcra::Decision Gcra::describe(Wide now_scaled, Wide tat) const {
  Decision d;
  const Wide capacity = Wide{period_} * limit_;  // a full burst, in scaled time
  const Wide used = std::max<Wide>(0, tat - now_scaled);
  d.remaining = static_cast<int64_t>((capacity - std::min(used, capacity)) / period_);
  d.reset_after = limit_ == 0 ? 0 : static_cast<MonoNanos>((used + limit_ - 1) / limit_);
  return d;
}

Gcra::Decision Gcra::try_take(MonoNanos now, int64_t cost) {
  if (limit_ == 0 || cost > limit_) {
    Decision d;
    d.retry_after = period_;  // never admissible: at least a whole period
    return d;
  }
  const Wide now_scaled = Wide{now} * limit_;
  std::lock_guard lock(mu_);
  const Wide base = std::max(tat_scaled_, now_scaled);
  const Wide next = base + Wide{cost} * period_;
  const Wide capacity = Wide{period_} * limit_;
  if (next - now_scaled > capacity) {
    Decision d = describe(now_scaled, tat_scaled_);
    // Refused until `next - capacity` has passed: rounded up to whole nanoseconds.
    d.retry_after = static_cast<MonoNanos>((next - capacity - now_scaled + limit_ - 1) / limit_);
    return d;
  }
  tat_scaled_ = next;
  Decision d = describe(now_scaled, next);
  d.allowed = true;
  return d;
}

void Gcra::give_back(MonoNanos now, int64_t cost) {
  if (limit_ == 0 || cost <= 0) return;
  const Wide now_scaled = Wide{now} * limit_;
  std::lock_guard lock(mu_);
  tat_scaled_ = std::max(tat_scaled_ - Wide{cost} * period_, now_scaled);
}

Gcra::Decision Gcra::peek(MonoNanos now) {
  const Wide now_scaled = Wide{now} * limit_;
  std::lock_guard lock(mu_);
  return describe(now_scaled, tat_scaled_);
}

}  // namespace accord
