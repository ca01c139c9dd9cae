#include "runtime/busy_poll.h"

#include <algorithm>

namespace accord {
namespace {

// Polls for up to `poll.spin`: true when a handler ran or idle work came due, false when the
// loop should sleep (the spin ended, or a thread needs the core).
bool spin(asio::io_context& loop, const BusyPoll& poll, PollCounts& counts) {
  const int64_t start = busy_poll_now();
  for (int64_t now = start; now - start < poll.spin.count(); now = busy_poll_now()) {
    if (poll.yield_at != nullptr && now >= poll.yield_at->load(std::memory_order_relaxed)) break;
    if (loop.poll() > 0) return true;
    if (poll.idle_work != nullptr && poll.idle_work->due()) return true;
    ++counts.polls;
    if (loop.stopped()) break;
  }
  return false;
}

}  // namespace

void IdleWork::attach(asio::io_context& loop) {
  std::lock_guard lock(mu_);
  loops_.push_back(&loop);
}

void IdleWork::detach(asio::io_context& loop) {
  std::lock_guard lock(mu_);
  std::erase(loops_, &loop);
}

void IdleWork::set_due() {
  due_.store(true, std::memory_order_relaxed);
  std::lock_guard lock(mu_);
  for (asio::io_context* loop : loops_) asio::post(*loop, [loop] { loop->stop(); });
}

PollCounts run_polling(asio::io_context& loop, const BusyPoll& poll) {
  PollCounts counts;
  IdleWork* const work = poll.idle_work;
  const bool polls = poll.spin.count() > 0;
  if (work != nullptr) work->attach(loop);
  for (;;) {
    if (loop.stopped()) {
      if (poll.quit == nullptr || poll.quit->load(std::memory_order_acquire)) break;
      loop.restart();  // stopped to turn to idle work
      // A stop for good between the check above and restart() was undone by it: quit says so.
      // (stop() sets quit first; stop() and restart() both take the loop's lock.)
      if (poll.quit->load(std::memory_order_acquire)) break;
    }
    const bool due = work != nullptr && work->due();
    if (!due && !polls) {
      // Until stopped: for good, or for idle work. (Out of work it would return at once, again
      // and again; EventLoops holds a work guard until it sets quit.)
      loop.run();
      continue;
    }
    if (loop.poll() > 0) continue;  // handlers ran: more may be ready
    if (due) {
      if (work->run_slice()) {
        ++counts.slices;
        continue;
      }
    } else if (spin(loop, poll, counts)) {
      continue;
    }
    if (loop.stopped()) continue;
    ++counts.sleeps;
    loop.run_one();
  }
  if (work != nullptr) work->detach(loop);
  return counts;
}

}  // namespace accord
