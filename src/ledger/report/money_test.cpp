#include "ledger/report/money.h"

#include <gtest/gtest.h>

#include <numeric>
#include <random>

namespace accord {
namespace {

TEST(Money, NearestRankPercentiles) {
  std::vector<int64_t> v{15, 20, 35, 40, 50};
  EXPECT_EQ(percentile_nearest_rank(v, 30), 20);
  EXPECT_EQ(percentile_nearest_rank(v, 40), 20);
  EXPECT_EQ(percentile_nearest_rank(v, 50), 35);
  EXPECT_EQ(percentile_nearest_rank(v, 100), 50);
  std::vector<int64_t> hundred(100);
  std::iota(hundred.begin(), hundred.end(), 1);
  EXPECT_EQ(percentile_nearest_rank(hundred, 99), 99);
  EXPECT_EQ(percentile_nearest_rank(hundred, 95), 95);
  std::vector<int64_t> empty;
  EXPECT_EQ(percentile_nearest_rank(empty, 99), 0);
}

TEST(Money, AvailabilityAndCreditTiers) {
  Sla sla;
  sla.credits = {{99.9, 10}, {99.0, 25}};
  EXPECT_EQ(availability_ppm(0, 0), 1'000'000);
  EXPECT_EQ(availability_ppm(10'000, 5), 999'500);  // 99.95%
  EXPECT_EQ(credit_ppm(sla, 999'500), 0);
  EXPECT_EQ(availability_ppm(10'000, 10), 999'000);  // exactly 99.9%: not below it
  EXPECT_EQ(credit_ppm(sla, 999'000), 0);
  EXPECT_EQ(credit_ppm(sla, 998'999), 100'000);       // below 99.9: 10%
  EXPECT_EQ(credit_ppm(sla, 985'000), 250'000);       // below 99.0 too: the larger, 25%
  EXPECT_EQ(apply_ppm(1'000'001, 100'000), 100'000);  // 100000.1 → 100000
  EXPECT_EQ(apply_ppm(5, 100'000), 1);                // 0.5 → 1 (halves up)
}

TEST(Money, SplitsAddUpToTheWhole) {
  EXPECT_EQ(split_exactly(100, {800'000, 200'000}), (std::vector<int64_t>{80, 20}));
  EXPECT_EQ(split_exactly(1, {500'000, 500'000}), (std::vector<int64_t>{1, 0}));
  EXPECT_EQ(split_exactly(10, {333'334, 333'333, 333'333}), (std::vector<int64_t>{4, 3, 3}));
  std::mt19937_64 rng(3);
  for (int i = 0; i < 10'000; ++i) {
    const auto amount = static_cast<int64_t>(rng() % 10'000'000'000ULL);
    const auto a = static_cast<int64_t>(rng() % 1'000'001);
    const auto b = static_cast<int64_t>(rng() % (1'000'001 - a));
    const std::vector<int64_t> shares{a, b, 1'000'000 - a - b};
    const auto parts = split_exactly(amount, shares);
    EXPECT_EQ(parts[0] + parts[1] + parts[2], amount);
    for (size_t k = 0; k < 3; ++k) {
      const __int128 exact = static_cast<__int128>(amount) * shares[k];
      const __int128 diff = static_cast<__int128>(parts[k]) * 1'000'000 - exact;
      EXPECT_LT(diff < 0 ? -diff : diff, 1'000'000);
    }
  }
}

}  // namespace
}  // namespace accord
