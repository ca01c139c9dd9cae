#include "keys/merge_keys.h"

#include <spdlog/spdlog.h>

namespace accord {

std::shared_ptr<const Agreement> with_managed_keys(std::shared_ptr<const Agreement> base,
                                                   const std::vector<ManagedKey>& managed) {
  if (managed.empty()) return base;
  auto merged = std::make_shared<Agreement>(*base);
  for (const ManagedKey& m : managed) {
    const auto party = merged->find_party(m.party);
    if (!party) continue;
    const bool taken = std::any_of(base->keys.begin(), base->keys.end(),
                                   [&](const ApiKey& k) { return k.id == m.id; });
    if (taken) {
      spdlog::warn(
          "the agreement's key '{}' has the id of a key made through the keys API; the "
          "latter is not used",
          m.id);
      continue;
    }
    ApiKey& k = merged->keys.emplace_back();
    k.id = m.id;
    k.party = *party;
    k.sha256 = m.sha256;
    k.limits = m.limits;
    k.role = m.role;
    k.expires_at = m.expires_at;
    k.restricted = !m.models.empty();
    for (const std::string& name : m.models) {
      if (auto model = merged->find_model(name)) k.models.push_back(*model);
    }
    k.previous_sha256 = m.previous_sha256;
    k.previous_valid_until = m.previous_valid_until;
    k.managed = true;
    k.name = m.name;
  }
  return merged;
}

}  // namespace accord
