// TokenBucket: a reservation's capacity in weighted tokens — refills at `rate` per second up to
// `depth`; a request's estimate is taken when it is admitted and the difference to its real use
// given back, or taken, at completion. A request that used more than its estimate may take the
// level below zero, by at most one depth (so one bad estimate costs at most one burst).
// Virtual time (the caller passes now). Not thread-safe.
#pragma once

#include <algorithm>

#include "core/clock.h"

namespace accord {

class TokenBucket {
 public:
  TokenBucket(double rate_per_s, double depth) : rate_(rate_per_s), depth_(depth), level_(depth) {}

  double level(MonoNanos now) {
    refill(now);
    return level_;
  }
  bool can_take(MonoNanos now, double amount) { return level(now) >= amount; }
  void take(MonoNanos now, double amount) {
    refill(now);
    level_ = std::max(-depth_, level_ - amount);
  }
  void give_back(MonoNanos now, double amount) {
    refill(now);
    level_ = std::min(depth_, level_ + amount);
  }
  // When `amount` will be available, assuming nothing else is taken (now if it already is).
  MonoNanos available_at(MonoNanos now, double amount) {
    const double missing = amount - level(now);
    if (missing <= 0) return now;
    if (rate_ <= 0 || amount > depth_) return INT64_MAX / 4;
    return now + static_cast<MonoNanos>(missing / rate_ * 1e9) + 1;
  }
  // A deeper bucket starts as if it had always been that deep: the level grows with it.
  void set_depth(double depth) {
    if (depth > depth_) level_ += depth - depth_;
    depth_ = depth;
    level_ = std::min(level_, depth_);
  }
  double depth() const { return depth_; }
  double rate() const { return rate_; }

 private:
  void refill(MonoNanos now) {
    if (now > last_) {
      level_ = std::min(depth_, level_ + rate_ * nanos_to_seconds(now - last_));
      last_ = now;
    }
  }

  double rate_;
  double depth_;
  double level_;
  MonoNanos last_ = 0;
};

}  // namespace accord
