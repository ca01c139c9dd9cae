// Internal to the agreement loader: one Loader walks the document section by section, in the
// order references need (tiers before parties, pools before models, ...), so every reference can
// be resolved and reported where it is written.
#pragma once

#include <yaml-cpp/yaml.h>

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "agreement/agreement.h"
#include "agreement/diagnostics.h"
#include "agreement/yaml_fields.h"

namespace accord::loader {

// load_pools.cpp: "http[s]://host[:port][/path]" → the endpoint's url fields; an error message
// otherwise.
std::optional<std::string> parse_http_url(const std::string& url, UpstreamEndpoint& out);

class Loader {
 public:
  Loader(Agreement& agreement, Diagnostics& diag) : a_(agreement), diag_(diag) {}
  void load(const YAML::Node& root);

 private:
  // loader.cpp
  void load_tiers(const YAML::Node& node);
  void load_parties(const YAML::Node& node);
  void load_keys(const YAML::Node& node);
  void load_sla(const YAML::Node& node);
  void load_ledger(const YAML::Node& node);
  void load_server(const YAML::Node& node);
  void load_server_tls(const YAML::Node& node);
  // load_traces.cpp
  void load_traces(const YAML::Node& node);
  // load_models.cpp
  void load_models(const YAML::Node& node);
  void load_model(Model& m, const YAML::Node& node, const std::string& path);
  void load_price(Price& price, const YAML::Node& node, const std::string& path);
  void load_served_by(Model& m, const YAML::Node& node, const std::string& path);
  // load_pools.cpp: once every pool is known.
  void resolve_pool_fallbacks();
  // load_fallbacks.cpp: served_by names a pool that serves the model; no fallback serves an
  // exclusive model to parties that do not hold it.
  void check_fallbacks();
  std::optional<PoolId> pool_ref(const YAML::Node& node, const std::string& path);
  // Reads a {party: share} map that must sum to 1 into `out`.
  void load_revenue_share(std::vector<RevenueShare>& out, const YAML::Node& node,
                          const std::string& path);
  void load_party_revenue_shares();
  void load_availability(Model& m, const yaml::Fields& f);
  // load_pools.cpp
  void load_pools(const YAML::Node& node);
  void load_pool(Pool& p, const YAML::Node& node, const std::string& path);
  void load_upstreams(Pool& p, const YAML::Node& node, const std::string& path,
                      const UpstreamCredential& pool_credential);
  void load_provider(Pool& p, const yaml::Fields& f);
  void load_native_apis(Pool& p, const yaml::Fields& f);
  UpstreamCredential read_credential_source(const yaml::Fields& f);
  void check_provider_url(const Pool& p, const UpstreamEndpoint& e, const YAML::Node& url,
                          const std::string& path);
  // After the upstreams: reports a file that cannot be read or holds no certificate, at its key.
  void load_ca_file(Pool& p, const std::string& ca_file, const yaml::Fields& f);
  void check_builtin_pool(const Pool& p, const yaml::Fields& f);
  // load_capacity.cpp
  void load_reservations(const YAML::Node& node);
  void load_limits(const YAML::Node& node);

  // Shared helpers.
  void read_limits(const yaml::Fields& f, Limits& out);
  std::optional<int64_t> read_percent_ppm(const yaml::Fields& f, std::string_view key);
  // Calls fn(name, key node, value node, path) for each entry of an id-keyed mapping; reports
  // duplicate ids.
  void for_each_entry(const YAML::Node& node, const std::string& path, std::string_view what,
                      const std::function<void(const std::string&, const YAML::Node&,
                                               const YAML::Node&, const std::string&)>& fn);
  // Calls fn(i, item, path) for each item of a list.
  void for_each_item(const YAML::Node& node, const std::string& path,
                     const std::function<void(size_t, const YAML::Node&, const std::string&)>& fn);
  // Resolve a reference written at node; report "path: unknown party 'x'" when dangling.
  std::optional<PartyId> party_ref(const YAML::Node& node, const std::string& path);
  std::optional<ModelId> model_ref(const YAML::Node& node, const std::string& path);

  Agreement& a_;
  Diagnostics& diag_;
  std::vector<std::pair<PoolId, YAML::Node>> pool_fallbacks_;  // resolved once pools are
  std::map<PoolId, SourcePos> fallback_pos_;                   // where each pool's list is
  std::vector<std::pair<size_t, SourcePos>> spillover_pos_;    // reservation → its `to`
  std::map<std::pair<ModelId, PoolId>, SourcePos> served_by_pos_;
  std::vector<std::pair<PartyId, YAML::Node>> party_revenue_shares_;  // read once models are
};

}  // namespace accord::loader
