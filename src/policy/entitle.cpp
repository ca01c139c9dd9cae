#include "policy/entitle.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/rfc3339.h"

namespace accord {

Entitlement entitlement(const Agreement& agreement, PartyId party, ModelId model_id,
                        UnixMillis now) {
  const Model& model = agreement.models[model_id];
  if (!model.exclusive_parties.empty() &&
      (!model.exclusive_until || now < *model.exclusive_until) &&
      std::find(model.exclusive_parties.begin(), model.exclusive_parties.end(), party) ==
          model.exclusive_parties.end()) {
    return Entitlement::kHidden;
  }
  const TierId tier = agreement.parties[party].tier;
  if (tier == kNone || !model.available_from[tier]) return Entitlement::kNotForTier;
  if (now < *model.available_from[tier]) return Entitlement::kNotYet;
  return Entitlement::kAllowed;
}

Error unknown_model(std::string_view name) {
  return Error::client(
      ErrorKind::kModelNotFound,
      fmt::format("The model '{}' does not exist or you do not have access to it.", name), "model");
}

Error key_not_entitled(std::string_view key_id, std::string_view model) {
  return Error::client(
      ErrorKind::kModelNotAvailable,
      fmt::format("The key '{}' may not call the model '{}' (its models are restricted).", key_id,
                  model),
      "model");
}

Status entitle(const Agreement& agreement, PartyId party, ModelId model_id, UnixMillis now) {
  const Model& model = agreement.models[model_id];
  switch (entitlement(agreement, party, model_id, now)) {
    case Entitlement::kAllowed:
      return Status();
    case Entitlement::kHidden:
      return unknown_model(model.name);
    case Entitlement::kNotForTier: {
      const TierId tier = agreement.parties[party].tier;
      return Error::client(
          ErrorKind::kModelNotAvailable,
          tier == kNone
              ? fmt::format("The model '{}' is not available to party '{}': it has no tier.",
                            model.name, agreement.parties[party].name)
              : fmt::format("The model '{}' is not available to the '{}' tier.", model.name,
                            agreement.tiers[tier].name),
          "model");
    }
    case Entitlement::kNotYet: {
      const TierId tier = agreement.parties[party].tier;
      return Error::client(
          ErrorKind::kModelNotAvailable,
          fmt::format("The model '{}' is available to the '{}' tier from {}.", model.name,
                      agreement.tiers[tier].name, format_rfc3339(*model.available_from[tier])),
          "model");
    }
  }
  return Status();
}

}  // namespace accord
