// Busy polling (`server.busy_poll_us`): after its last event an event loop keeps polling for the
// next one for a while before it sleeps in epoll_wait. A loop that sleeps pays a wake-up for the
// next event, and in a virtual machine a sleeping vCPU is halted and woken by the host, which
// takes tens of microseconds per event at low load (HAProxy's `busy-polling` answers the same
// problem). Polling keeps the core awake at the price of the CPU it burns while it waits, so how
// long a loop polls adapts (PollGovernor, poll_governor.h): it polls through the short gaps of
// the requests it serves, not through long gaps, and not while it is at least half busy.
//
// Idle work (IdleWork): work that wants only the time the loops leave (the batch ledger's
// commits) runs on the loops themselves, in slices of tens of microseconds between events. A
// loop runs a slice only when no event is ready, and looks for events after each. Run on a
// thread of its own, such work held a waking loop back: on a kernel that preempts lazily (as
// this one, PREEMPT_NONE), a wake-up does not interrupt a thread running in user space, even a
// SCHED_IDLE one, until its next system call or the tick.
//
// A polling loop gives way to work that runs on a thread of its own (the ledger writer when the
// loops leave it a batch, or in strict durability): `yield_at` is when that thread next needs
// the core, and from then on an idle loop sleeps at once.
#pragma once

#include <time.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>
#include <mutex>
#include <vector>

#include "runtime/asio.h"

namespace accord {

// Work done in slices on the loops' idle time. Thread-safe.
class IdleWork {
 public:
  virtual ~IdleWork() = default;
  // Whether a slice is wanted: an atomic load.
  bool due() const { return due_.load(std::memory_order_relaxed); }
  // Runs one slice on the calling loop; false when none could run (another thread holds the
  // work): the loop then sleeps until its next event.
  virtual bool run_slice() = 0;

  // The loops to wake when the work comes due (run_polling attaches the loop it runs).
  void attach(asio::io_context& loop);
  void detach(asio::io_context& loop);

 protected:
  // Makes the work due and stops each attached loop's io_context::run() (a posted stop: the
  // loop runs what is ready first), so that it turns to the work when idle.
  void set_due();
  void clear_due() { due_.store(false, std::memory_order_relaxed); }

 private:
  std::atomic<bool> due_{false};
  std::mutex mu_;
  std::vector<asio::io_context*> loops_;  // guarded by mu_
};

struct BusyPoll {
  std::chrono::nanoseconds spin{0};  // the longest poll (PollGovernor); 0: no polling
  // Steady-clock nanoseconds (busy_poll_now()); null: nothing to give way to.
  const std::atomic<int64_t>* yield_at = nullptr;
  IdleWork* idle_work = nullptr;  // null: none (and with no spin: plain io_context::run())
  // True once the loop is stopped for good. Needed with idle_work, which stops a loop to wake
  // it; without it any stop ends run_polling.
  const std::atomic<bool>* quit = nullptr;
};

// "Not needed": the value of a yield_at with no work waiting.
inline constexpr int64_t kNoYield = std::numeric_limits<int64_t>::max();

// The clock yield_at is read against: steady_clock, in nanoseconds.
inline int64_t busy_poll_now() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// How a polling loop spent its idle time.
struct PollCounts {
  uint64_t polls = 0;              // empty polls
  uint64_t polled_spells = 0;      // idle spells that polled at all (a window over 0)
  uint64_t sleeps = 0;             // waits in epoll_wait, for the spin's end or to give way
  uint64_t slices = 0;             // idle work
  uint64_t contended_periods = 0;  // PollGovernor periods in which it lost its core
};

// A loop's time on work and on polling, for metrics (the process's CPU time counts both). The
// loop's thread writes it; any thread reads it.
class LoopTimes {
 public:
  // The loop's CPU time so far, polling included; 0 while no thread runs the loop.
  int64_t cpu_ns() const;
  // The time it spent polling so far (wall time, which is CPU time on a core of its own).
  int64_t poll_ns() const { return poll_ns_.load(std::memory_order_relaxed); }

  // For the loop's thread.
  void start();  // names the calling thread as the loop's
  void stop();
  void add_poll(int64_t ns) {
    poll_ns_.store(poll_ns_.load(std::memory_order_relaxed) + ns, std::memory_order_relaxed);
  }

 private:
  std::atomic<bool> running_{false};
  std::atomic<clockid_t> cpu_clock_{};
  std::atomic<int64_t> poll_ns_{0};
};

// Runs `loop` until it is stopped (for good: `poll.quit`), as io_context::run() does, running
// idle work when it is due and no event is ready, and polling for up to `poll.spin` (as a
// PollGovernor decides) after each burst of events before it sleeps.
// `times`, if given, gets the loop's times.
PollCounts run_polling(asio::io_context& loop, const BusyPoll& poll, LoopTimes* times = nullptr);

}  // namespace accord
