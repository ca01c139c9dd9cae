// models: who owns each model, where it runs, who may call it from when, what it costs.
#include <fmt/format.h>

#include <algorithm>

#include "agreement/loader_impl.h"
#include "core/decimal.h"

namespace accord::loader {

using yaml::Fields;

void Loader::load_models(const YAML::Node& node) {
  for_each_entry(node, "models", "model",
                 [&](const std::string& name, const YAML::Node&, const YAML::Node& value,
                     const std::string& path) {
                   Model m;
                   m.name = name;
                   load_model(m, value, path);
                   a_.model_by_name.emplace(name, static_cast<ModelId>(a_.models.size()));
                   a_.models.push_back(std::move(m));
                 });
}

void Loader::load_model(Model& m, const YAML::Node& node, const std::string& path) {
  const Fields f(
      node, path, diag_,
      {"owner", "pool", "kind", "context_window", "max_output_tokens", "dimensions", "available",
       "exclusive", "price", "revenue_share", "upstream_model", "served_by"});
  if (!f.ok()) return;
  if (const YAML::Node owner = f.require("owner"); owner.IsDefined()) {
    if (auto p = party_ref(owner, f.path_of("owner"))) m.owner = *p;
  }
  if (const YAML::Node pool = f.require("pool"); pool.IsDefined()) {
    if (auto name = yaml::read_string(pool, f.path_of("pool"), diag_)) {
      if (auto it = a_.pool_by_name.find(*name); it != a_.pool_by_name.end()) {
        m.pool = it->second;
      } else {
        diag_.add(yaml::pos_of(pool),
                  fmt::format("{}: unknown pool '{}'", f.path_of("pool"), *name));
      }
    }
  }
  if (auto kind = f.string("kind")) {
    if (*kind == "chat") {
      m.kind = ModelKind::kChat;
    } else if (*kind == "embedding") {
      m.kind = ModelKind::kEmbedding;
    } else {
      diag_.add(yaml::pos_of(f.get("kind")),
                fmt::format("{}: '{}' is not chat or embedding", f.path_of("kind"), *kind));
    }
  }
  if (m.kind == ModelKind::kEmbedding && m.pool != kNone &&
      a_.pools[m.pool].provider == UpstreamProvider::kAnthropic) {
    diag_.add(yaml::pos_of(f.get("kind")),
              fmt::format("{}: pool '{}' has provider anthropic, which serves chat only",
                          f.path_of("kind"), a_.pools[m.pool].name));
  }
  if (auto v = f.integer("context_window")) {
    if (*v <= 0) {
      diag_.add(yaml::pos_of(f.get("context_window")),
                fmt::format("{}: must be greater than 0", f.path_of("context_window")));
    } else {
      m.context_window = *v;
    }
  }
  if (auto v = f.integer("max_output_tokens")) {
    if (*v <= 0 || *v > m.context_window) {
      diag_.add(yaml::pos_of(f.get("max_output_tokens")),
                fmt::format("{}: must be between 1 and the context window ({})",
                            f.path_of("max_output_tokens"), m.context_window));
    } else {
      m.max_output_tokens = v;
    }
  }
  if (auto v = f.integer("dimensions")) {
    if (*v <= 0 || *v > 65536) {
      diag_.add(yaml::pos_of(f.get("dimensions")),
                fmt::format("{}: must be between 1 and 65536", f.path_of("dimensions")));
    } else {
      m.embedding_dimensions = static_cast<int>(*v);
    }
  }
  if (auto v = f.string("upstream_model")) m.upstream_model = *v;
  if (const YAML::Node n = f.get("served_by"); n.IsDefined()) {
    load_served_by(m, n, f.path_of("served_by"));
  }
  load_availability(m, f);
  if (const YAML::Node ex = f.get("exclusive"); ex.IsDefined()) {
    const Fields e(ex, f.path_of("exclusive"), diag_, {"parties", "until"});
    const YAML::Node parties = e.require("parties");
    if (parties.IsDefined()) {
      if (auto list = yaml::read_string_list(parties, e.path_of("parties"), diag_)) {
        for (size_t i = 0; i < list->size(); ++i) {
          const auto& [name, n] = (*list)[i];
          if (auto id = party_ref(n, fmt::format("{}[{}]", e.path_of("parties"), i))) {
            m.exclusive_parties.push_back(*id);
          }
        }
      }
    }
    m.exclusive_until = e.timestamp("until");
  }
  if (const YAML::Node price = f.get("price"); price.IsDefined()) {
    load_price(m.price, price, f.path_of("price"));
  }
  if (const YAML::Node share = f.get("revenue_share"); share.IsDefined()) {
    load_revenue_share(m.revenue_share, share, f.path_of("revenue_share"));
  } else if (m.owner != kNone) {
    m.revenue_share.push_back({m.owner, kMicrosPerUnit});
  }
}

void Loader::load_availability(Model& m, const Fields& f) {
  const YAML::Node available = f.get("available");
  if (!available.IsDefined()) {
    m.available_from.assign(a_.tiers.size(), UnixMillis{0});  // every tier, from the start
    return;
  }
  m.available_from.assign(a_.tiers.size(), std::nullopt);
  std::optional<UnixMillis> earliest;
  for_each_entry(available, f.path_of("available"), "tier",
                 [&](const std::string& tier, const YAML::Node& key, const YAML::Node& value,
                     const std::string& path) {
                   const auto when = yaml::read_timestamp(value, path, diag_);
                   const auto it = a_.tier_by_name.find(tier);
                   if (it == a_.tier_by_name.end()) {
                     diag_.add(yaml::pos_of(key), fmt::format("{}: unknown tier '{}'", path, tier));
                     return;
                   }
                   if (!when) return;
                   m.available_from[it->second] = *when;
                   if (!earliest || *when < *earliest) earliest = *when;
                 });
  if (earliest) m.created_unix_s = static_cast<int>(*earliest / 1000);
}

// served_by: { POOL: { upstream_model: NAME, price: {…} } } — the model's terms on another pool
// (a price given there is the whole price on that pool).
void Loader::load_served_by(Model& m, const YAML::Node& node, const std::string& path) {
  for_each_entry(
      node, path, "pool",
      [&](const std::string&, const YAML::Node& key, const YAML::Node& value,
          const std::string& entry_path) {
        const auto pool = pool_ref(key, entry_path);
        if (!pool) return;
        const Fields t(value, entry_path, diag_, {"upstream_model", "price"});
        if (!t.ok()) return;
        Model::PoolTerms terms;
        terms.pool = *pool;
        served_by_pos_[{static_cast<ModelId>(a_.models.size()), *pool}] = yaml::pos_of(key);
        if (auto v = t.string("upstream_model")) terms.upstream_model = *v;
        if (const YAML::Node price = t.get("price"); price.IsDefined()) {
          terms.price = Price{};
          load_price(*terms.price, price, t.path_of("price"));
        }
        m.served_by.push_back(std::move(terms));
      });
}

void Loader::load_price(Price& price, const YAML::Node& node, const std::string& path) {
  const Fields f(node, path, diag_,
                 {"input_per_mtok", "output_per_mtok", "cached_input_per_mtok",
                  "priority_multiplier", "flex_multiplier"});
  auto read = [&](std::string_view key, int64_t& out) {
    if (auto v = f.micros(key)) {
      if (*v < 0) {
        diag_.add(yaml::pos_of(f.get(key)),
                  fmt::format("{}: must not be negative", f.path_of(key)));
      } else {
        out = *v;
      }
    }
  };
  read("input_per_mtok", price.input_micro_usd_per_mtok);
  read("output_per_mtok", price.output_micro_usd_per_mtok);
  if (f.get("cached_input_per_mtok").IsDefined()) {
    int64_t cached = price.input_micro_usd_per_mtok;
    read("cached_input_per_mtok", cached);
    price.cached_input_micro_usd_per_mtok = cached;
  }
  read("priority_multiplier", price.priority_multiplier_ppm);
  read("flex_multiplier", price.flex_multiplier_ppm);
}

void Loader::load_party_revenue_shares() {
  for (const auto& [party_id, node] : party_revenue_shares_) {
    const auto party = party_id;  // clang 14 cannot capture a structured binding
    const std::string path = fmt::format("parties.{}.revenue_share", a_.parties[party].name);
    for_each_entry(node, path, "model",
                   [&](const std::string& model, const YAML::Node& key, const YAML::Node& value,
                       const std::string& entry_path) {
                     const auto id = a_.find_model(model);
                     if (!id) {
                       diag_.add(yaml::pos_of(key),
                                 fmt::format("{}: unknown model '{}'", entry_path, model));
                       return;
                     }
                     std::vector<RevenueShare> shares;
                     load_revenue_share(shares, value, entry_path);
                     a_.parties[party].revenue_share.emplace_back(*id, std::move(shares));
                   });
  }
}

void Loader::load_revenue_share(std::vector<RevenueShare>& out, const YAML::Node& node,
                                const std::string& path) {
  int64_t total_ppm = 0;
  bool complete = true;
  for_each_entry(
      node, path, "party",
      [&](const std::string& party, const YAML::Node& key, const YAML::Node& value,
          const std::string& entry_path) {
        const auto share = yaml::read_micros(value, entry_path, diag_);
        const auto id = a_.find_party(party);
        if (!id) {
          diag_.add(yaml::pos_of(key), fmt::format("{}: unknown party '{}'", entry_path, party));
        }
        if (share && *share < 0) {
          diag_.add(yaml::pos_of(value), fmt::format("{}: must not be negative", entry_path));
        }
        if (!share || !id || *share < 0) {
          complete = false;
          return;
        }
        total_ppm += *share;
        out.push_back({*id, *share});
      });
  if (node.IsMap() && complete && total_ppm != kMicrosPerUnit) {
    diag_.add(yaml::pos_of(node),
              fmt::format("{}: shares sum to {}, not 1", path, format_micros(total_ppm)));
  }
}

}  // namespace accord::loader
