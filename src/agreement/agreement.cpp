#include "agreement/agreement.h"

namespace accord {

const char* to_string(PartyRole role) {
  switch (role) {
    case PartyRole::kProvider:
      return "provider";
    case PartyRole::kOperator:
      return "operator";
    case PartyRole::kCustomer:
      return "customer";
    case PartyRole::kInternal:
      return "internal";
  }
  return "customer";
}

const char* to_string(UpstreamProvider provider) {
  switch (provider) {
    case UpstreamProvider::kOpenAi:
      return "openai";
    case UpstreamProvider::kAzure:
      return "azure";
    case UpstreamProvider::kAnthropic:
      return "anthropic";
  }
  return "openai";
}

std::optional<ModelId> Agreement::find_model(std::string_view name) const {
  const auto it = model_by_name.find(name);
  if (it == model_by_name.end()) return std::nullopt;
  return it->second;
}

const std::vector<RevenueShare>& Agreement::revenue_share(PartyId party, ModelId model) const {
  if (party != kNone) {
    for (const auto& [m, shares] : parties[party].revenue_share) {
      if (m == model) return shares;
    }
  }
  return models[model].revenue_share;
}

std::optional<PartyId> Agreement::find_party(std::string_view name) const {
  const auto it = party_by_name.find(name);
  if (it == party_by_name.end()) return std::nullopt;
  return it->second;
}

}  // namespace accord
