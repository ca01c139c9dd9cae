#include "runtime/busy_poll.h"

namespace accord {

PollCounts run_polling(asio::io_context& loop, const BusyPoll& poll) {
  PollCounts counts;
  if (poll.spin.count() <= 0) {
    loop.run();
    return counts;
  }
  const auto spin = poll.spin.count();
  while (!loop.stopped()) {
    if (loop.poll() > 0) continue;  // handlers ran: more may be ready
    // Nothing ready: poll (epoll_wait with no timeout) until `spin` passes or idle-time work is
    // due, then sleep until the next event.
    bool woke = false;
    const int64_t start = busy_poll_now();
    for (int64_t now = start; now - start < spin; now = busy_poll_now()) {
      if (poll.yield_at != nullptr && now >= poll.yield_at->load(std::memory_order_relaxed)) break;
      if (loop.poll() > 0) {
        woke = true;
        break;
      }
      ++counts.polls;
      if (loop.stopped()) return counts;
    }
    if (!woke) {
      ++counts.sleeps;
      loop.run_one();
    }
  }
  return counts;
}

}  // namespace accord
