// Fallback chains, checked once pools, models and reservations are read: a model's terms on a
// pool (served_by) name a pool that may serve it, and no chain serves an exclusive model to
// parties that do not hold it — a fallback pool that knows two models by one upstream name
// would serve one for the other.
#include <fmt/format.h>

#include <algorithm>

#include "agreement/loader_impl.h"

namespace accord::loader {
namespace {

// Every party that may reach `m` is among `holders`.
bool held_by(const Model& m, const std::vector<PartyId>& holders) {
  if (m.exclusive_parties.empty()) return false;  // every party may call it
  return std::all_of(m.exclusive_parties.begin(), m.exclusive_parties.end(), [&](PartyId p) {
    return std::find(holders.begin(), holders.end(), p) != holders.end();
  });
}

const std::string& name_on(const Model& m, PoolId pool) {
  const std::string& upstream = m.upstream_name_on(pool);
  return upstream.empty() ? m.name : upstream;
}

}  // namespace

void Loader::check_fallbacks() {
  // Where each model may be served other than its pool, and where that chain is written.
  struct Hop {
    PoolId pool;
    SourcePos pos;
    std::string path;
  };
  std::vector<std::vector<Hop>> hops(a_.models.size());
  for (size_t i = 0; i < a_.models.size(); ++i) {
    const Model& m = a_.models[i];
    if (m.pool == kNone) continue;
    const Pool& own = a_.pools[m.pool];
    for (const PoolId q : own.fallback) {
      hops[i].push_back({q, fallback_pos_[m.pool], fmt::format("pools.{}.fallback", own.name)});
    }
  }
  for (const auto& [index, pos] : spillover_pos_) {
    const Reservation& r = a_.reservations[index];
    hops[r.model].push_back(
        {r.spillover_to, pos, fmt::format("reservations[{}].spillover.to", index)});
  }
  for (size_t i = 0; i < a_.models.size(); ++i) {
    const Model& m = a_.models[i];
    for (const Model::PoolTerms& t : m.served_by) {
      const bool reached =
          t.pool == m.pool || std::any_of(hops[i].begin(), hops[i].end(),
                                          [&](const Hop& h) { return h.pool == t.pool; });
      if (!reached) {
        diag_.add(served_by_pos_[{static_cast<ModelId>(i), t.pool}],
                  fmt::format("models.{}.served_by.{}: no fallback or spillover of the model "
                              "reaches this pool",
                              m.name, a_.pools[t.pool].name));
      }
    }
    for (const Hop& hop : hops[i]) {
      for (size_t j = 0; j < a_.models.size(); ++j) {
        const Model& e = a_.models[j];
        if (j == i || e.exclusive_parties.empty()) continue;
        const bool on_hop = e.pool == hop.pool || e.terms_on(hop.pool) != nullptr;
        if (!on_hop || name_on(e, hop.pool) != name_on(m, hop.pool)) continue;
        if (held_by(m, e.exclusive_parties)) continue;
        diag_.add(
            hop.pos,
            fmt::format("{}: serving model '{}' on pool '{}' would serve the exclusive "
                        "model '{}' (the pool knows both as '{}') to parties that do not "
                        "hold it",
                        hop.path, m.name, a_.pools[hop.pool].name, e.name, name_on(m, hop.pool)));
      }
    }
  }
}

}  // namespace accord::loader
