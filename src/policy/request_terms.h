// What the policy makes of a request, one function each, called by the gateway (`accord serve`)
// and by the simulator (`accord simulate`) alike, so the two cannot drift: the service tier it is
// served at and billed for, the most output it may produce, what the limits hold back for it, and
// its scheduler ticket.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "agreement/agreement.h"
#include "agreement/pricing.h"
#include "openai/request_body.h"
#include "policy/limiter.h"
#include "sched/ticket.h"

namespace accord {

struct ServedTier {
  ServiceTier service_tier = ServiceTier::kDefault;
  BilledTier billed = BilledTier::kDefault;
};

// Priority where the party (or its tier) may use it, flex as asked, the default otherwise.
ServedTier served_tier(const Agreement& agreement, PartyId party, ServiceTier asked);

// The most output a request may produce, per choice: its max_tokens, else the model's
// max_output_tokens, else the context window left after the prompt (at least 1).
int64_t max_output_tokens(const Model& model, std::optional<int64_t> max_tokens,
                          int64_t prompt_tokens);

// The limits are judged on upper bounds (budgets must never be overrun): the prompt's upper
// bound plus the most output all choices may produce, at the served tier's price.
LimitRequest limit_request(const Agreement& agreement, PartyId party, ModelId model,
                           BilledTier billed, int64_t prompt_upper_bound, int64_t max_output_total);

// The pools after the model's own that may serve a request its pool cannot start in time, in
// order: its reservation's `spillover.to` (for work beyond the reservation), then the pool's
// `fallback` list. None where the reservation says `spillover: false` (a ceiling).
std::vector<PoolId> fallback_pools(const Agreement& agreement, PartyId party, ModelId model,
                                   bool within_reservation);

// Fills the ticket's request fields (the scheduler estimates what it will likely use from them).
void describe_ticket(Ticket& ticket, const Agreement& agreement, PartyId party, ModelId model,
                     const ServedTier& served, int64_t prompt_tokens, int64_t max_output_tokens,
                     int choices);

}  // namespace accord
