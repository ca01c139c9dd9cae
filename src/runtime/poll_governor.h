// How long an idle event loop polls before it sleeps (busy_poll.h), up to `server.busy_poll_us`.
//
// The window adapts to the gaps between events, as KVM's halt polling does (`halt_poll_ns`): it
// starts at the longest, halves after a gap longer than the longest (a poll that did not pay),
// and grows again, from 10 µs doubling, after a gap that the longest window would have covered
// and the current one did not. So a loop polls through the short waits of a request it serves
// (its upstream's answer, the client's next request on a keep-alive connection) and stops
// polling under sparse traffic, where it would only burn the core between requests.
//
// A loop polls only while, over its last period (10 ms or more: a period ends at the first idle
// spell after 10 ms):
// - it was less than half busy: its CPU time, less its polling, per wall time. Work includes
//   the idle work it ran (the ledger's commits). A busier loop finds its next event soon without
//   polling, and polling would only turn the idle headroom it has left into burnt CPU.
// - it had its core: it ran at least 90% of the time it was not asleep. A loop that shares its
//   core with other threads (or is throttled by a CPU quota) would poll on their time.
//
// Times are nanoseconds: wall times of one clock (busy_poll_now() in the loops; any in tests),
// CPU times of the loop's thread. Not thread-safe: one loop's thread uses it.
#pragma once

#include <cstdint>

namespace accord {

class PollGovernor {
 public:
  static constexpr int64_t kPeriodNs = 10'000'000;
  static constexpr int64_t kGrowFromNs = 10'000;

  // REQUIRES: longest_ns >= 0 (0: never polls).
  explicit PollGovernor(int64_t longest_ns);

  // The poll window for an idle spell starting now: 0 to sleep at once.
  int64_t window() const { return allowed_ ? window_ : 0; }

  // Whether spell_ended() can change the window (the loop polls, or could grow its window).
  bool adapting() const { return allowed_ && longest_ > 0; }
  // An idle spell polled `polled_ns` (whether or not it then slept).
  void polled(int64_t polled_ns) { period_polled_ += polled_ns; }
  // The loop slept `slept_ns` off its core, waiting for events.
  void slept(int64_t slept_ns) { period_slept_ += slept_ns; }
  // An idle spell with the current window ended after `blocked_ns` (the time the loop had no
  // event to handle): an event came, during the poll or the sleep after it, or the poll ran out.
  // Not for a spell cut short (giving way).
  void spell_ended(int64_t blocked_ns);

  // Whether the period ends at `now_ns`: then new_period() with the thread's CPU time.
  bool period_over(int64_t now_ns) const { return now_ns >= period_end_; }
  void new_period(int64_t now_ns, int64_t cpu_ns);

  // Over the last period: CPU time less polling, per wall time (0 before the first).
  double busy() const { return busy_; }
  // Whether the loop had less than 90% of its core over the last period.
  bool contended() const { return contended_; }

 private:
  int64_t longest_;
  int64_t window_;
  bool allowed_ = true;
  double busy_ = 0;
  bool contended_ = false;
  int64_t period_start_ = 0;
  int64_t period_end_ = 0;  // 0: no period yet
  int64_t period_cpu_ = 0;
  int64_t period_polled_ = 0;
  int64_t period_slept_ = 0;
};

}  // namespace accord
