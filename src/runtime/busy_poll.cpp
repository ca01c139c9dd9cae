#include "runtime/busy_poll.h"

#include <time.h>

#include <algorithm>

#include "runtime/poll_governor.h"

namespace accord {
namespace {

enum class SpinEnd { kReady, kRanOut, kGaveWay };
struct Spin {
  SpinEnd end;
  int64_t polled_ns;  // until the check that found something ready, or the end
};

// Polls for up to `window_ns` from `start`: kReady when a handler ran or idle work came due,
// otherwise the loop should sleep (the window ran out, or a thread needs the core).
Spin spin(asio::io_context& loop, const BusyPoll& poll, int64_t window_ns, int64_t start,
          PollCounts& counts) {
  int64_t now = start;
  for (; now - start < window_ns; now = busy_poll_now()) {
    if (poll.yield_at != nullptr && now >= poll.yield_at->load(std::memory_order_relaxed)) {
      return {SpinEnd::kGaveWay, now - start};
    }
    if (loop.poll() > 0) return {SpinEnd::kReady, now - start};
    if (poll.idle_work != nullptr && poll.idle_work->due()) return {SpinEnd::kReady, now - start};
    ++counts.polls;
    if (loop.stopped()) return {SpinEnd::kGaveWay, now - start};
  }
  return {SpinEnd::kRanOut, now - start};
}

int64_t thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
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

PollCounts run_polling(asio::io_context& loop, const BusyPoll& poll, LoopTimes* times) {
  PollCounts counts;
  IdleWork* const work = poll.idle_work;
  const bool polls = poll.spin.count() > 0;
  PollGovernor governor(poll.spin.count());
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
    } else {
      // An idle spell: poll for the governor's window, then sleep until the next event.
      const int64_t start = busy_poll_now();
      if (governor.period_over(start)) {
        governor.new_period(start, thread_cpu_ns());
        if (times != nullptr) {
          times->work_ns.fetch_add(governor.last_work_ns(), std::memory_order_relaxed);
          times->poll_ns.fetch_add(governor.last_polled_ns(), std::memory_order_relaxed);
        }
      }
      const Spin s = spin(loop, poll, governor.window(), start, counts);
      governor.polled(s.polled_ns);
      if (s.end == SpinEnd::kReady) {
        governor.spell_ended(s.polled_ns);
        continue;
      }
      if (loop.stopped()) continue;
      ++counts.sleeps;
      loop.run_one();
      if (s.end == SpinEnd::kRanOut) governor.spell_ended(busy_poll_now() - start);
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
