#include "agreement/pricing.h"

#include <algorithm>

namespace accord {
namespace {

using Wide = __int128;
constexpr Wide kScale = Wide{1'000'000} * 1'000'000 * 1'000'000;  // per-Mtok × ppm × ppm

Wide scaled_cost(const PriceTerms& t, int64_t prompt, int64_t completion, int64_t cached = 0) {
  cached = std::clamp<int64_t>(cached, 0, prompt);
  const Wide list = Wide{prompt - cached} * t.input_micro_usd_per_mtok +
                    Wide{cached} * t.cached_input_micro_usd_per_mtok +
                    Wide{completion} * t.output_micro_usd_per_mtok;
  return list * t.multiplier_ppm * (1'000'000 - t.discount_ppm);
}

}  // namespace

PriceTerms price_terms(const Agreement& a, PartyId party, ModelId model, BilledTier tier,
                       PoolId pool) {
  const Model& model_terms = a.models[model];
  const Price& price = pool == kNone ? model_terms.price : model_terms.price_on(pool);
  PriceTerms t;
  t.input_micro_usd_per_mtok = price.input_micro_usd_per_mtok;
  t.output_micro_usd_per_mtok = price.output_micro_usd_per_mtok;
  t.cached_input_micro_usd_per_mtok =
      price.cached_input_micro_usd_per_mtok.value_or(price.input_micro_usd_per_mtok);
  t.multiplier_ppm = tier == BilledTier::kPriority ? price.priority_multiplier_ppm
                     : tier == BilledTier::kFlex   ? price.flex_multiplier_ppm
                                                   : 1'000'000;
  const Party& p = a.parties[party];
  if (p.discount_ppm) {
    t.discount_ppm = *p.discount_ppm;
  } else if (const Tier* tier_of = a.tier_of(party); tier_of && tier_of->discount_ppm) {
    t.discount_ppm = *tier_of->discount_ppm;
  }
  return t;
}

int64_t cost_micro_usd(const PriceTerms& terms, int64_t prompt, int64_t completion,
                       int64_t cached) {
  const Wide c = scaled_cost(terms, prompt, completion, cached);
  return static_cast<int64_t>((c + kScale / 2) / kScale);
}

int64_t max_cost_micro_usd(const PriceTerms& terms, int64_t prompt, int64_t completion) {
  const Wide c = scaled_cost(terms, prompt, completion);
  return static_cast<int64_t>((c + kScale - 1) / kScale);
}

}  // namespace accord
