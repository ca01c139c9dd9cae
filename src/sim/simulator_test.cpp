#include "sim/simulator.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "agreement/loader.h"
#include "core/rfc3339.h"

namespace accord {
namespace {

// One pool of one small replica; "gold" has a reservation, "a" and "b" share the rest.
std::shared_ptr<const Agreement> agreement() {
  const char* yaml = R"(parties:
  lab: { role: provider }
  gold: { role: customer, tier: standard }
  a: { role: customer, tier: standard }
  b: { role: customer, tier: standard }
tiers:
  standard: { weight: 1 }
models:
  m: { owner: lab, pool: p }
pools:
  p: { engine: builtin, gpu: h100, gpus: 1, model_params_b: 8, max_batch: 16 }
reservations:
  - { party: gold, model: m, tokens_per_s: 4000, burst_s: 2, slo: { ttft_p99_ms: 2000 } }
)";
  auto loaded = load_agreement(yaml, "sim.yaml");
  EXPECT_TRUE(loaded.ok()) << (loaded.ok() ? "" : loaded.messages()[0]);
  return loaded.agreement;
}

// Poisson-free, deterministic arrivals: each party at `rate` requests/s for `seconds`.
std::vector<Arrival> steady(const Agreement& a,
                            const std::vector<std::pair<std::string, double>>& rates,
                            double seconds, int prompt, int output) {
  std::vector<Arrival> out;
  for (const auto& [name, rate] : rates) {
    const auto n = static_cast<int>(seconds * rate);
    for (int i = 0; i < n; ++i) {
      out.push_back({i / rate, *a.find_party(name), *a.find_model("m"), prompt, output, 0,
                     ServiceTier::kDefault});
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Arrival& x, const Arrival& y) { return x.time < y.time; });
  return out;
}

const SimPartyResult& party(const SimResult& r, const std::string& name) {
  for (const auto& p : r.parties) {
    if (p.party == name) return p;
  }
  throw std::runtime_error("no party " + name);
}

TEST(Simulator, EveryRequestEndsOnceAndRunsAreDeterministic) {
  const auto a = agreement();
  const auto arrivals = steady(*a, {{"gold", 5}, {"a", 20}, {"b", 20}}, 30, 400, 200);
  const SimResult r1 = simulate(*a, arrivals, {});
  const SimResult r2 = simulate(*a, arrivals, {});
  int64_t total = 0;
  for (const auto& p : r1.parties) {
    EXPECT_EQ(p.requests, p.served + p.refused_limit + p.refused_capacity + p.preempted) << p.party;
    total += p.requests;
  }
  EXPECT_EQ(total, static_cast<int64_t>(arrivals.size()));
  EXPECT_EQ(r1.requests, r2.requests);
  for (size_t i = 0; i < r1.parties.size(); ++i) {
    EXPECT_EQ(r1.parties[i].served, r2.parties[i].served);
    EXPECT_EQ(r1.parties[i].ttft.p99, r2.parties[i].ttft.p99);
  }
}

TEST(Simulator, UnderOverloadTheReservationHoldsAndTheRestIsSharedFairly) {
  const auto a = agreement();
  // gold asks for about its reservation (5 × (400 + 3×200) = 5000 weighted tokens/s, reserved
  // 4000 with spill-over); a and b push the pool far past its capacity.
  const auto arrivals = steady(*a, {{"gold", 4}, {"a", 40}, {"b", 40}}, 60, 400, 200);
  const SimResult accord = simulate(*a, arrivals, {});
  SimOptions fcfs_options;
  fcfs_options.fcfs = true;
  const SimResult fcfs = simulate(*a, arrivals, fcfs_options);
  const SimPartyResult& gold = party(accord, "gold");
  EXPECT_GE(gold.served_tokens_per_s, 0.95 * 4 * (400 + 3 * 200));
  EXPECT_LE(gold.ttft.p99, 2000);
  EXPECT_GT(gold.attainment, 0.99);
  // First come first served gives gold no such promise.
  EXPECT_GT(party(fcfs, "gold").ttft.p99, gold.ttft.p99 * 2);
  // The two shared parties, equally weighted and equally backlogged, get the same.
  EXPECT_NEAR(party(accord, "a").served_weighted / party(accord, "b").served_weighted, 1.0, 0.05);
  EXPECT_GT(accord.jain_shared, 0.99);
  ASSERT_EQ(accord.pools.size(), 1u);
  EXPECT_GT(accord.pools[0].utilisation, 0.5);
  EXPECT_FALSE(accord.series.served.empty());
}

// The gateway's fallback, in virtual time: what the model's pool cannot start in time its fallback
// pool serves, so the same overload is served where it was refused; every request still ends once.
TEST(Simulator, AFullPoolsFallbackServesWhatItCannotStart) {
  auto with_fallback = [](bool fallback) {
    std::string yaml = R"(parties:
  lab: { role: provider }
  a: { role: customer, tier: standard }
  b: { role: customer, tier: standard }
tiers:
  standard: { weight: 1 }
models:
  m: { owner: lab, pool: p }
pools:
  p: { engine: builtin, gpu: h100, gpus: 1, model_params_b: 8, max_batch: 16,
       slo: { ttft_p99_ms: 1000 }FALLBACK }
  spare: { engine: builtin, gpu: h100, gpus: 2, model_params_b: 8 }
)";
    yaml.replace(yaml.find("FALLBACK"), 8, fallback ? ", fallback: [ spare ]" : "");
    auto loaded = load_agreement(yaml, "sim.yaml");
    EXPECT_TRUE(loaded.ok()) << (loaded.ok() ? "" : loaded.messages()[0]);
    return loaded.agreement;
  };
  const auto alone = with_fallback(false);
  const auto chained = with_fallback(true);
  const auto arrivals = steady(*alone, {{"a", 40}, {"b", 40}}, 30, 400, 200);
  const SimResult r_alone = simulate(*alone, arrivals, {});
  const SimResult r_chained = simulate(*chained, arrivals, {});
  int64_t refused_alone = 0, refused_chained = 0, served_chained = 0, fell_back = 0;
  for (const auto& p : r_alone.parties) refused_alone += p.refused_capacity;
  for (const auto& p : r_chained.parties) {
    EXPECT_EQ(p.requests, p.served + p.refused_limit + p.refused_capacity + p.preempted) << p.party;
    refused_chained += p.refused_capacity;
    served_chained += p.served;
    fell_back += p.fell_back;
  }
  ASSERT_GT(refused_alone, 0) << "the pool alone is overloaded";
  EXPECT_GT(fell_back, 0);
  EXPECT_LT(refused_chained, refused_alone / 4);
  ASSERT_EQ(r_chained.pools.size(), 2u);
  EXPECT_GT(r_chained.pools[1].served, 0) << "the spare pool served the overflow";
}

std::string write_temp(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() / name;
  std::ofstream(path) << text;
  return path.string();
}

TEST(Traffic, ATraceIsReadAndSpreadOverTheCustomers) {
  const auto a = agreement();
  const std::string path = write_temp("accord-trace.csv",
                                      "TIMESTAMP,ContextTokens,GeneratedTokens\n"
                                      "2023-11-16 18:15:46.5,374,44\n"
                                      "2023-11-16 18:15:47.0,396,109\n"
                                      "2023-11-16 18:15:48.5,10,0\n");
  TraceOptions o;
  o.rate_scale = 2;
  const auto arrivals = load_trace(path, *a, o);
  ASSERT_TRUE(arrivals.ok()) << arrivals.error().message;
  ASSERT_EQ(arrivals.value().size(), 3u);
  EXPECT_DOUBLE_EQ(arrivals.value()[1].time, 0.25);  // 0.5 s apart, at twice the rate
  EXPECT_DOUBLE_EQ(arrivals.value()[2].time, 1.0);
  EXPECT_EQ(arrivals.value()[0].prompt_tokens, 374);
  EXPECT_EQ(arrivals.value()[2].output_tokens, 1);  // at least one token
  // Round-robin over the customers.
  EXPECT_NE(arrivals.value()[0].party, arrivals.value()[1].party);
}

TEST(Traffic, ATraceErrorNamesFileAndLine) {
  const auto a = agreement();
  const std::string path = write_temp("accord-bad-trace.csv",
                                      "TIMESTAMP,ContextTokens,GeneratedTokens,party\n"
                                      "1.0,10,10,gold\n"
                                      "2.0,10,10,nobody\n");
  const auto arrivals = load_trace(path, *a, {});
  ASSERT_FALSE(arrivals.ok());
  EXPECT_EQ(arrivals.error().message, path + ":3: no party 'nobody' in the agreement");
}

// Found by fuzz/trace_fuzz: a traffic file that is not a map, or holds a value of the wrong type,
// made yaml-cpp throw through the reader.
TEST(Traffic, AMalformedTrafficFileIsAnError) {
  const auto a = agreement();
  for (const char* text :
       {"just a scalar\n", "parties: { a: 5 }\n", "parties: { a: { rate_per_s: [1] } }\n",
        "parties: { a: { rate_per_s: .nan } }\n", "duration_s: .inf\nparties: { a: {} }\n",
        "parties: { a: { rate_per_s: 1e12 } }\n",
        "parties: { a: { rate_per_s: 1, daily_cycle: 3 } }\n",
        "parties: { a: { rate_per_s: 1, prompt_tokens: { mean: .nan } } }\n"}) {
    const std::string path = write_temp("accord-bad-traffic.yaml", text);
    const auto arrivals = load_traffic(path, *a, 0, 1, 0);
    ASSERT_FALSE(arrivals.ok()) << text;
    EXPECT_EQ(arrivals.error().message.rfind(path + ":", 0), 0u) << arrivals.error().message;
  }
}

TEST(Traffic, ATraceRefusesNonFiniteTimesAndHugeTokenCounts) {
  const auto a = agreement();
  for (const char* row : {"nan,1,1\n", "inf,1,1\n", "1.0,99999999999,1\n", "1.0,1,4294967297\n"}) {
    const std::string path = write_temp(
        "accord-bad-trace.csv", std::string("TIMESTAMP,ContextTokens,GeneratedTokens\n") + row);
    const auto arrivals = load_trace(path, *a, {});
    ASSERT_FALSE(arrivals.ok()) << row;
    EXPECT_EQ(arrivals.error().message.rfind(path + ":2: ", 0), 0u) << arrivals.error().message;
  }
}

TEST(Traffic, MaxTokensIsReadFromATraceAndATrafficFileAndCapsTheOutput) {
  const auto a = agreement();
  const std::string trace = write_temp("accord-trace-max.csv",
                                       "TIMESTAMP,ContextTokens,GeneratedTokens,max_tokens\n"
                                       "0,100,300,200\n"
                                       "1,100,50,\n");
  const auto rows = load_trace(trace, *a, {});
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  EXPECT_EQ(rows.value()[0].max_tokens, 200);
  EXPECT_EQ(rows.value()[0].output_tokens, 200);  // capped at what it asked for
  EXPECT_EQ(rows.value()[1].max_tokens, 0);       // empty: it sent none
  EXPECT_EQ(rows.value()[1].output_tokens, 50);
  const std::string bad = write_temp("accord-trace-bad.csv",
                                     "TIMESTAMP,ContextTokens,GeneratedTokens,max_tokens\n"
                                     "0,100,300,zero\n");
  EXPECT_EQ(load_trace(bad, *a, {}).error().message,
            bad + ":2: max_tokens must be empty or an integer from 1 to 10000000");
  const std::string traffic =
      write_temp("accord-traffic-max.yaml",
                 "duration_s: 10\n"
                 "parties:\n"
                 "  a: { rate_per_s: 10, output_tokens: 300, max_tokens: 100 }\n"
                 "  b: { rate_per_s: 10, output_tokens: 300, max_tokens: none }\n");
  const auto arrivals = load_traffic(traffic, *a, 0, 7, 0);
  ASSERT_TRUE(arrivals.ok()) << arrivals.error().message;
  for (const Arrival& r : arrivals.value()) {
    const bool capped = r.party == *a->find_party("a");
    EXPECT_EQ(r.max_tokens, capped ? 100 : 0);
    EXPECT_EQ(r.output_tokens, capped ? 100 : 300);
  }
}

TEST(Traffic, APoissonPartyArrivesAtItsRate) {
  const auto a = agreement();
  const std::string path =
      write_temp("accord-traffic.yaml",
                 "duration_s: 1000\n"
                 "parties:\n"
                 "  a: { rate_per_s: 10, prompt_tokens: { mean: 300 },\n"
                 "       output_tokens: { distribution: constant, mean: 50 } }\n"
                 "  b: { rate_per_s: 5, arrivals: bursty, burst_factor: 4 }\n");
  const auto arrivals = load_traffic(path, *a, 0, 7, 0);
  ASSERT_TRUE(arrivals.ok()) << arrivals.error().message;
  int64_t na = 0, nb = 0;
  double prompt = 0;
  for (const Arrival& r : arrivals.value()) {
    if (r.party == *a->find_party("a")) {
      ++na;
      prompt += r.prompt_tokens;
      EXPECT_EQ(r.output_tokens, 50);
    } else {
      ++nb;
    }
  }
  // 10,000 and 5,000 expected; five standard deviations either way.
  EXPECT_NEAR(static_cast<double>(na), 10'000, 500);
  EXPECT_NEAR(static_cast<double>(nb), 5'000, 360);
  EXPECT_NEAR(prompt / static_cast<double>(na), 300, 15);
}

}  // namespace
}  // namespace accord
