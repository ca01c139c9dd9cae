#include "policy/gcra.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace accord {
namespace {

constexpr MonoNanos kMinute = 60 * kNanosPerSecond;

TEST(Gcra, BurstThenSteadyRate) {
  Gcra g(10, kMinute);
  const MonoNanos t0 = 1'000 * kNanosPerSecond;
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(g.try_take(t0, 1).allowed) << i;
  const auto refused = g.try_take(t0, 1);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, 6 * kNanosPerSecond);  // one unit refills every 6 s
  EXPECT_EQ(refused.remaining, 0);
  EXPECT_FALSE(g.try_take(t0 + 6 * kNanosPerSecond - 1, 1).allowed);
  EXPECT_TRUE(g.try_take(t0 + 6 * kNanosPerSecond, 1).allowed);
}

TEST(Gcra, TokensWithCostsAndGiveBack) {
  Gcra g(1000, kMinute);
  EXPECT_TRUE(g.try_take(0, 800).allowed);
  EXPECT_FALSE(g.try_take(0, 300).allowed);
  g.give_back(0, 500);  // the request used only 300 of its 800
  const auto d = g.try_take(0, 300);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.remaining, 400);
  EXPECT_FALSE(g.try_take(0, 2000).allowed);  // more than the whole burst: never
}

TEST(Gcra, ResetIsTheTimeUntilFull) {
  Gcra g(60, kMinute);
  g.try_take(0, 30);
  const auto d = g.peek(0);
  EXPECT_EQ(d.remaining, 30);
  EXPECT_EQ(d.reset_after, 30 * kNanosPerSecond);
}

// 16 threads hammer one limit of N per minute for a minute of virtual time: exactly the burst
// plus one minute's refill is admitted, however the threads interleave. Time moves only after
// every thread has tried again, so no thread is ever far behind.
TEST(Gcra, SixteenClientsForAMinuteAdmitExactlyLimitPlusBurst) {
  constexpr int kClients = 16;
  for (const int64_t limit : {60, 100, 7, 1000}) {
    Gcra g(limit, kMinute);
    std::atomic<MonoNanos> now{0};
    std::atomic<int64_t> admitted{0};
    std::atomic<int64_t> rounds[kClients] = {};
    std::atomic<bool> stop{false};
    std::vector<std::thread> clients;
    clients.reserve(kClients);
    for (int i = 0; i < kClients; ++i) {
      clients.emplace_back([&, i] {
        while (!stop.load()) {
          if (g.try_take(now.load(), 1).allowed) admitted.fetch_add(1);
          rounds[i].fetch_add(1);
        }
      });
    }
    auto wait_for_everyone = [&] {
      int64_t seen[kClients];
      for (int i = 0; i < kClients; ++i) seen[i] = rounds[i].load();
      for (int i = 0; i < kClients; ++i) {
        while (rounds[i].load() < seen[i] + 2) std::this_thread::yield();
      }
    };
    wait_for_everyone();  // every client has hammered at t = 0
    EXPECT_EQ(admitted.load(), limit);
    for (MonoNanos t = 0; t < kMinute;) {
      t = std::min(kMinute, t + 900 * kNanosPerMilli + (t / kNanosPerMilli % 7) * 31'000'000);
      now.store(t);
      wait_for_everyone();
    }
    stop.store(true);
    for (auto& c : clients) c.join();
    EXPECT_EQ(admitted.load(), 2 * limit) << "limit " << limit;
    EXPECT_FALSE(g.try_take(kMinute, 1).allowed);
  }
}

}  // namespace
}  // namespace accord
