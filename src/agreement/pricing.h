// What a request costs, in integer micro-dollars: tokens × the model's price per million tokens
// × the service tier's multiplier, less the party's (or its tier's) discount. One function, used
// by budgets at admission (with the request's maximum tokens) and by the ledger at completion.
#pragma once

#include <cstdint>

#include "agreement/agreement.h"

namespace accord {

enum class BilledTier : uint8_t { kDefault, kPriority, kFlex };

struct PriceTerms {
  int64_t input_micro_usd_per_mtok = 0;
  int64_t output_micro_usd_per_mtok = 0;
  int64_t multiplier_ppm = 1'000'000;
  int64_t discount_ppm = 0;
};

PriceTerms price_terms(const Agreement& agreement, PartyId party, ModelId model, BilledTier tier);

// Rounded to the nearest micro-dollar (halves up).
int64_t cost_micro_usd(const PriceTerms& terms, int64_t prompt_tokens, int64_t completion_tokens);
// Rounded up: what a budget must hold back for a request of at most these tokens.
int64_t max_cost_micro_usd(const PriceTerms& terms, int64_t prompt_tokens,
                           int64_t completion_tokens);

}  // namespace accord
