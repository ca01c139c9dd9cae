#include "runtime/poll_governor.h"

#include <algorithm>

namespace accord {

PollGovernor::PollGovernor(int64_t longest_ns) : longest_(longest_ns), window_(longest_ns) {}

void PollGovernor::spell_ended(int64_t blocked_ns) {
  if (!allowed_ || longest_ == 0 || blocked_ns <= window_) return;  // the poll paid, or none
  if (blocked_ns > longest_) {
    window_ /= 2;
    if (window_ < kGrowFromNs) window_ = 0;
  } else {
    window_ = std::min(longest_, window_ == 0 ? kGrowFromNs : window_ * 2);
  }
}

void PollGovernor::new_period(int64_t now_ns, int64_t cpu_ns) {
  if (period_end_ != 0 && now_ns > period_start_) {
    const int64_t wall_ns = now_ns - period_start_;
    const int64_t cpu_used_ns = cpu_ns - period_cpu_;
    const int64_t busy_ns = std::max<int64_t>(0, cpu_used_ns - period_polled_);
    busy_ = static_cast<double>(busy_ns) / static_cast<double>(wall_ns);
    contended_ = 10 * cpu_used_ns < 9 * (wall_ns - period_slept_);
    allowed_ = 2 * busy_ns < wall_ns && !contended_;
  }
  period_start_ = now_ns;
  period_end_ = now_ns + kPeriodNs;
  period_cpu_ = cpu_ns;
  period_polled_ = 0;
  period_slept_ = 0;
}

}  // namespace accord
