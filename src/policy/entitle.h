// Stage 3, entitle: may this party call this model now? A model is callable by a party when its
// tier appears in the model's `available` with a time that has come, and, while the model is
// exclusive, the party is one of its holders. Exclusivity is confidential: to anyone else an
// exclusive model does not exist (404, the same answer as for an unknown model), so its name
// leaks nothing. A tier that may call it later learns from when (403).
#pragma once

#include <string_view>

#include "agreement/agreement.h"
#include "core/result.h"

namespace accord {

enum class Entitlement : uint8_t { kAllowed, kNotYet, kNotForTier, kHidden };

Entitlement entitlement(const Agreement& agreement, PartyId party, ModelId model, UnixMillis now);

// kAllowed → ok; otherwise the error the client gets (403 with the date, or 404).
Status entitle(const Agreement& agreement, PartyId party, ModelId model, UnixMillis now);

// The error for a model name nobody knows (also what hidden models answer).
Error unknown_model(std::string_view name);
// A key whose models are restricted (ApiKey::models) names another model.
Error key_not_entitled(std::string_view key_id, std::string_view model);

}  // namespace accord
