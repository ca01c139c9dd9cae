#include "runtime/busy_poll.h"

#include <pthread.h>
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

// A CPU-time clock's reading in nanoseconds; 0 if it cannot be read (its thread has ended).
int64_t cpu_clock_ns(clockid_t clock) {
  timespec ts{};
  if (clock_gettime(clock, &ts) != 0) return 0;
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

int64_t thread_cpu_ns() {
  return cpu_clock_ns(CLOCK_THREAD_CPUTIME_ID);
}

}  // namespace

int64_t LoopTimes::cpu_ns() const {
  if (!running_.load(std::memory_order_acquire)) return 0;
  return cpu_clock_ns(cpu_clock_.load(std::memory_order_relaxed));
}

void LoopTimes::start() {
  clockid_t clock{};
  if (pthread_getcpuclockid(pthread_self(), &clock) != 0) return;
  cpu_clock_.store(clock, std::memory_order_relaxed);
  running_.store(true, std::memory_order_release);
}

void LoopTimes::stop() {
  running_.store(false, std::memory_order_release);
}

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
  if (times != nullptr) times->start();
  if (work != nullptr) work->attach(loop);
  // Sleeps until an event (running its handler), after polling up to `since`; returns how long
  // it had no event to handle, from `start`: the handler's CPU time left out when `measure`.
  auto sleep = [&](int64_t start, int64_t since, bool measure) {
    ++counts.sleeps;
    const int64_t cpu_before = measure ? thread_cpu_ns() : 0;
    loop.run_one();
    const int64_t woke = busy_poll_now();
    const int64_t handler = measure ? thread_cpu_ns() - cpu_before : 0;
    governor.slept(woke - since - handler);
    return woke - start - handler;
  };
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
    const int64_t start = busy_poll_now();
    if (due) {
      if (work->run_slice()) {
        ++counts.slices;
        continue;
      }
      if (loop.stopped()) continue;
      sleep(start, start, false);  // another thread holds the work
      continue;
    }
    // An idle spell: poll for the governor's window, then sleep until the next event.
    if (governor.period_over(start)) {
      governor.new_period(start, thread_cpu_ns());
      if (governor.contended()) ++counts.contended_periods;
    }
    const int64_t window = governor.window();
    if (window > 0) ++counts.polled_spells;
    const Spin s = spin(loop, poll, window, start, counts);
    governor.polled(s.polled_ns);
    if (times != nullptr && s.polled_ns > 0) times->add_poll(s.polled_ns);
    if (s.end == SpinEnd::kReady) {
      governor.spell_ended(s.polled_ns);
      continue;
    }
    if (loop.stopped()) continue;
    const bool adapt = s.end == SpinEnd::kRanOut && governor.adapting();
    const int64_t blocked = sleep(start, start + s.polled_ns, adapt);
    if (adapt) governor.spell_ended(blocked);
  }
  if (work != nullptr) work->detach(loop);
  if (times != nullptr) times->stop();
  return counts;
}

}  // namespace accord
