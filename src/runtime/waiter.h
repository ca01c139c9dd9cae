// Waiter: lets a coroutine on one event loop sleep until a deadline or until any thread calls
// notify(). The engine and the schedulers use it to wake requests across loops without locks on
// the waiting side. A notify() that comes before the wait is not lost: the next wait returns at
// once.
#pragma once

#include <atomic>
#include <memory>

#include "core/clock.h"
#include "runtime/asio.h"

namespace accord {

class Waiter {
 public:
  // `executor`: the loop of the coroutine that will wait.
  explicit Waiter(const asio::any_io_executor& executor) : timer_(executor) {}

  // Returns when notified or at `deadline` (monotonic ns of SystemClock), whichever is first.
  // REQUIRES: called from the waiter's own loop, by one coroutine at a time.
  asio::awaitable<void> wait_until(MonoNanos deadline);
  asio::awaitable<void> wait() { return wait_until(kForever); }

  // Any thread. `waiter` keeps it alive until the wake-up has run on its loop (it may be an
  // aliasing pointer into whatever owns the waiter).
  static void notify(const std::shared_ptr<Waiter>& waiter);
  // Own loop: consumes a pending notification, if any.
  bool take_notification() { return notified_.exchange(false, std::memory_order_acq_rel); }

  static constexpr MonoNanos kForever = INT64_MAX / 4;

 private:
  asio::steady_timer timer_;
  std::atomic<bool> notified_{false};
};

}  // namespace accord
