// Clock: the one source of time. The gateway runs on SystemClock; tests and the simulator run the
// same code on ManualClock (virtual time), so nothing ever sleeps to wait for time to pass.
#pragma once

#include <atomic>
#include <cstdint>

namespace accord {

// Monotonic nanoseconds since an arbitrary epoch (durations, deadlines, token buckets).
using MonoNanos = int64_t;
// Wall-clock milliseconds since the Unix epoch (availability windows, ledger timestamps).
using UnixMillis = int64_t;

constexpr MonoNanos kNanosPerMilli = 1'000'000;
constexpr MonoNanos kNanosPerSecond = 1'000'000'000;

inline double nanos_to_seconds(MonoNanos ns) {
  return static_cast<double>(ns) * 1e-9;
}
inline double nanos_to_millis(MonoNanos ns) {
  return static_cast<double>(ns) * 1e-6;
}
inline MonoNanos seconds_to_nanos(double s) {
  return static_cast<MonoNanos>(s * 1e9);
}

// Thread-safe: now() may be called from any thread.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual MonoNanos now() const = 0;
  virtual UnixMillis wall_now() const = 0;
};

class SystemClock final : public Clock {
 public:
  MonoNanos now() const override;
  UnixMillis wall_now() const override;
  // The process-wide instance.
  static const SystemClock& instance();
  // now() as of the kernel's last tick (CLOCK_MONOTONIC_COARSE: a few milliseconds behind at most,
  // and cheaper to read): for socket deadlines, which the DeadlineSweeper checks every 100 ms.
  static MonoNanos coarse_now();
};

// Virtual time for tests and the simulator. Time only moves when advance()/set() is called.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(MonoNanos start = 0, UnixMillis wall_start = 1'790'000'000'000)
      : now_(start), wall_offset_ms_(wall_start - start / kNanosPerMilli) {}

  MonoNanos now() const override { return now_.load(std::memory_order_relaxed); }
  UnixMillis wall_now() const override { return now() / kNanosPerMilli + wall_offset_ms_; }

  void advance(MonoNanos delta) { now_.fetch_add(delta, std::memory_order_relaxed); }
  // REQUIRES: t >= now() (time does not run backwards).
  void set(MonoNanos t) { now_.store(t, std::memory_order_relaxed); }
  void set_wall(UnixMillis wall) { wall_offset_ms_ = wall - now() / kNanosPerMilli; }

 private:
  std::atomic<MonoNanos> now_;
  UnixMillis wall_offset_ms_;
};

}  // namespace accord
