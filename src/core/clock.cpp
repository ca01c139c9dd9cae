#include "core/clock.h"

#include <time.h>

#include <chrono>

namespace accord {

MonoNanos SystemClock::now() const {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

UnixMillis SystemClock::wall_now() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

MonoNanos SystemClock::coarse_now() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);  // the clock steady_clock reads, at tick resolution
  return static_cast<MonoNanos>(ts.tv_sec) * kNanosPerSecond + ts.tv_nsec;
}

const SystemClock& SystemClock::instance() {
  static const SystemClock clock;
  return clock;
}

}  // namespace accord
