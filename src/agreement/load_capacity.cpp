// reservations and per (party, model) limits: capacity promised to a party, and caps on it.
#include <fmt/format.h>

#include <map>

#include "agreement/loader_impl.h"

namespace accord::loader {

using yaml::Fields;

void Loader::load_reservations(const YAML::Node& node) {
  std::map<std::pair<PartyId, ModelId>, std::string> seen;
  for_each_item(node, "reservations", [&](size_t, const YAML::Node& item, const std::string& path) {
    const Fields f(item, path, diag_,
                   {"party", "model", "tokens_per_s", "burst_s", "spillover", "slo"});
    if (!f.ok()) return;
    Reservation r;
    bool valid = true;
    const YAML::Node party = f.require("party");
    const YAML::Node model = f.require("model");
    const YAML::Node rate = f.require("tokens_per_s");
    if (auto p = party.IsDefined() ? party_ref(party, f.path_of("party")) : std::nullopt) {
      r.party = *p;
    } else {
      valid = false;
    }
    if (auto m = model.IsDefined() ? model_ref(model, f.path_of("model")) : std::nullopt) {
      r.model = *m;
    } else {
      valid = false;
    }
    if (auto v = f.non_negative("tokens_per_s")) {
      r.tokens_per_s = *v;
    } else {
      valid = false;
    }
    if (auto v = f.positive("burst_s")) r.burst_s = *v;
    // spillover: true | false | { to: POOL }
    if (const YAML::Node s = f.get("spillover"); s.IsDefined() && s.IsMap()) {
      const Fields sp(s, f.path_of("spillover"), diag_, {"to"});
      if (const YAML::Node to = sp.require("to"); to.IsDefined()) {
        if (auto p = pool_ref(to, sp.path_of("to"))) r.spillover_to = *p;
      }
    } else if (auto v = f.boolean("spillover")) {
      r.spillover = *v;
    }
    if (const YAML::Node slo = f.get("slo"); slo.IsDefined()) {
      const Fields s(slo, f.path_of("slo"), diag_, {"ttft_p99_ms", "tpot_p99_ms", "availability"});
      r.slo.ttft_p99_ms = s.positive("ttft_p99_ms");
      r.slo.tpot_p99_ms = s.positive("tpot_p99_ms");
      if (auto a = s.number("availability")) {
        if (*a <= 0 || *a > 100) {
          diag_.add(yaml::pos_of(s.get("availability")),
                    fmt::format("{}: must be a percentage in (0, 100]", s.path_of("availability")));
        } else {
          r.slo.availability_percent = a;
        }
      }
    }
    if (!valid) return;
    const auto key = std::make_pair(r.party, r.model);
    if (auto it = seen.find(key); it != seen.end()) {
      diag_.add(f.pos(),
                fmt::format("{}: duplicate reservation for party '{}' on model '{}' "
                            "(also {})",
                            path, a_.parties[r.party].name, a_.models[r.model].name, it->second));
      return;
    }
    seen.emplace(key, path);
    if (r.spillover_to != kNone && r.spillover_to == a_.models[r.model].pool) {
      diag_.add(yaml::pos_of(f.get("spillover")),
                fmt::format("{}: '{}' is the model's own pool; spillover: true says that",
                            f.path_of("spillover.to"), a_.pools[r.spillover_to].name));
    }
    if (r.spillover_to != kNone) {
      spillover_pos_.emplace_back(a_.reservations.size(), yaml::pos_of(f.get("spillover")));
    }
    a_.reservations.push_back(r);
  });
}

void Loader::load_limits(const YAML::Node& node) {
  for_each_item(node, "limits", [&](size_t, const YAML::Node& item, const std::string& path) {
    const Fields f(item, path, diag_, {"party", "model", "rpm", "tpm", "max_concurrent"});
    if (!f.ok()) return;
    PartyModelLimit l;
    const YAML::Node party = f.require("party");
    const YAML::Node model = f.require("model");
    const auto p = party.IsDefined() ? party_ref(party, f.path_of("party")) : std::nullopt;
    const auto m = model.IsDefined() ? model_ref(model, f.path_of("model")) : std::nullopt;
    read_limits(f, l.limits);
    if (!p || !m) return;
    l.party = *p;
    l.model = *m;
    a_.limits.push_back(l);
  });
}

}  // namespace accord::loader
