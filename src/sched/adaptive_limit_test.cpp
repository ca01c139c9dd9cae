#include "sched/adaptive_limit.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <climits>
#include <queue>
#include <random>
#include <vector>

namespace accord {
namespace {

constexpr double kBaseS = 0.02;  // per-token latency at no load (50 tokens/s)
constexpr int kTokens = 32;      // per request

MonoNanos seconds(double s) {
  return seconds_to_nanos(s);
}

// A fake upstream driven in a closed loop: the pool is always backlogged, so it keeps limit()
// requests running (or `app_cap`, if fewer: the application has no more to send). A request's
// per-token latency is base × max(1, inflight / knee) × (1 ± noise), fixed when it starts, and it
// finishes kTokens × that later. Event by event on virtual time; deterministic for a seed.
class FakeUpstream {
 public:
  FakeUpstream(AdaptiveLimit& limit, double knee, uint32_t seed = 1)
      : limit_(limit), knee_(knee), rng_(seed) {}

  double base_s = kBaseS;
  double noise = 0.05;
  int app_cap = INT_MAX;
  // Requests started while this many run are refused with a 429 (after 10 ms) instead.
  int quota = INT_MAX;
  MonoNanos now() const { return now_; }
  void set_knee(double knee) { knee_ = knee; }

  struct Stats {
    double mean_limit = 0;    // time-weighted over the tail
    int min_limit = INT_MAX;  // over the whole run
    int max_limit = 0;
    int min_limit_tail = INT_MAX;
    int max_limit_tail = 0;
    int min_limit_outside_probes = INT_MAX;  // in the tail
    double mean_latency_s = 0;               // of the samples in the tail
    int rate_limited = 0;
  };

  // Runs for `duration_s` more; the stats cover its last `tail_s` unless they say otherwise.
  Stats run(double duration_s, double tail_s = 60) {
    const MonoNanos end = now_ + seconds(duration_s);
    const MonoNanos tail_start = end - seconds(tail_s);
    Stats stats;
    double limit_integral = 0;
    double latency_sum = 0;
    int latency_count = 0;
    fill();
    while (true) {
      const Request r = running_.top();
      const MonoNanos t = std::min(r.finish, end);
      const int limit = limit_.limit();
      stats.min_limit = std::min(stats.min_limit, limit);
      stats.max_limit = std::max(stats.max_limit, limit);
      if (t > tail_start) {
        stats.min_limit_tail = std::min(stats.min_limit_tail, limit);
        stats.max_limit_tail = std::max(stats.max_limit_tail, limit);
        if (!limit_.probing()) {
          stats.min_limit_outside_probes = std::min(stats.min_limit_outside_probes, limit);
        }
        limit_integral += limit * nanos_to_seconds(t - std::max(now_, tail_start));
      }
      now_ = t;
      if (t == end) break;
      running_.pop();
      if (r.rate_limited) {
        ++stats.rate_limited;
        limit_.on_rate_limited(now_);
      } else {
        limit_.on_sample(now_, r.latency_s, inflight_);
        if (now_ >= tail_start) {
          latency_sum += r.latency_s;
          ++latency_count;
        }
      }
      --inflight_;
      fill();
    }
    stats.mean_limit = limit_integral / tail_s;
    stats.mean_latency_s = latency_count > 0 ? latency_sum / latency_count : 0;
    return stats;
  }

 private:
  struct Request {
    MonoNanos finish;
    double latency_s;
    bool rate_limited;
    bool operator>(const Request& o) const { return finish > o.finish; }
  };

  void fill() {
    while (inflight_ < std::min(limit_.limit(), app_cap)) {
      ++inflight_;
      if (inflight_ > quota) {
        running_.push({now_ + 10 * kNanosPerMilli, 0, true});
        continue;
      }
      std::uniform_real_distribution<double> jitter(1 - noise, 1 + noise);
      const double latency_s = base_s * std::max(1.0, inflight_ / knee_) * jitter(rng_);
      running_.push({now_ + seconds(kTokens * latency_s), latency_s, false});
    }
  }

  AdaptiveLimit& limit_;
  double knee_;
  std::mt19937 rng_;
  MonoNanos now_ = 0;
  int inflight_ = 0;
  std::priority_queue<Request, std::vector<Request>, std::greater<>> running_;
};

AdaptiveLimitConfig config(int max_limit = 256, int initial = 8) {
  AdaptiveLimitConfig c;
  c.initial_limit = initial;
  c.max_limit = max_limit;
  return c;
}

// Within ±share of `want`.
void expect_near_share(double got, double want, double share) {
  EXPECT_GE(got, want * (1 - share));
  EXPECT_LE(got, want * (1 + share));
}

// From 8, the limit finds the knee of the upstream's latency curve and stays there, with ±5%
// noise on every request's latency.
TEST(AdaptiveLimit, ConvergesToTheKnee) {
  for (double knee : {32.0, 64.0, 100.0}) {
    SCOPED_TRACE(knee);
    AdaptiveLimit limit(config());
    FakeUpstream up(limit, knee);
    const FakeUpstream::Stats s = up.run(600);
    expect_near_share(s.mean_limit, knee, 0.10);
    EXPECT_NEAR(limit.min_latency_s(), kBaseS, kBaseS * 0.05);
    EXPECT_GE(s.min_limit, 1);
  }
}

// ±10% noise per request: the limit holds still within a few requests of the knee, apart from
// the probes' drops to 3/4.
TEST(AdaptiveLimit, NoiseDoesNotSwingTheLimit) {
  AdaptiveLimit limit(config());
  FakeUpstream up(limit, 64, 7);
  up.noise = 0.10;
  up.run(300);
  const FakeUpstream::Stats s = up.run(60, 60);
  expect_near_share(s.mean_limit, 64, 0.10);
  EXPECT_GE(s.min_limit_outside_probes, 64 * 0.9);
  EXPECT_LE(s.max_limit_tail, 64 * 1.2);
}

// The upstream's knee halves (it got slower under load): the limit follows it down, and up
// again when the knee comes back.
TEST(AdaptiveLimit, FollowsTheKneeDownAndUp) {
  AdaptiveLimit limit(config());
  FakeUpstream up(limit, 64);
  expect_near_share(up.run(300).mean_limit, 64, 0.10);
  up.set_knee(32);
  const FakeUpstream::Stats down = up.run(300);
  up.set_knee(64);
  const FakeUpstream::Stats up_again = up.run(300);
  expect_near_share(down.mean_limit, 32, 0.10);
  expect_near_share(up_again.mean_limit, 64, 0.10);
}

// The upstream gets uniformly twice as slow, knee unchanged: latency rises at every load, so the
// limit drops at first, but the probe finds the new no-load latency and the limit returns to the
// knee instead of staying at min_limit. Then twice as fast again: it stays there.
TEST(AdaptiveLimit, UniformSlowdownDoesNotCollapseIt) {
  AdaptiveLimit limit(config());
  FakeUpstream up(limit, 64);
  up.run(300);
  up.base_s = 2 * kBaseS;
  const FakeUpstream::Stats slow = up.run(300);
  expect_near_share(slow.mean_limit, 64, 0.25);
  EXPECT_NEAR(limit.min_latency_s(), 2 * kBaseS, 2 * kBaseS * 0.05);
  up.base_s = kBaseS;
  const FakeUpstream::Stats fast = up.run(300);
  expect_near_share(fast.mean_limit, 64, 0.10);
  EXPECT_NEAR(limit.min_latency_s(), kBaseS, kBaseS * 0.05);
}

// A target above the latency at the knee does not bind: the limit sits at the knee, latency
// within the target.
TEST(AdaptiveLimit, SettlesWithinALatencyTarget) {
  AdaptiveLimitConfig c = config();
  c.latency_target_s = 1.5 * kBaseS;
  AdaptiveLimit limit(c);
  FakeUpstream up(limit, 64);
  const FakeUpstream::Stats s = up.run(600);
  EXPECT_GE(s.mean_limit, 64 * 0.9);
  EXPECT_LE(s.max_limit_tail, 1.5 * 64);
  EXPECT_LE(s.mean_latency_s, c.latency_target_s);
  EXPECT_LE(limit.smoothed_latency_s(), c.latency_target_s);
}

// A target below even the no-load latency: latency wins over throughput, the limit goes to
// min_limit and no lower; when the upstream gets fast enough, it grows back to the knee.
TEST(AdaptiveLimit, LatencyAboveTheTargetWinsOverThroughput) {
  AdaptiveLimitConfig c = config();
  c.min_limit = 2;
  c.latency_target_s = 0.8 * kBaseS;
  AdaptiveLimit limit(c);
  FakeUpstream up(limit, 64);
  const FakeUpstream::Stats slow = up.run(300);
  EXPECT_EQ(slow.min_limit, 2);
  EXPECT_LE(slow.mean_limit, 3);
  up.base_s = 0.5 * kBaseS;
  const FakeUpstream::Stats fast = up.run(600);
  expect_near_share(fast.mean_limit, 64, 0.10);
}

TEST(AdaptiveLimit, StaysWithinItsBounds) {
  AdaptiveLimitConfig c = config(20);
  c.min_limit = 4;
  AdaptiveLimit limit(c);
  FakeUpstream up(limit, 64);
  const FakeUpstream::Stats s = up.run(600);
  EXPECT_EQ(s.max_limit, 20);
  EXPECT_TRUE(limit.limit() == 20 || limit.probing());
  EXPECT_GE(s.mean_limit, 18);

  // Every request times out: down to min_limit, never below.
  for (int i = 0; i < 10'000; ++i) {
    limit.on_sample(seconds(600) + i * kNanosPerMilli, 0, limit.limit(), /*dropped=*/true);
    ASSERT_GE(limit.limit(), 4);
  }
  EXPECT_EQ(limit.limit(), 4);
}

TEST(AdaptiveLimit, RepairsItsBounds) {
  AdaptiveLimitConfig c;
  c.min_limit = 0;
  c.max_limit = -3;
  c.initial_limit = 50;
  EXPECT_EQ(AdaptiveLimit(c).limit(), 1);
  c.max_limit = 10;
  EXPECT_EQ(AdaptiveLimit(c).limit(), 10);
}

// A 429 halves the limit; the rest of its burst does not; after the window it may again; and
// with latency fine the limit grows back to the knee.
TEST(AdaptiveLimit, BacksOffOnceForABurstOf429s) {
  AdaptiveLimit limit(config());
  FakeUpstream up(limit, 64);
  up.run(300);
  while (limit.probing()) up.run(0.1, 0.1);
  const int before = limit.limit();
  const MonoNanos t = up.now();
  limit.on_rate_limited(t);
  EXPECT_EQ(limit.limit(), before / 2);
  for (int i = 1; i <= 20; ++i) limit.on_rate_limited(t + i * (10 * kNanosPerMilli));
  EXPECT_EQ(limit.limit(), before / 2);
  const FakeUpstream::Stats s = up.run(60);
  expect_near_share(s.mean_limit, 64, 0.10);
  limit.on_rate_limited(up.now());
  EXPECT_LE(limit.limit(), 64 * 1.1 / 2);
}

// A provider whose latency does not depend on load but which refuses more than 40 at once:
// the 429s govern, the limit saws between about 20 and 40.
TEST(AdaptiveLimit, A429QuotaGovernsAProvider) {
  AdaptiveLimit limit(config());
  FakeUpstream up(limit, 1e9);
  up.quota = 40;
  const FakeUpstream::Stats s = up.run(600);
  EXPECT_GE(s.mean_limit, 20);
  EXPECT_LE(s.mean_limit, 40);
  EXPECT_GE(s.min_limit_tail, 16);
  EXPECT_LE(s.max_limit_tail, 50);
}

// Only 2 requests ever in flight: no evidence about a larger limit, so it does not grow.
TEST(AdaptiveLimit, DoesNotGrowWhileAppLimited) {
  AdaptiveLimit limit(config());
  FakeUpstream up(limit, 64);
  up.app_cap = 2;
  const FakeUpstream::Stats s = up.run(600);
  EXPECT_LE(s.max_limit, 8);
  EXPECT_GE(s.min_limit, 6);
  // And once there is work, it grows as usual.
  up.app_cap = INT_MAX;
  expect_near_share(up.run(300).mean_limit, 64, 0.10);
}

}  // namespace
}  // namespace accord
