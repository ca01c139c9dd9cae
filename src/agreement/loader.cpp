#include "agreement/loader.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "agreement/credentials.h"
#include "agreement/loader_impl.h"
#include "agreement/server_tls.h"
#include "core/decimal.h"

namespace accord {
namespace loader {

using yaml::Fields;

void Loader::load(const YAML::Node& root) {
  if (!root.IsMap()) {
    diag_.add(yaml::pos_of(root),
              fmt::format("the agreement must be a mapping, got {}", yaml::describe(root)));
    return;
  }
  const Fields f(root, "", diag_,
                 {"parties", "tiers", "models", "pools", "reservations", "limits", "sla", "keys",
                  "ledger", "server", "traces"});
  const YAML::Node parties = f.require("parties");
  const YAML::Node models = f.require("models");
  const YAML::Node pools = f.require("pools");
  if (auto n = f.get("tiers"); n.IsDefined()) load_tiers(n);
  if (parties.IsDefined()) load_parties(parties);
  if (pools.IsDefined()) load_pools(pools);
  if (models.IsDefined()) load_models(models);
  load_party_revenue_shares();
  if (auto n = f.get("reservations"); n.IsDefined()) load_reservations(n);
  check_fallbacks();
  if (auto n = f.get("limits"); n.IsDefined()) load_limits(n);
  if (auto n = f.get("sla"); n.IsDefined()) load_sla(n);
  if (auto n = f.get("keys"); n.IsDefined()) load_keys(n);
  if (auto n = f.get("ledger"); n.IsDefined()) load_ledger(n);
  if (auto n = f.get("server"); n.IsDefined()) load_server(n);
  if (auto n = f.get("traces"); n.IsDefined()) load_traces(n);
}

void Loader::for_each_entry(const YAML::Node& node, const std::string& path, std::string_view what,
                            const std::function<void(const std::string&, const YAML::Node&,
                                                     const YAML::Node&, const std::string&)>& fn) {
  if (node.IsNull()) return;
  if (!node.IsMap()) {
    diag_.add(yaml::pos_of(node),
              fmt::format("{}: expected a mapping, got {}", path, yaml::describe(node)));
    return;
  }
  StringMap<SourcePos> seen;
  for (const auto& kv : node) {
    const std::string name = kv.first.Scalar();
    const std::string entry_path = fmt::format("{}.{}", path, name);
    if (auto it = seen.find(name); it != seen.end()) {
      diag_.add(yaml::pos_of(kv.first),
                fmt::format("{}: duplicate {} '{}' (first defined at line {})", entry_path, what,
                            name, it->second.line));
      continue;
    }
    seen.emplace(name, yaml::pos_of(kv.first));
    fn(name, kv.first, kv.second, entry_path);
  }
}

void Loader::for_each_item(
    const YAML::Node& node, const std::string& path,
    const std::function<void(size_t, const YAML::Node&, const std::string&)>& fn) {
  if (node.IsNull()) return;
  if (!node.IsSequence()) {
    diag_.add(yaml::pos_of(node),
              fmt::format("{}: expected a list, got {}", path, yaml::describe(node)));
    return;
  }
  for (size_t i = 0; i < node.size(); ++i) fn(i, node[i], fmt::format("{}[{}]", path, i));
}

std::optional<PartyId> Loader::party_ref(const YAML::Node& node, const std::string& path) {
  const auto name = yaml::read_string(node, path, diag_);
  if (!name) return std::nullopt;
  if (auto id = a_.find_party(*name)) return id;
  diag_.add(yaml::pos_of(node), fmt::format("{}: unknown party '{}'", path, *name));
  return std::nullopt;
}

std::optional<ModelId> Loader::model_ref(const YAML::Node& node, const std::string& path) {
  const auto name = yaml::read_string(node, path, diag_);
  if (!name) return std::nullopt;
  if (auto id = a_.find_model(*name)) return id;
  diag_.add(yaml::pos_of(node), fmt::format("{}: unknown model '{}'", path, *name));
  return std::nullopt;
}

void Loader::read_limits(const Fields& f, Limits& out) {
  if (auto v = f.non_negative_integer("rpm")) out.rpm = v;
  if (auto v = f.non_negative_integer("tpm")) out.tpm = v;
  if (auto v = f.non_negative_integer("max_concurrent")) out.max_concurrent = v;
  if (auto v = f.micros("budget_usd_per_month")) {
    if (*v < 0) {
      diag_.add(yaml::pos_of(f.get("budget_usd_per_month")),
                fmt::format("{}: must not be negative", f.path_of("budget_usd_per_month")));
    } else {
      out.budget_micro_usd_per_month = v;
    }
  }
}

std::optional<int64_t> Loader::read_percent_ppm(const Fields& f, std::string_view key) {
  const auto micros = f.micros(key);  // percent × 10^6
  if (!micros) return std::nullopt;
  if (*micros < 0 || *micros > 100 * kMicrosPerUnit) {
    diag_.add(yaml::pos_of(f.get(key)),
              fmt::format("{}: must be between 0 and 100", f.path_of(key)));
    return std::nullopt;
  }
  return *micros / 100;  // parts per million
}

void Loader::load_tiers(const YAML::Node& node) {
  for_each_entry(node, "tiers", "tier",
                 [&](const std::string& name, const YAML::Node&, const YAML::Node& value,
                     const std::string& path) {
                   Tier t;
                   t.name = name;
                   const Fields f(value, path, diag_,
                                  {"weight", "rpm", "tpm", "max_concurrent", "budget_usd_per_month",
                                   "priority", "preemptible", "discount_percent"});
                   if (auto v = f.positive("weight")) t.weight = *v;
                   read_limits(f, t.limits);
                   if (auto v = f.boolean("priority")) t.priority = *v;
                   if (auto v = f.boolean("preemptible")) t.preemptible = *v;
                   t.discount_ppm = read_percent_ppm(f, "discount_percent");
                   a_.tier_by_name.emplace(name, static_cast<TierId>(a_.tiers.size()));
                   a_.tiers.push_back(std::move(t));
                 });
}

void Loader::load_parties(const YAML::Node& node) {
  for_each_entry(
      node, "parties", "party",
      [&](const std::string& name, const YAML::Node&, const YAML::Node& value,
          const std::string& path) {
        Party p;
        p.name = name;
        const Fields f(value, path, diag_,
                       {"role", "tier", "discount_percent", "budget_usd_per_month", "rpm", "tpm",
                        "max_concurrent", "priority", "revenue_share"});
        const YAML::Node role = f.require("role");
        if (role.IsDefined()) {
          const auto r = yaml::read_string(role, f.path_of("role"), diag_);
          if (r == "provider") {
            p.role = PartyRole::kProvider;
          } else if (r == "operator") {
            p.role = PartyRole::kOperator;
          } else if (r == "customer") {
            p.role = PartyRole::kCustomer;
          } else if (r == "internal") {
            p.role = PartyRole::kInternal;
          } else if (r) {
            diag_.add(yaml::pos_of(role),
                      fmt::format("{}: '{}' is not a role (provider, operator, customer, internal)",
                                  f.path_of("role"), *r));
          }
        }
        if (const YAML::Node tier = f.get("tier"); tier.IsDefined()) {
          if (auto t = yaml::read_string(tier, f.path_of("tier"), diag_)) {
            if (auto it = a_.tier_by_name.find(*t); it != a_.tier_by_name.end()) {
              p.tier = it->second;
            } else {
              diag_.add(yaml::pos_of(tier),
                        fmt::format("{}: unknown tier '{}'", f.path_of("tier"), *t));
            }
          }
        }
        p.discount_ppm = read_percent_ppm(f, "discount_percent");
        read_limits(f, p.limits);
        p.priority = f.boolean("priority");
        if (const YAML::Node rs = f.get("revenue_share"); rs.IsDefined()) {
          party_revenue_shares_.emplace_back(static_cast<PartyId>(a_.parties.size()), rs);
        }
        a_.party_by_name.emplace(name, static_cast<PartyId>(a_.parties.size()));
        a_.parties.push_back(std::move(p));
      });
}

void Loader::load_keys(const YAML::Node& node) {
  StringMap<std::string> id_seen;                 // id → where
  std::map<Sha256Digest, std::string> hash_seen;  // hash → which key
  for_each_item(node, "keys", [&](size_t, const YAML::Node& item, const std::string& path) {
    const Fields f(item, path, diag_,
                   {"id", "party", "sha256", "rpm", "tpm", "max_concurrent", "budget_usd_per_month",
                    "expires_at"});
    if (!f.ok()) return;
    ApiKey k;
    bool valid = true;
    const YAML::Node id = f.require("id");
    if (auto v = id.IsDefined() ? yaml::read_string(id, f.path_of("id"), diag_) : std::nullopt) {
      k.id = *v;
      if (auto it = id_seen.find(k.id); it != id_seen.end()) {
        diag_.add(yaml::pos_of(id), fmt::format("{}: duplicate key id '{}' (also {})",
                                                f.path_of("id"), k.id, it->second));
        valid = false;
      } else {
        id_seen.emplace(k.id, path);
      }
    } else {
      valid = false;
    }
    const YAML::Node party = f.require("party");
    if (auto p = party.IsDefined() ? party_ref(party, f.path_of("party")) : std::nullopt) {
      k.party = *p;
    } else {
      valid = false;
    }
    const YAML::Node hash = f.require("sha256");
    if (auto h =
            hash.IsDefined() ? yaml::read_string(hash, f.path_of("sha256"), diag_) : std::nullopt) {
      if (auto digest = parse_sha256_hex(*h)) {
        k.sha256 = *digest;
        if (auto it = hash_seen.find(*digest); it != hash_seen.end()) {
          diag_.add(yaml::pos_of(hash), fmt::format("{}: duplicate key hash (also {})",
                                                    f.path_of("sha256"), it->second));
          valid = false;
        } else {
          hash_seen.emplace(*digest, path);
        }
      } else {
        diag_.add(yaml::pos_of(hash),
                  fmt::format("{}: expected 64 hex digits (the SHA-256 of the key; "
                              "`accord keys new` prints it)",
                              f.path_of("sha256")));
        valid = false;
      }
    } else {
      valid = false;
    }
    read_limits(f, k.limits);
    if (const YAML::Node at = f.get("expires_at"); at.IsDefined()) {
      if (auto t = yaml::read_timestamp(at, f.path_of("expires_at"), diag_)) k.expires_at = *t;
    }
    if (valid) a_.keys.push_back(std::move(k));
  });
}

void Loader::load_sla(const YAML::Node& node) {
  const Fields f(node, "sla", diag_, {"period", "credits"});
  if (auto p = f.string("period")) {
    if (*p != "month") {
      diag_.add(yaml::pos_of(f.get("period")),
                fmt::format("sla.period: '{}' is not supported (month)", *p));
    }
  }
  for_each_item(f.get("credits"), "sla.credits",
                [&](size_t, const YAML::Node& item, const std::string& path) {
                  const Fields c(item, path, diag_, {"below", "percent"});
                  c.require("below");
                  c.require("percent");
                  auto below = c.number("below");
                  auto percent = c.number("percent");
                  if (below && (*below <= 0 || *below > 100)) {
                    diag_.add(yaml::pos_of(c.get("below")),
                              fmt::format("{}: must be in (0, 100]", c.path_of("below")));
                    below.reset();
                  }
                  if (percent && (*percent < 0 || *percent > 100)) {
                    diag_.add(yaml::pos_of(c.get("percent")),
                              fmt::format("{}: must be between 0 and 100", c.path_of("percent")));
                    percent.reset();
                  }
                  if (below && percent) a_.sla.credits.push_back({*below, *percent});
                });
  std::sort(
      a_.sla.credits.begin(), a_.sla.credits.end(),
      [](const SlaCredit& x, const SlaCredit& y) { return x.below_percent > y.below_percent; });
}

void Loader::load_ledger(const YAML::Node& node) {
  const Fields f(node, "ledger", diag_,
                 {"enabled", "path", "durability", "flush_interval_ms", "responses_ttl_days"});
  if (auto v = f.boolean("enabled")) a_.ledger.enabled = *v;
  if (auto p = f.string("path")) {
    if (p->empty()) {
      diag_.add(yaml::pos_of(f.get("path")), "ledger.path: must not be empty");
    } else {
      a_.ledger.path = *p;
    }
  }
  if (auto d = f.string("durability")) {
    if (*d == "batch") {
      a_.ledger.durability = Durability::kBatch;
    } else if (*d == "strict") {
      a_.ledger.durability = Durability::kStrict;
    } else {
      diag_.add(yaml::pos_of(f.get("durability")),
                fmt::format("ledger.durability: '{}' is not batch or strict", *d));
    }
  }
  if (auto v = f.positive("flush_interval_ms")) a_.ledger.flush_interval_ms = std::llround(*v);
  if (auto v = f.positive("responses_ttl_days")) {
    a_.ledger.responses_ttl_ms = std::llround(*v * 86'400'000.0);
  }
}

void Loader::load_server(const YAML::Node& node) {
  const Fields f(node, "server", diag_,
                 {"listen", "max_body_bytes", "max_header_bytes", "header_timeout_ms",
                  "body_timeout_ms", "idle_timeout_ms", "max_connections", "max_connections_per_ip",
                  "drain_grace_ms", "access_log", "busy_poll_us", "tls"});
  ServerConfig& s = a_.server;
  if (auto v = f.string("listen")) s.listen = *v;
  if (const YAML::Node t = f.get("tls"); t.IsDefined()) load_server_tls(t);
  if (auto v = f.string("access_log")) {
    if (v->empty()) {
      diag_.add(yaml::pos_of(f.get("access_log")),
                fmt::format("{}: must be stderr, off or a file path", f.path_of("access_log")));
    } else {
      s.access_log = *v;
    }
  }
  auto positive_int = [&](std::string_view key, int64_t& out) {
    if (auto v = f.integer(key)) {
      if (*v <= 0) {
        diag_.add(yaml::pos_of(f.get(key)),
                  fmt::format("{}: must be greater than 0", f.path_of(key)));
      } else {
        out = *v;
      }
    }
  };
  positive_int("max_body_bytes", s.max_body_bytes);
  positive_int("max_header_bytes", s.max_header_bytes);
  positive_int("header_timeout_ms", s.header_timeout_ms);
  positive_int("body_timeout_ms", s.body_timeout_ms);
  positive_int("idle_timeout_ms", s.idle_timeout_ms);
  positive_int("max_connections", s.max_connections);
  positive_int("max_connections_per_ip", s.max_connections_per_ip);
  positive_int("drain_grace_ms", s.drain_grace_ms);
  if (auto v = f.integer("busy_poll_us")) {
    if (*v < 0 || *v > kMaxBusyPollUs) {
      diag_.add(yaml::pos_of(f.get("busy_poll_us")),
                fmt::format("{}: must be between 0 (off) and {}", f.path_of("busy_poll_us"),
                            kMaxBusyPollUs));
    } else {
      s.busy_poll_us = *v;
    }
  }
}

void Loader::load_server_tls(const YAML::Node& node) {
  const Fields f(node, "server.tls", diag_, {"cert", "key"});
  if (!f.ok()) return;
  ServerTls& tls = a_.server.tls;
  auto path = [&](std::string_view key, std::string& out, SourcePos& pos) {
    if (!f.require(key).IsDefined()) return;
    pos = yaml::pos_of(f.get(key));
    if (auto v = f.string(key)) {
      if (v->empty()) {
        diag_.add(pos, fmt::format("{}: must not be empty", f.path_of(key)));
      } else {
        out = *v;
      }
    }
  };
  path("cert", tls.cert_file, tls.cert_pos);
  path("key", tls.key_file, tls.key_pos);
  if (tls.cert_file.empty() || tls.key_file.empty()) tls = ServerTls{};  // reported above
}

}  // namespace loader

LoadResult load_agreement(std::string_view yaml_text, const std::string& source_name,
                          const LoadOptions& options) {
  LoadResult result;
  result.source = source_name;
  auto agreement = std::make_shared<Agreement>();
  agreement->source = source_name;
  try {
    const YAML::Node root = YAML::Load(std::string(yaml_text));
    loader::Loader(*agreement, result.diagnostics).load(root);
    if (options.read_credentials) {
      check_credentials(*agreement, result.diagnostics);
      load_server_tls_files(agreement->server.tls, result.diagnostics);
    }
  } catch (const YAML::Exception& e) {
    const SourcePos pos =
        e.mark.is_null() ? SourcePos{1, 1} : SourcePos{e.mark.line + 1, e.mark.column + 1};
    result.diagnostics.add(pos, fmt::format("YAML syntax error: {}", e.msg));
  }
  if (result.diagnostics.empty()) result.agreement = std::move(agreement);
  return result;
}

LoadResult load_agreement_file(const std::string& path, const LoadOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    LoadResult result;
    result.source = path;
    result.diagnostics.add({1, 1}, "cannot open the file");
    return result;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return load_agreement(text.str(), path, options);
}

std::string summarize(const Agreement& a) {
  auto plural = [](size_t n, std::string_view one, std::string_view many) {
    return fmt::format("{} {}", n, n == 1 ? one : many);
  };
  return fmt::format("{}, {}, {}, {}, {}, {}", plural(a.parties.size(), "party", "parties"),
                     plural(a.tiers.size(), "tier", "tiers"),
                     plural(a.models.size(), "model", "models"),
                     plural(a.pools.size(), "pool", "pools"),
                     plural(a.reservations.size(), "reservation", "reservations"),
                     plural(a.keys.size(), "key", "keys"));
}

}  // namespace accord
