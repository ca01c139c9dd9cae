#include "runtime/poll_governor.h"

#include <gtest/gtest.h>

namespace accord {
namespace {

constexpr int64_t kUs = 1'000;
constexpr int64_t kMs = 1'000'000;

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
  PollGovernor g(200 * kUs);
  int64_t now = 1'000 * kMs;
  int64_t cpu = 0;
  ASSERT_TRUE(g.period_over(now));
  g.new_period(now, cpu);
  EXPECT_FALSE(g.period_over(now + PollGovernor::kPeriodNs - 1));
  // A period of 10 ms with 6 ms of work, asleep the rest: no polling in the next.
  now += PollGovernor::kPeriodNs;
  cpu += 6 * kMs;
  g.slept(4 * kMs);
  ASSERT_TRUE(g.period_over(now));
  g.new_period(now, cpu);
  EXPECT_FALSE(g.contended());
  EXPECT_DOUBLE_EQ(g.busy(), 0.6);
  EXPECT_EQ(g.window(), 0);
  g.spell_ended(5 * kMs);  // spells while it does not poll leave the window alone
  g.spell_ended(50 * kUs);
  // 4 ms of work: it polls again, with the window it had.
  now += PollGovernor::kPeriodNs;
  cpu += 4 * kMs;
  g.slept(6 * kMs);
  g.new_period(now, cpu);
  EXPECT_EQ(g.window(), 200 * kUs);
}

TEST(PollGovernor, ALoopThatLostItsCoreDoesNotPoll) {
  PollGovernor g(200 * kUs);
  int64_t now = 0;
  int64_t cpu = 0;
  g.new_period(now, cpu);
  // 3 ms of work, 2 ms asleep: 5 ms it was neither working nor asleep (other threads ran, or a
  // CPU quota throttled it).
  now += PollGovernor::kPeriodNs;
  cpu += 3 * kMs;
  g.slept(2 * kMs);
  g.new_period(now, cpu);
  EXPECT_TRUE(g.contended());
  EXPECT_EQ(g.window(), 0);
  // Polling loses its core too: 1 ms of work, 8 ms polling of which 6.5 on the CPU, 1 ms
  // asleep.
  now += PollGovernor::kPeriodNs;
  cpu += 7'500'000;
  g.polled(8 * kMs);
  g.slept(1 * kMs);
  g.new_period(now, cpu);
  EXPECT_TRUE(g.contended());
  EXPECT_EQ(g.window(), 0);
  // It had its core again: it polls.
  now += PollGovernor::kPeriodNs;
  cpu += 3 * kMs;
  g.slept(7 * kMs);
  g.new_period(now, cpu);
  EXPECT_FALSE(g.contended());
  EXPECT_EQ(g.window(), 200 * kUs);
}

TEST(PollGovernor, PollingIsNotCountedAsWork) {
  PollGovernor g(200 * kUs);
  int64_t now = 0;
  int64_t cpu = 0;
  g.new_period(now, cpu);
  // All 10 ms on the CPU, 7 of them polling: 3 ms of work.
  g.polled(3 * kMs);
  g.polled(4 * kMs);
  now += PollGovernor::kPeriodNs;
  cpu += 10 * kMs;
  g.new_period(now, cpu);
  EXPECT_DOUBLE_EQ(g.busy(), 0.3);
  EXPECT_EQ(g.window(), 200 * kUs);
  // The next period starts its count afresh: 10 ms of work, none of it polling.
  now += PollGovernor::kPeriodNs;
  cpu += 10 * kMs;
  g.new_period(now, cpu);
  EXPECT_DOUBLE_EQ(g.busy(), 1.0);
  EXPECT_EQ(g.window(), 0);
}

TEST(PollGovernor, ALongestOfZeroNeverPolls) {
  PollGovernor g(0);
  EXPECT_EQ(g.window(), 0);
  g.spell_ended(50 * kUs);
  EXPECT_EQ(g.window(), 0);
}

}  // namespace
}  // namespace accord
