#include "policy/request_terms.h"

#include <algorithm>

namespace accord {

ServedTier served_tier(const Agreement& a, PartyId party, ServiceTier asked) {
  const Tier* tier = a.tier_of(party);
  const bool may_prioritise = a.parties[party].priority.value_or(tier != nullptr && tier->priority);
  if (asked == ServiceTier::kPriority && may_prioritise) {
    return {ServiceTier::kPriority, BilledTier::kPriority};
  }
  if (asked == ServiceTier::kFlex) return {ServiceTier::kFlex, BilledTier::kFlex};
  return {};
}

int64_t max_output_tokens(const Model& model, std::optional<int64_t> max_tokens,
                          int64_t prompt_tokens) {
  if (max_tokens) return *max_tokens;
  if (model.max_output_tokens) return *model.max_output_tokens;
  return std::max<int64_t>(1, model.context_window - prompt_tokens);
}

LimitRequest limit_request(const Agreement& a, PartyId party, ModelId model, BilledTier billed,
                           int64_t prompt_upper_bound, int64_t max_output_total) {
  LimitRequest r;
  r.party = party;
  r.model = model;
  r.estimated_tokens = prompt_upper_bound + max_output_total;
  r.max_cost_micro_usd = max_cost_micro_usd(price_terms(a, party, model, billed),
                                            prompt_upper_bound, max_output_total);
  return r;
}

void describe_ticket(Ticket& t, const Agreement& a, PartyId party, ModelId model,
                     const ServedTier& served, int64_t prompt_tokens, int64_t max_output,
                     int choices) {
  const Tier* tier = a.tier_of(party);
  t.party = party;
  t.model = model;
  t.prompt_tokens = prompt_tokens;
  t.max_output_tokens = max_output;
  t.output_weight = a.pools[a.models[model].pool].output_weight;
  t.slots = choices;
  t.priority = served.service_tier == ServiceTier::kPriority;
  t.flex = served.service_tier == ServiceTier::kFlex;
  t.preemptible = t.flex || (tier != nullptr && tier->preemptible);
}

std::vector<PoolId> fallback_pools(const Agreement& a, PartyId party, ModelId model,
                                   bool within_reservation) {
  const PoolId own = a.models[model].pool;
  std::vector<PoolId> chain;
  for (const Reservation& r : a.reservations) {
    if (r.party != party || r.model != model) continue;
    if (!r.spillover) return chain;  // the reservation is a ceiling
    if (r.spillover_to != kNone && !within_reservation) chain.push_back(r.spillover_to);
  }
  for (const PoolId p : a.pools[own].fallback) {
    if (p != own && std::find(chain.begin(), chain.end(), p) == chain.end()) chain.push_back(p);
  }
  return chain;
}

}  // namespace accord
