// StopSignal: tells a request's work to stop (its slot was reclaimed). Set from any thread; the
// request's own loop then runs `on_stop` (closing an upstream connection, say) and the request's
// waiter wakes, so the work notices promptly wherever it is waiting.
#pragma once

#include <atomic>
#include <functional>

namespace accord {

struct StopSignal {
  std::atomic<bool> stopped{false};
  std::function<void()> on_stop;  // set and cleared by the request, on its own loop
  bool is_set() const { return stopped.load(std::memory_order_acquire); }
};

}  // namespace accord
