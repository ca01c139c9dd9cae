#include "ledger/report/money.h"

#include <algorithm>
#include <numeric>

namespace accord {

int64_t percentile_nearest_rank(std::vector<int64_t>& values, int p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  // rank = ceil(p/100 × n), in integers.
  const size_t n = values.size();
  size_t rank = (static_cast<size_t>(p) * n + 99) / 100;
  rank = std::clamp<size_t>(rank, 1, n);
  return values[rank - 1];
}

int64_t availability_ppm(int64_t eligible, int64_t failed) {
  if (eligible <= 0) return 1'000'000;
  return (eligible - failed) * 1'000'000 / eligible;
}

int64_t credit_ppm(const Sla& sla, int64_t availability) {
  int64_t best = 0;
  for (const SlaCredit& c : sla.credits) {
    // `below` and `percent` are written with at most a few decimals: to ppm exactly enough.
    const auto below = static_cast<int64_t>(c.below_percent * 10'000 + 0.5);
    const auto percent = static_cast<int64_t>(c.credit_percent * 10'000 + 0.5);
    if (availability < below) best = std::max(best, percent);
  }
  return best;
}

int64_t apply_ppm(int64_t amount, int64_t ppm) {
  const __int128 product = static_cast<__int128>(amount) * ppm;
  return static_cast<int64_t>((product + 500'000) / 1'000'000);
}

std::vector<int64_t> split_exactly(int64_t amount, const std::vector<int64_t>& shares) {
  std::vector<int64_t> parts(shares.size());
  std::vector<std::pair<int64_t, size_t>> remainders;
  int64_t given = 0;
  for (size_t i = 0; i < shares.size(); ++i) {
    const __int128 exact = static_cast<__int128>(amount) * shares[i];
    parts[i] = static_cast<int64_t>(exact / 1'000'000);
    remainders.emplace_back(static_cast<int64_t>(exact % 1'000'000), i);
    given += parts[i];
  }
  std::stable_sort(remainders.begin(), remainders.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (size_t k = 0; given < amount && k < remainders.size(); ++k, ++given) {
    ++parts[remainders[k].second];
  }
  return parts;
}

}  // namespace accord
