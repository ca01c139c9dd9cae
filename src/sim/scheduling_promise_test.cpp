// The scheduler's promise with default pool settings (no max_batch, no headroom), checked in the
// simulator on the built-in engine's model: a reservation never makes its holder slower, and
// under compute-bound overload it holds its TTFT target while the rest is shared fairly.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <random>

#include "agreement/loader.h"
#include "sim/simulator.h"

namespace accord {
namespace {

std::shared_ptr<const Agreement> load(const std::string& yaml) {
  auto loaded = load_agreement(yaml, "promise.yaml");
  EXPECT_TRUE(loaded.ok()) << (loaded.ok() ? "" : loaded.messages()[0]);
  return loaded.agreement;
}

const SimPartyResult& party(const SimResult& r, const std::string& name) {
  for (const auto& p : r.parties) {
    if (p.party == name) return p;
  }
  throw std::runtime_error("no party " + name);
}

struct Load {
  std::string party;
  double rate_per_s;
  int prompt_min, prompt_max, output_min, output_max;
  ServiceTier tier = ServiceTier::kDefault;
};

std::vector<Arrival> poisson(const Agreement& a, const std::vector<Load>& loads, double seconds,
                             uint64_t seed) {
  std::vector<Arrival> out;
  std::mt19937_64 rng(seed);
  for (const Load& l : loads) {
    std::exponential_distribution<double> gap(l.rate_per_s);
    std::uniform_int_distribution<int> prompt(l.prompt_min, l.prompt_max);
    std::uniform_int_distribution<int> output(l.output_min, l.output_max);
    double t = gap(rng);
    while (t < seconds) {
      // Like most clients, no max_tokens: the scheduler estimates what it will produce.
      out.push_back(
          {t, *a.find_party(l.party), *a.find_model("m"), prompt(rng), output(rng), 0, l.tier});
      t += gap(rng);
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Arrival& x, const Arrival& y) { return x.time < y.time; });
  return out;
}

// Light load: one 8B pool on 2 × H100, party "a" holding a reservation about its own rate (with
// spillover: a floor), party "b" none, the same Poisson traffic of long prompts. Random loads,
// seeds and reservations. (Without spillover the reservation is a ceiling too and its excess is
// refused: PoolScheduler's tests cover that.)
TEST(SchedulingPromise, AtLightLoadAReservationNeverMakesItsHolderSlower) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 40; ++round) {
    const double rate = std::uniform_real_distribution<double>(0.2, 3.0)(rng);
    const int prompt = std::uniform_int_distribution<int>(500, 6000)(rng);
    const int output = std::uniform_int_distribution<int>(50, 400)(rng);
    const double weighted = rate * (prompt + 3.0 * output);
    const double reserved = weighted * std::uniform_real_distribution<double>(0.5, 1.5)(rng);
    const std::string pool = R"(parties:
  lab: { role: provider }
  a: { role: customer, tier: standard }
  b: { role: customer, tier: standard }
tiers:
  standard: { weight: 1 }
models:
  m: { owner: lab, pool: p, context_window: 131072 }
pools:
  p: { engine: builtin, gpu: h100, gpus: 2, model_params_b: 8 }
)";
    const auto a = load(pool + fmt::format(R"(reservations:
  - {{ party: a, model: m, tokens_per_s: {:.0f}, slo: {{ ttft_p99_ms: 800 }} }}
)",
                                           reserved));
    const auto unreserved = load(pool);
    // b sends what a sends, a moment later (the same sizes, the same gaps).
    auto arrivals =
        poisson(*a, {{"a", rate, prompt / 2, prompt, output / 2, output}}, 120, 100 + round);
    for (size_t i = 0, n = arrivals.size(); i < n; ++i) {
      Arrival copy = arrivals[i];
      copy.party = *a->find_party("b");
      copy.time += 0.0005;
      arrivals.push_back(copy);
    }
    std::stable_sort(arrivals.begin(), arrivals.end(),
                     [](const Arrival& x, const Arrival& y) { return x.time < y.time; });
    const SimResult r = simulate(*a, arrivals, {});
    const SimResult without = simulate(*unreserved, arrivals, {});
    const SimPartyResult& held = party(r, "a");
    SCOPED_TRACE(
        fmt::format("round {}: {:.2f} req/s, prompts ≤ {}, reserved {:.0f} of {:.0f} "
                    "weighted tokens/s",
                    round, rate, prompt, reserved, weighted));
    // The same requests, with and without the reservation: it never makes them slower.
    EXPECT_LE(held.ttft.p50, party(without, "a").ttft.p50 * 1.1 + 1);
    EXPECT_LE(held.ttft.p99, party(without, "a").ttft.p99 * 1.1 + 1);
    // Nor slower than a party without one sending the same.
    EXPECT_LE(held.ttft.p50, party(r, "b").ttft.p50 * 1.1 + 1);
    EXPECT_LE(held.ttft.p99, party(r, "b").ttft.p99 * 1.1 + 1);
    EXPECT_LE(held.ttft.p99, 800);
    EXPECT_EQ(held.served, held.requests);
  }
}

// Compute-bound overload with default settings: a 70B pool on 2 × H100 (the calibrated batch of
// 512 would admit everything). The reserved party sends 80% of its reservation; two shared
// parties of equal weight flood it, one with twice the other's demand; research floods it too.
TEST(SchedulingPromise, UnderOverloadTheReservationHoldsAndTheRestIsSharedFairly) {
  const auto a = load(R"(parties:
  lab: { role: provider }
  gold: { role: customer, tier: standard }
  alpha: { role: customer, tier: standard }
  beta: { role: customer, tier: standard }
  research: { role: internal, tier: research }
tiers:
  standard: { weight: 1 }
  research: { weight: 1, preemptible: true }
models:
  m: { owner: lab, pool: p, context_window: 131072 }
pools:
  p: { engine: builtin, gpu: h100, gpus: 2, tp: 2, model_params_b: 70, max_queue_ms: 5000 }
reservations:
  - { party: gold, model: m, tokens_per_s: 3000, burst_s: 2, slo: { ttft_p99_ms: 800 } }
)");
  // ~203 weighted tokens a request: 80% of 3,000/s is ~11.8 requests/s.
  const auto arrivals = poisson(*a,
                                {{"gold", 11.8, 90, 124, 28, 36},
                                 {"alpha", 60, 90, 124, 28, 36},
                                 {"beta", 30, 90, 124, 28, 36},
                                 {"research", 45, 90, 124, 28, 36}},
                                120, 42);
  const SimResult accord = simulate(*a, arrivals, {});
  SimOptions fcfs_options;
  fcfs_options.fcfs = true;
  const SimResult fcfs = simulate(*a, arrivals, fcfs_options);
  const SimPartyResult& gold = party(accord, "gold");
  EXPECT_GE(static_cast<double>(gold.served), 0.99 * static_cast<double>(gold.requests));
  EXPECT_LE(gold.ttft.p99, 800);
  EXPECT_GT(party(fcfs, "gold").ttft.p99, 800);  // the same capacity in arrival order does not
  EXPECT_GE(accord.jain_shared, 0.98);
  EXPECT_GT(party(accord, "alpha").refused_capacity, 0);  // both really were backlogged
  EXPECT_GT(party(accord, "beta").refused_capacity, 0);
  EXPECT_GE(accord.pools[0].throughput_tokens_per_s, 0.95 * fcfs.pools[0].throughput_tokens_per_s);
}

}  // namespace
}  // namespace accord
