// Busy polling (`server.busy_poll_us`): after its last event an event loop keeps polling for the
// next one for a while before it sleeps in epoll_wait. A loop that sleeps pays a wake-up for the
// next event, and in a virtual machine a sleeping vCPU is halted and woken by the host, which
// takes tens of microseconds per event at low load (HAProxy's `busy-polling` answers the same
// problem). Polling keeps the core awake at the price of the CPU it burns while it waits, so it
// is off by default.
//
// It gives way to work that runs on the loops' idle time (the batch ledger writer, SCHED_IDLE):
// `yield_at` is when that work next needs the core, and from then on an idle loop sleeps at once.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>

#include "runtime/asio.h"

namespace accord {

struct BusyPoll {
  std::chrono::nanoseconds spin{0};  // 0: no polling, io_context::run()
  // Steady-clock nanoseconds (busy_poll_now()); null: nothing to give way to.
  const std::atomic<int64_t>* yield_at = nullptr;
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
  uint64_t polls = 0;   // empty polls
  uint64_t sleeps = 0;  // waits in epoll_wait, for the spin's end or to give way
};

// Runs `loop` until it is stopped, as io_context::run() does, polling for up to `poll.spin`
// after each burst of events before it sleeps.
PollCounts run_polling(asio::io_context& loop, const BusyPoll& poll);

}  // namespace accord
