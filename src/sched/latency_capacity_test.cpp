#include "sched/latency_capacity.h"

#include <gtest/gtest.h>

namespace accord {
namespace {

ReplicaParams h100x2_70b() {
  return replica_params(*find_gpu("h100"), 2, 70, calibrated_coefficients());
}

TEST(LatencyCapacity, TheDefaultTargetIsTwiceTheUnloadedIteration) {
  const ReplicaParams p = h100x2_70b();
  const int batch = latency_batch(p, {}, 107, 32);
  const double unloaded = steady_iteration_s(p, 1, 107, 32);
  EXPECT_LE(steady_iteration_s(p, batch, 107, 32), 2 * unloaded);
  EXPECT_GT(steady_iteration_s(p, batch + 1, 107, 32), 2 * unloaded);
  EXPECT_GT(batch, 1);
  EXPECT_LT(batch, p.max_batch);  // the calibrated cap would break the target
}

TEST(LatencyCapacity, TighterTargetsRunFewerAtOnce) {
  const ReplicaParams p = h100x2_70b();
  const double unloaded = steady_iteration_s(p, 1, 1000, 200);
  const int loose = latency_batch(p, {0, 4 * unloaded}, 1000, 200);
  const int tight = latency_batch(p, {0, 1.5 * unloaded}, 1000, 200);
  EXPECT_LT(tight, loose);
  EXPECT_LE(steady_iteration_s(p, tight, 1000, 200), 1.5 * unloaded);
  // A TTFT target bounds the prefill of a newly admitted prompt: 8 chunks and the join, in at
  // most half the target.
  const double target = 2 * 9 * steady_iteration_s(p, 4, 8 * 8192, 200);
  const int ttft = latency_batch(p, {target, 1.0}, 8 * 8192, 200);
  EXPECT_GE(ttft, 4);
  EXPECT_LE(9 * steady_iteration_s(p, ttft, 8 * 8192, 200), target / 2 + 1e-9);
  EXPECT_GT(9 * steady_iteration_s(p, ttft + 1, 8 * 8192, 200), target / 2);
}

TEST(LatencyCapacity, LongerPromptsRunFewerAtOnce) {
  const ReplicaParams p = h100x2_70b();
  EXPECT_LT(latency_batch(p, {}, 4000, 200), latency_batch(p, {}, 200, 200));
}

TEST(LatencyCapacity, NeverBeyondTheKvCacheNorBelowOne) {
  ReplicaParams p = h100x2_70b();
  p.kv_capacity_tokens = 10'000;
  EXPECT_LE(latency_batch(p, {0, 1.0}, 1000, 1000), 5);
  EXPECT_EQ(latency_batch(p, {0, 1e-6}, 1000, 1000), 1);  // a target nothing meets: one at a time
}

}  // namespace
}  // namespace accord
