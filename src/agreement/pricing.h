// What a request costs, in integer micro-dollars: tokens × the model's price per million tokens
// (prompt tokens read from a provider's prompt cache at its cached input price)
// × the service tier's multiplier, less the party's (or its tier's) discount. One function, used
// by budgets at admission (with the request's maximum tokens) and by the ledger at completion.
#pragma once

#include <cstdint>

#include "agreement/agreement.h"

namespace accord {

enum class BilledTier : uint8_t { kDefault, kPriority, kFlex };

struct PriceTerms {
  int64_t input_micro_usd_per_mtok = 0;
  int64_t cached_input_micro_usd_per_mtok = 0;  // the input price unless the model sets one
  int64_t output_micro_usd_per_mtok = 0;
  int64_t multiplier_ppm = 1'000'000;
  int64_t discount_ppm = 0;
};

// `pool`: the pool that serves it, whose price for the model applies (kNone: the model's own).
PriceTerms price_terms(const Agreement& agreement, PartyId party, ModelId model, BilledTier tier,
                       PoolId pool = kNone);

// Rounded to the nearest micro-dollar (halves up). `cached_prompt_tokens`, of `prompt_tokens`,
// are billed at the cached input price.
int64_t cost_micro_usd(const PriceTerms& terms, int64_t prompt_tokens, int64_t completion_tokens,
                       int64_t cached_prompt_tokens = 0);
// Rounded up: what a budget must hold back for a request of at most these tokens.
int64_t max_cost_micro_usd(const PriceTerms& terms, int64_t prompt_tokens,
                           int64_t completion_tokens);

}  // namespace accord
