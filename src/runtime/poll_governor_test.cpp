#include "runtime/poll_governor.h"

#include <gtest/gtest.h>

namespace accord {
namespace {

constexpr int64_t kUs = 1'000;
constexpr int64_t kMs = 1'000'000;

// A governor (longest poll 200 µs) driven through periods of 10 ms in virtual time.
struct Periods {
  explicit Periods(int64_t start_ns = 0) : now(start_ns) {}
  void begin() { g.new_period(now, cpu); }
  // Ends a period in which the loop used `cpu_ns` of CPU (its polling included), polled for
  // `polled_ns` more and slept `slept_ns`.
  void end(int64_t cpu_ns, int64_t slept_ns, int64_t polled_ns = 0) {
    g.polled(polled_ns);
    g.slept(slept_ns);
    now += PollGovernor::kPeriodNs;
    cpu += cpu_ns;
    ASSERT_TRUE(g.period_over(now));
    g.new_period(now, cpu);
  }
  PollGovernor g{200 * kUs};
  int64_t now;
  int64_t cpu = 0;
};

TEST(PollGovernor, StartsAtTheLongestAndKeepsItWhileThePollsPay) {
  PollGovernor g(200 * kUs);
  EXPECT_EQ(g.window(), 200 * kUs);
  for (int i = 0; i < 100; ++i) g.spell_ended(30 * kUs);  // an event within the window
  EXPECT_EQ(g.window(), 200 * kUs);
  g.spell_ended(200 * kUs);  // at the window's end still counts
  EXPECT_EQ(g.window(), 200 * kUs);
}

TEST(PollGovernor, GapsLongerThanTheLongestHalveItDownToNothing) {
  PollGovernor g(200 * kUs);
  const int64_t halves[] = {100 * kUs, 50 * kUs, 25 * kUs, 12'500, 0, 0};
  for (int64_t want : halves) {
    g.spell_ended(5 * kMs);  // sparse traffic: the poll ran out and the loop slept on
    EXPECT_EQ(g.window(), want);
  }
}

TEST(PollGovernor, GapsTheLongestWouldCoverGrowItBackFromTenMicroseconds) {
  PollGovernor g(200 * kUs);
  for (int i = 0; i < 5; ++i) g.spell_ended(5 * kMs);
  ASSERT_EQ(g.window(), 0);
  // Slept through a gap of 80 µs (its wake-up included): a poll would have caught it.
  const int64_t grows[] = {10 * kUs, 20 * kUs, 40 * kUs, 80 * kUs, 80 * kUs};
  for (int64_t want : grows) {
    g.spell_ended(80 * kUs);
    EXPECT_EQ(g.window(), want);
  }
  g.spell_ended(150 * kUs);
  EXPECT_EQ(g.window(), 160 * kUs);
  g.spell_ended(170 * kUs);
  EXPECT_EQ(g.window(), 200 * kUs);  // not past the longest
}

TEST(PollGovernor, ALoopAtLeastHalfBusyDoesNotPoll) {
  Periods p(1'000 * kMs);
  ASSERT_TRUE(p.g.period_over(p.now));
  p.begin();
  EXPECT_FALSE(p.g.period_over(p.now + PollGovernor::kPeriodNs - 1));
  // A period of 10 ms with 6 ms of work, asleep the rest: no polling in the next.
  p.end(6 * kMs, 4 * kMs);
  EXPECT_FALSE(p.g.contended());
  EXPECT_DOUBLE_EQ(p.g.busy(), 0.6);
  EXPECT_EQ(p.g.window(), 0);
  p.g.spell_ended(5 * kMs);  // spells while it does not poll leave the window alone
  p.g.spell_ended(50 * kUs);
  // 4 ms of work: it polls again, with the window it had.
  p.end(4 * kMs, 6 * kMs);
  EXPECT_EQ(p.g.window(), 200 * kUs);
}

TEST(PollGovernor, ALoopThatLostItsCoreDoesNotPoll) {
  Periods p;
  p.begin();
  // 3 ms of work, 2 ms asleep: 5 ms it was neither working nor asleep (other threads ran, or a
  // CPU quota throttled it).
  p.end(3 * kMs, 2 * kMs);
  EXPECT_TRUE(p.g.contended());
  EXPECT_EQ(p.g.window(), 0);
  // Polling loses its core too: 1 ms of work, 8 ms polling of which 6.5 on the CPU, 1 ms
  // asleep.
  p.end(7'500'000, 1 * kMs, 8 * kMs);
  EXPECT_TRUE(p.g.contended());
  EXPECT_EQ(p.g.window(), 0);
  // It had its core again: it polls.
  p.end(3 * kMs, 7 * kMs);
  EXPECT_FALSE(p.g.contended());
  EXPECT_EQ(p.g.window(), 200 * kUs);
}

TEST(PollGovernor, PollingIsNotCountedAsWork) {
  Periods p;
  p.begin();
  // All 10 ms on the CPU, 7 of them polling (two spells): 3 ms of work.
  p.g.polled(3 * kMs);
  p.end(10 * kMs, 0, 4 * kMs);
  EXPECT_DOUBLE_EQ(p.g.busy(), 0.3);
  EXPECT_EQ(p.g.window(), 200 * kUs);
  // The next period starts its count afresh: 10 ms of work, none of it polling.
  p.end(10 * kMs, 0);
  EXPECT_DOUBLE_EQ(p.g.busy(), 1.0);
  EXPECT_EQ(p.g.window(), 0);
}

TEST(PollGovernor, ALongestOfZeroNeverPolls) {
  PollGovernor g(0);
  EXPECT_EQ(g.window(), 0);
  g.spell_ended(50 * kUs);
  EXPECT_EQ(g.window(), 0);
}

}  // namespace
}  // namespace accord
