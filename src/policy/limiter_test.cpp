#include "policy/limiter.h"

#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "agreement/loader.h"
#include "agreement/pricing.h"

namespace accord {
namespace {

constexpr const char* kAgreement = R"(parties:
  lab: { role: provider }
  acme: { role: customer, tier: standard, rpm: 5 }
  beta: { role: customer, tier: standard }
tiers:
  standard: { rpm: 10, tpm: 1000, max_concurrent: 2, budget_usd_per_month: 1 }
models:
  m: { owner: lab, pool: p, price: { input_per_mtok: 1000, output_per_mtok: 2000 } }
pools:
  p: { engine: builtin }
limits:
  - { party: beta, model: m, rpm: 3 }
keys:
  - { id: acme-k, party: acme, sha256: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", tpm: 500 }
  - { id: beta-k, party: beta, sha256: "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" }
)";

std::shared_ptr<const Agreement> agreement() {
  static auto a = load_agreement(kAgreement, "a.yaml").agreement;
  return a;
}

LimitRequest req(size_t key, PartyId party, int64_t tokens, MonoNanos now = 0) {
  LimitRequest r;
  r.key_index = key;
  r.party = party;
  r.model = 0;
  r.estimated_tokens = tokens;
  r.max_cost_micro_usd = 0;
  r.now = now;
  r.wall_now = 1'790'000'000'000;
  return r;
}

TEST(Limiter, APartysOwnLimitReplacesItsTiersDefault) {
  const LimitState state(*agreement(), nullptr);
  const PartyId acme = *agreement()->find_party("acme");
  int admitted = 0;
  for (int i = 0; i < 20; ++i) {
    auto lease = admit_limits(state, req(0, acme, 10), nullptr);
    if (lease.ok()) {
      ++admitted;
      lease->complete(10, 0, 0, 0);
    }
  }
  EXPECT_EQ(admitted, 5);  // the party's 5, not the tier's 10
}

TEST(Limiter, TheTightestScopeRefusesAndIsNamed) {
  const LimitState state(*agreement(), nullptr);
  const PartyId beta = *agreement()->find_party("beta");
  for (int i = 0; i < 3; ++i) {
    auto lease = admit_limits(state, req(1, beta, 10), nullptr);
    ASSERT_TRUE(lease.ok());
    lease->complete(10, 0, 0, 0);
  }
  auto refused = admit_limits(state, req(1, beta, 10), nullptr);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::kRateLimited);
  EXPECT_NE(refused.error().message.find("requests per minute (RPM) on party 'beta' on model 'm'"),
            std::string::npos)
      << refused.error().message;
  EXPECT_EQ(refused.error().retry_after_ms, 20'000);
}

TEST(Limiter, TokensAreReconciledAndADroppedLeaseGivesThemBack) {
  const LimitState state(*agreement(), nullptr);
  const PartyId acme = *agreement()->find_party("acme");
  RateLimitHeaders h;
  {
    auto lease = admit_limits(state, req(0, acme, 400), &h);  // key tpm 500
    ASSERT_TRUE(lease.ok());
    ASSERT_TRUE(h.tokens.has_value());
    EXPECT_EQ(h.tokens_limit, 500);
    EXPECT_EQ(h.tokens->remaining, 100);
    EXPECT_FALSE(admit_limits(state, req(0, acme, 200), nullptr).ok());
    lease->complete(100, 0, 0, 0);  // used 100 of 400
  }
  auto second = admit_limits(state, req(0, acme, 350), nullptr);
  ASSERT_TRUE(second.ok());
  { LimitLease dropped = std::move(second.value()); }  // failed request: all 350 back
  EXPECT_TRUE(admit_limits(state, req(0, acme, 390), nullptr).ok());
}

TEST(Limiter, ConcurrencyIsHeldUntilCompletion) {
  const LimitState state(*agreement(), nullptr);
  const PartyId beta = *agreement()->find_party("beta");
  auto a = admit_limits(state, req(1, beta, 1), nullptr);
  auto b = admit_limits(state, req(1, beta, 1), nullptr);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  auto c = admit_limits(state, req(1, beta, 1), nullptr);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("Concurrency limit"), std::string::npos);
  a->complete(1, 0, 0, 0);
  EXPECT_TRUE(admit_limits(state, req(1, beta, 1), nullptr).ok());
}

TEST(Limiter, CountersSurviveAReloadWhenTheLimitsAreTheSame) {
  const LimitState first(*agreement(), nullptr);
  const PartyId acme = *agreement()->find_party("acme");
  for (int i = 0; i < 5; ++i) {
    auto lease = admit_limits(first, req(0, acme, 1), nullptr);
    ASSERT_TRUE(lease.ok());
  }
  const LimitState second(*agreement(), &first);
  EXPECT_EQ(second.party(acme), first.party(acme));
  EXPECT_FALSE(admit_limits(second, req(0, acme, 1), nullptr).ok());  // still spent
}

// Many threads spend from one budget at once, each holding its maximum cost and settling a
// random real cost: committed spend never passes the budget, and requests that could overrun
// are refused up front.
TEST(Budget, NeverOverrunUnderConcurrency) {
  SpendBudget budget(1'000'000);  // $1
  const UnixMillis now = 1'790'000'000'000;
  std::atomic<int64_t> admitted{0}, refused{0};
  std::vector<std::thread> threads;
  threads.reserve(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      std::mt19937 rng(static_cast<unsigned>(i));
      for (int k = 0; k < 5000; ++k) {
        const int64_t max_cost = 1 + static_cast<int64_t>(rng() % 900);
        if (!budget.try_hold(now, max_cost, nullptr)) {
          refused.fetch_add(1);
          continue;
        }
        admitted.fetch_add(1);
        EXPECT_LE(budget.spent(now) + budget.held(now), 1'000'000);
        budget.settle(now, max_cost, static_cast<int64_t>(rng() % (max_cost + 1)));
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_LE(budget.spent(now), 1'000'000);
  EXPECT_EQ(budget.held(now), 0);
  EXPECT_GT(admitted.load(), 0);
  EXPECT_GT(refused.load(), 0);
  // A new month starts from zero.
  EXPECT_EQ(budget.spent(now + 40LL * 24 * 3600 * 1000), 0);
}

TEST(Limiter, BudgetRefusalNamesTheBudget) {
  const LimitState state(*agreement(), nullptr);
  const PartyId beta = *agreement()->find_party("beta");
  LimitRequest r = req(1, beta, 1);
  r.max_cost_micro_usd = 2'000'000;  // $2 against the tier's $1
  auto refused = admit_limits(state, r, nullptr);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::kBudgetExceeded);
  EXPECT_NE(refused.error().message.find("monthly budget of $1 for party 'beta'"),
            std::string::npos)
      << refused.error().message;
}

TEST(Limiter, ResetDurationsLookLikeOpenAis) {
  EXPECT_EQ(format_reset(20 * kNanosPerMilli), "20ms");
  EXPECT_EQ(format_reset(kNanosPerSecond), "1s");
  EXPECT_EQ(format_reset(360 * kNanosPerSecond), "6m0s");
  EXPECT_EQ(format_reset(3723 * kNanosPerSecond + 500 * kNanosPerMilli), "1h2m3.5s");
  EXPECT_EQ(format_reset(1020 * kNanosPerMilli), "1.02s");
  EXPECT_EQ(format_reset(0), "0s");
  EXPECT_EQ(format_reset(1), "1ms");
}

TEST(Pricing, ExactIntegerCostsWithMultipliersAndDiscounts) {
  const auto a = load_agreement_file(ACCORD_SOURCE_DIR "/examples/demo.yaml").agreement;
  const ModelId frontier = *a->find_model("frontier-2");
  const PartyId copilot = *a->find_party("copilot");  // 15% off
  const PartyId research = *a->find_party("research");
  // 1,000 in × $2.50/M + 500 out × $10/M = $0.0075 → 7,500 µ$, less 15% = 6,375.
  EXPECT_EQ(cost_micro_usd(price_terms(*a, copilot, frontier, BilledTier::kDefault), 1000, 500),
            6375);
  EXPECT_EQ(cost_micro_usd(price_terms(*a, copilot, frontier, BilledTier::kPriority), 1000, 500),
            12750);
  EXPECT_EQ(cost_micro_usd(price_terms(*a, research, frontier, BilledTier::kFlex), 1000, 500),
            3750);
  // Cached prompt tokens at the cached input price (the input price when the model sets none).
  PriceTerms cached = price_terms(*a, research, frontier, BilledTier::kDefault);
  EXPECT_EQ(cached.cached_input_micro_usd_per_mtok, cached.input_micro_usd_per_mtok);
  cached.cached_input_micro_usd_per_mtok = 1'250'000;
  // 600 × $2.50/M + 400 × $1.25/M + 500 × $10/M = 1,500 + 500 + 5,000 µ$.
  EXPECT_EQ(cost_micro_usd(cached, 1000, 500, 400), 7000);
  EXPECT_EQ(cost_micro_usd(cached, 1000, 500, 5000), 6250);  // at most all of the prompt
  // Rounding: 1 token at $2.50/M is 2.5 µ$: rounded to 3, held back as 3.
  const PriceTerms t = price_terms(*a, research, frontier, BilledTier::kDefault);
  EXPECT_EQ(cost_micro_usd(t, 1, 0), 3);
  EXPECT_EQ(max_cost_micro_usd(t, 1, 0), 3);
  EXPECT_EQ(cost_micro_usd(t, 3, 0), 8);  // 7.5 → 8
  EXPECT_EQ(max_cost_micro_usd(t, 0, 0), 0);
}

}  // namespace
}  // namespace accord
