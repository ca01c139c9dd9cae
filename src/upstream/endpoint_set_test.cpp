#include "upstream/endpoint_set.h"

#include <gtest/gtest.h>

namespace accord {
namespace {

Pool two_endpoints(int max_inflight) {
  Pool p;
  p.name = "up";
  p.engine = PoolEngine::kUpstream;
  for (int port : {9001, 9002}) {
    UpstreamEndpoint e;
    e.host = "127.0.0.1";
    e.port = static_cast<uint16_t>(port);
    e.max_inflight = max_inflight;
    p.upstreams.push_back(e);
  }
  return p;
}

TEST(EndpointSet, PicksTheLeastLoadedWithRoom) {
  ManualClock clock;
  EndpointSet set(two_endpoints(2), clock);
  const int a = set.try_acquire(0);
  const int b = set.try_acquire(0);
  EXPECT_NE(a, b);  // balanced
  EXPECT_GE(set.try_acquire(0), 0);
  EXPECT_GE(set.try_acquire(0), 0);
  EXPECT_EQ(set.try_acquire(0), -1);  // both at max_inflight
  set.release(a);
  EXPECT_EQ(set.try_acquire(0), a);
  // Skips endpoints already tried.
  set.release(a);
  EXPECT_EQ(set.try_acquire(uint64_t{1} << a), -1);
}

TEST(EndpointSet, EjectsAfterConsecutiveFailuresAndReadmitsAfterABackOffThatDoubles) {
  ManualClock clock;
  EndpointSet set(two_endpoints(8), clock);
  set.record_failure(0);
  set.record_failure(0);
  EXPECT_TRUE(set.healthy(0));
  set.record_failure(0);
  EXPECT_FALSE(set.healthy(0));
  EXPECT_EQ(set.try_acquire(0), 1);  // only the healthy one
  set.release(1);
  clock.advance(999 * kNanosPerMilli);
  EXPECT_FALSE(set.healthy(0));
  clock.advance(1 * kNanosPerMilli);
  EXPECT_TRUE(set.healthy(0));  // re-admitted after 1 s
  set.record_failure(0);        // fails again at once: out for 2 s this time
  EXPECT_FALSE(set.healthy(0));
  clock.advance(1999 * kNanosPerMilli);
  EXPECT_FALSE(set.healthy(0));
  clock.advance(1 * kNanosPerMilli);
  EXPECT_TRUE(set.healthy(0));
  set.record_success(0);  // a success clears the record
  set.record_failure(0);
  EXPECT_TRUE(set.healthy(0));
  EXPECT_EQ(set.failures_total(0), 5);
  EXPECT_TRUE(set.any_healthy());
}

}  // namespace
}  // namespace accord
