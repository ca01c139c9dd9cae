#include "agreement/loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "agreement/loader_test_util.h"
#include "core/rfc3339.h"

namespace accord {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using namespace loader_test;

TEST(Loader, MinimalAgreementLoadsWithDefaults) {
  const LoadResult r = load_agreement(kMinimal, "a.yaml");
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(r.messages());
  const Agreement& a = *r.agreement;
  EXPECT_EQ(a.parties.size(), 2u);
  EXPECT_EQ(a.models[0].pool, 0);
  EXPECT_EQ(a.models[0].owner, 0);
  EXPECT_EQ(a.ledger.durability, Durability::kBatch);
  EXPECT_EQ(a.server.max_body_bytes, 16 * 1024 * 1024);
  EXPECT_EQ(a.pools[0].output_weight, 3.0);
  // No `available`: every tier may call it from the start; all revenue goes to the owner.
  ASSERT_EQ(a.models[0].available_from.size(), 1u);
  EXPECT_EQ(a.models[0].available_from[0], 0);
  ASSERT_EQ(a.models[0].revenue_share.size(), 1u);
  EXPECT_EQ(a.models[0].revenue_share[0].share_ppm, 1'000'000);
}

TEST(Loader, DemoAgreementIsValid) {
  const LoadResult r = load_agreement_file(ACCORD_SOURCE_DIR "/examples/demo.yaml");
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(r.messages());
  EXPECT_EQ(summarize(*r.agreement),
            "5 parties, 3 tiers, 4 models, 2 pools, 1 reservation, 4 keys");
  const Agreement& a = *r.agreement;
  const Model& m = a.models[*a.find_model("frontier-2")];
  EXPECT_EQ(m.price.input_micro_usd_per_mtok, 2'500'000);
  EXPECT_EQ(m.price.output_micro_usd_per_mtok, 10'000'000);
  EXPECT_EQ(m.available_from[a.tier_by_name.at("standard")], parse_rfc3339("2027-01-15T00:00:00Z"));
  EXPECT_EQ(a.parties[*a.find_party("copilot")].discount_ppm, 150'000);
}

TEST(Loader, MissingRequiredSection) {
  EXPECT_THAT(errors_of("parties: {}\npools: {}\n"),
              ElementsAre("a.yaml:1:1: models: required key missing"));
}

TEST(Loader, UnknownTopLevelKey) {
  EXPECT_THAT(errors_of(std::string(kMinimal) + "billing: {}\n"),
              ElementsAre("a.yaml:10:1: billing: unknown key"));
}

TEST(Loader, APoolsSloHoldsLatencyTargetsOnly) {
  std::string y = kMinimal;
  y.replace(y.find("model_params_b: 8 }"), 19,
            "model_params_b: 8, slo: { ttft_p99_ms: 900, tpot_p99_ms: 50 } }");
  const LoadResult r = load_agreement(y, "a.yaml");
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(r.messages());
  EXPECT_EQ(r.agreement->pools[0].slo.ttft_p99_ms, 900);
  EXPECT_EQ(r.agreement->pools[0].slo.tpot_p99_ms, 50);
  y.replace(y.find("tpot_p99_ms: 50"), 15, "availability: 99");
  EXPECT_THAT(errors_of(y), ElementsAre("a.yaml:9:90: pools.p1.slo.availability: unknown key"));
}

TEST(Loader, UnknownNestedKey) {
  std::string y = kMinimal;
  y.replace(y.find("{ weight: 1 }"), 13, "{ weight: 1, colour: red }");
  EXPECT_THAT(errors_of(y), ElementsAre("a.yaml:5:26: tiers.standard.colour: unknown key"));
}

TEST(Loader, WrongTypeNamesTheKeyAndWhatWasFound) {
  std::string y = kMinimal;
  y.replace(y.find("{ weight: 1 }"), 13, "{ weight: 1, rpm: \"many\" }");
  EXPECT_THAT(errors_of(y),
              ElementsAre("a.yaml:5:31: tiers.standard.rpm: expected an integer, got the string "
                          "'many'"));
}

TEST(Loader, WrongTypeMappingWhereListExpected) {
  EXPECT_THAT(errors_of(std::string(kMinimal) + "keys: { id: x }\n"),
              ElementsAre("a.yaml:10:7: keys: expected a list, got a mapping"));
}

TEST(Loader, DanglingModelPool) {
  std::string y = kMinimal;
  y.replace(y.find("pool: p1"), 8, "pool: p9");
  EXPECT_THAT(errors_of(y), ElementsAre("a.yaml:7:27: models.m1.pool: unknown pool 'p9'"));
}

TEST(Loader, DanglingModelOwner) {
  std::string y = kMinimal;
  y.replace(y.find("owner: lab"), 10, "owner: lbs");
  EXPECT_THAT(errors_of(y), ElementsAre("a.yaml:7:16: models.m1.owner: unknown party 'lbs'"));
}

TEST(Loader, DanglingPartyTier) {
  std::string y = kMinimal;
  y.replace(y.find("tier: standard"), 14, "tier: gold");
  EXPECT_THAT(errors_of(y), ElementsAre("a.yaml:3:33: parties.acme.tier: unknown tier 'gold'"));
}

TEST(Loader, DanglingReservationParty) {
  EXPECT_THAT(errors_of(std::string(kMinimal) +
                        "reservations:\n  - { party: bob, model: m1, tokens_per_s: 10 }\n"),
              ElementsAre("a.yaml:11:14: reservations[0].party: unknown party 'bob'"));
}

TEST(Loader, DanglingReservationModel) {
  EXPECT_THAT(errors_of(std::string(kMinimal) +
                        "reservations:\n  - { party: acme, model: m2, tokens_per_s: 10 }\n"),
              ElementsAre("a.yaml:11:27: reservations[0].model: unknown model 'm2'"));
}

TEST(Loader, DanglingKeyParty) {
  EXPECT_THAT(errors_of(std::string(kMinimal) + "keys:\n  - { id: k1, party: bob, sha256: " +
                        std::string(64, 'a') + " }\n"),
              ElementsAre("a.yaml:11:22: keys[0].party: unknown party 'bob'"));
}

TEST(Loader, DanglingAvailabilityTier) {
  std::string y = kMinimal;
  y.replace(y.find("pool: p1 }"), 10, "pool: p1, available: { gold: 2026-01-01T00:00:00Z } }");
  EXPECT_THAT(errors_of(y),
              ElementsAre("a.yaml:7:44: models.m1.available.gold: unknown tier 'gold'"));
}

TEST(Loader, DanglingExclusiveParty) {
  std::string y = kMinimal;
  y.replace(y.find("pool: p1 }"), 10, "pool: p1, exclusive: { parties: [acme, bob] } }");
  EXPECT_THAT(errors_of(y),
              ElementsAre("a.yaml:7:60: models.m1.exclusive.parties[1]: unknown party 'bob'"));
}

TEST(Loader, RevenueSharesMustSumToOne) {
  std::string y = kMinimal;
  y.replace(y.find("pool: p1 }"), 10, "pool: p1, revenue_share: { lab: 0.7, acme: 0.2 } }");
  EXPECT_THAT(errors_of(y),
              ElementsAre("a.yaml:7:46: models.m1.revenue_share: shares sum to 0.9, not 1"));
}

TEST(Loader, RevenueSharesSumExactlyWithoutFloatingPointError) {
  std::string y = kMinimal;
  y.replace(y.find("pool: p1 }"), 10,
            "pool: p1, revenue_share: { lab: 0.7, acme: 0.2, lbx: 0.1 } }");
  // 0.7 + 0.2 + 0.1 is not 1.0 in binary floating point; in integers it is.
  EXPECT_THAT(errors_of(y),
              ElementsAre("a.yaml:7:69: models.m1.revenue_share.lbx: unknown party 'lbx'"));
  y = kMinimal;
  y.replace(y.find("pool: p1 }"), 10, "pool: p1, revenue_share: { lab: 0.7, acme: 0.3 } }");
  EXPECT_THAT(errors_of(y), IsEmpty());
}

TEST(Loader, BadTimestamp) {
  std::string y = kMinimal;
  y.replace(y.find("pool: p1 }"), 10, "pool: p1, available: { standard: 2026-13-01T00:00:00Z } }");
  EXPECT_THAT(errors_of(y),
              ElementsAre("a.yaml:7:54: models.m1.available.standard: '2026-13-01T00:00:00Z' is "
                          "not an RFC 3339 timestamp (like 2026-11-01T00:00:00Z)"));
}

TEST(Loader, TimestampWithoutZoneIsRejected) {
  std::string y = kMinimal;
  y.replace(y.find("pool: p1 }"), 10,
            "pool: p1, exclusive: { parties: [acme], until: 2027-01-01 } }");
  EXPECT_THAT(errors_of(y),
              ElementsAre("a.yaml:7:68: models.m1.exclusive.until: '2027-01-01' is not an RFC 3339 "
                          "timestamp (like 2026-11-01T00:00:00Z)"));
}

TEST(Loader, DuplicatePartyId) {
  std::string y = kMinimal;
  y.replace(y.find("tiers:"), 6, "  acme: { role: customer }\ntiers:");
  EXPECT_THAT(errors_of(y),
              ElementsAre("a.yaml:4:3: parties.acme: duplicate party 'acme' (first defined at "
                          "line 3)"));
}

TEST(Loader, DuplicateKeyId) {
  const std::string h1(64, 'a');
  const std::string h2(64, 'b');
  EXPECT_THAT(errors_of(std::string(kMinimal) + "keys:\n  - { id: k1, party: acme, sha256: " + h1 +
                        " }\n  - { id: k1, party: acme, sha256: " + h2 + " }\n"),
              ElementsAre("a.yaml:12:11: keys[1].id: duplicate key id 'k1' (also keys[0])"));
}

TEST(Loader, DuplicateKeyHash) {
  const std::string h(64, 'a');
  EXPECT_THAT(errors_of(std::string(kMinimal) + "keys:\n  - { id: k1, party: acme, sha256: " + h +
                        " }\n  - { id: k2, party: lab, sha256: " + h + " }\n"),
              ElementsAre("a.yaml:12:35: keys[1].sha256: duplicate key hash (also keys[0])"));
}

TEST(Loader, MalformedKeyHash) {
  EXPECT_THAT(
      errors_of(std::string(kMinimal) + "keys:\n  - { id: k1, party: acme, sha256: abc }\n"),
      ElementsAre("a.yaml:11:36: keys[0].sha256: expected 64 hex digits (the SHA-256 of "
                  "the key; `accord keys new` prints it)"));
}

TEST(Loader, NegativeReservationRate) {
  EXPECT_THAT(errors_of(std::string(kMinimal) +
                        "reservations:\n  - { party: acme, model: m1, tokens_per_s: -5 }\n"),
              ElementsAre("a.yaml:11:45: reservations[0].tokens_per_s: must not be negative (got "
                          "-5)"));
}

TEST(Loader, NegativeRateLimit) {
  std::string y = kMinimal;
  y.replace(y.find("{ weight: 1 }"), 13, "{ weight: 1, tpm: -1 }");
  EXPECT_THAT(errors_of(y),
              ElementsAre("a.yaml:5:31: tiers.standard.tpm: must not be negative (got -1)"));
}

TEST(Loader, NegativePrice) {
  std::string y = kMinimal;
  y.replace(y.find("pool: p1 }"), 10, "pool: p1, price: { input_per_mtok: -2.5 } }");
  EXPECT_THAT(errors_of(y),
              ElementsAre("a.yaml:7:56: models.m1.price.input_per_mtok: must not be negative"));
}

TEST(Loader, UnknownRole) {
  std::string y = kMinimal;
  y.replace(y.find("role: provider"), 14, "role: owner");
  EXPECT_THAT(errors_of(y),
              ElementsAre("a.yaml:2:16: parties.lab.role: 'owner' is not a role (provider, "
                          "operator, customer, internal)"));
}

TEST(Loader, ModelMustFitItsGpus) {
  std::string y = kMinimal;
  y.replace(y.find("model_params_b: 8"), 17, "model_params_b: 405");
  EXPECT_THAT(errors_of(y),
              ElementsAre("a.yaml:9:43: pools.p1.gpus: a 405B model does not fit in 1 "
                          "× h100 (80 GB each)"));
}

TEST(Loader, TensorParallelMustDivideGpus) {
  std::string y = kMinimal;
  y.replace(y.find("gpus: 1"), 7, "gpus: 3, tp: 2");
  EXPECT_THAT(errors_of(y),
              ElementsAre("a.yaml:9:50: pools.p1.tp: 3 GPUs do not split into replicas of 2"));
}

TEST(Loader, UnknownGpu) {
  std::string y = kMinimal;
  y.replace(y.find("gpu: h100"), 9, "gpu: tpu9");
  EXPECT_THAT(errors_of(y), ElementsAre("a.yaml:9:31: pools.p1.gpu: unknown GPU 'tpu9' (known: "
                                        "a100, b200, h100, h200, l40s)"));
}

TEST(Loader, DiscountOutOfRange) {
  std::string y = kMinimal;
  y.replace(y.find("tier: standard }"), 16, "tier: standard, discount_percent: 120 }");
  EXPECT_THAT(errors_of(y),
              ElementsAre("a.yaml:3:61: parties.acme.discount_percent: must be between 0 and 100"));
}

TEST(Loader, LedgerDurability) {
  EXPECT_THAT(errors_of(std::string(kMinimal) + "ledger: { durability: eventually }\n"),
              ElementsAre("a.yaml:10:23: ledger.durability: 'eventually' is not batch or strict"));
}

TEST(Loader, BusyPolling) {
  const LoadResult unset = load_agreement(kMinimal, "a.yaml");
  ASSERT_TRUE(unset.ok());
  EXPECT_EQ(unset.agreement->server.busy_poll_us, 200);  // on, adaptive, up to 200 µs
  const LoadResult on =
      load_agreement(std::string(kMinimal) + "server: { busy_poll_us: 50 }\n", "a.yaml");
  ASSERT_TRUE(on.ok()) << ::testing::PrintToString(on.messages());
  EXPECT_EQ(on.agreement->server.busy_poll_us, 50);
  const LoadResult off =
      load_agreement(std::string(kMinimal) + "server: { busy_poll_us: 0 }\n", "a.yaml");
  ASSERT_TRUE(off.ok()) << ::testing::PrintToString(off.messages());
  EXPECT_EQ(off.agreement->server.busy_poll_us, 0);
  EXPECT_THAT(errors_of(std::string(kMinimal) + "server: { busy_poll_us: -1 }\n"),
              ElementsAre("a.yaml:10:25: server.busy_poll_us: must be between 0 (off) and 10000"));
  EXPECT_THAT(errors_of(std::string(kMinimal) + "server: { busy_poll_us: 20000 }\n"),
              ElementsAre("a.yaml:10:25: server.busy_poll_us: must be between 0 (off) and 10000"));
}

TEST(Loader, SyntaxErrorHasAPosition) {
  const auto errors = errors_of("parties: { lab: [\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0], ::testing::StartsWith("a.yaml:2:1: YAML syntax error:"));
}

TEST(Loader, ReportsEveryProblemSortedByPosition) {
  std::string y = kMinimal;
  y.replace(y.find("owner: lab"), 10, "owner: lbs");
  y += "reservations:\n  - { party: bob, model: m1, tokens_per_s: -1 }\n";
  EXPECT_THAT(errors_of(y),
              ElementsAre("a.yaml:7:16: models.m1.owner: unknown party 'lbs'",
                          "a.yaml:11:14: reservations[0].party: unknown party 'bob'",
                          "a.yaml:11:44: reservations[0].tokens_per_s: must not be negative (got "
                          "-1)"));
}

}  // namespace
}  // namespace accord

namespace accord {
namespace {

constexpr const char* kFallback = R"(parties:
  lab: { role: provider }
  acme: { role: customer, tier: standard }
  vip: { role: customer, tier: standard }
tiers:
  standard: { weight: 1 }
models:
  m1:
    owner: lab
    pool: owned
    price: { input_per_mtok: 1, output_per_mtok: 2, cached_input_per_mtok: 0.5 }
    served_by:
      paygo: { upstream_model: gpt-x, price: { input_per_mtok: 3, output_per_mtok: 6 } }
pools:
  owned: { upstreams: [ { url: "http://127.0.0.1:9/v1" } ], fallback: [ paygo, spare ] }
  paygo: { upstreams: [ { url: "http://127.0.0.1:10/v1" } ] }
  spare: { engine: builtin }
reservations:
  - { party: acme, model: m1, tokens_per_s: 100, spillover: { to: spare } }
)";

TEST(Loader, FallbacksSpilloverToAndPerPoolTerms) {
  const LoadResult r = load_agreement(kFallback, "a.yaml");
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(r.messages());
  const Agreement& a = *r.agreement;
  const PoolId owned = a.pool_by_name.at("owned"), paygo = a.pool_by_name.at("paygo");
  const PoolId spare = a.pool_by_name.at("spare");
  EXPECT_THAT(a.pools[owned].fallback, ElementsAre(paygo, spare));
  EXPECT_EQ(a.reservations[0].spillover_to, spare);
  EXPECT_TRUE(a.reservations[0].spillover);
  const Model& m = a.models[0];
  EXPECT_EQ(m.upstream_name_on(paygo), "gpt-x");
  EXPECT_EQ(m.upstream_name_on(owned), "");
  EXPECT_EQ(m.price_on(paygo).input_micro_usd_per_mtok, 3'000'000);
  EXPECT_EQ(m.price_on(spare).input_micro_usd_per_mtok, 1'000'000);
  EXPECT_EQ(m.price.cached_input_micro_usd_per_mtok, 500'000);
}

TEST(Loader, FallbackMistakesNameTheKey) {
  std::string y = kFallback;
  y.replace(y.find("fallback: [ paygo, spare ]"), 26, "fallback: [ owned, nowhere ]");
  EXPECT_THAT(errors_of(y),
              ElementsAre("a.yaml:13:7: models.m1.served_by.paygo: no fallback or spillover of "
                          "the model reaches this pool",
                          "a.yaml:15:73: pools.owned.fallback[0]: a pool cannot fall back to "
                          "itself",
                          "a.yaml:15:80: pools.owned.fallback[1]: unknown pool 'nowhere'"));
}

// A fallback pool that knows an exclusive model and another by one name would serve the
// exclusive one to everybody: `accord check` refuses the chain.
TEST(Loader, AFallbackChainCannotServeAnExclusiveModelToOthers) {
  std::string y = kFallback;
  y.insert(y.find("pools:"),
           "  secret: { owner: lab, pool: paygo, upstream_model: gpt-x, exclusive: { parties: "
           "[vip] } }\n");
  const auto errors = errors_of(y);
  ASSERT_EQ(errors.size(), 1u) << ::testing::PrintToString(errors);
  EXPECT_THAT(errors[0],
              ::testing::HasSubstr("pools.owned.fallback: serving model 'm1' on pool 'paygo' would "
                                   "serve the exclusive model 'secret' (the pool knows both as "
                                   "'gpt-x') to parties that do not hold it"));
}

}  // namespace
}  // namespace accord
