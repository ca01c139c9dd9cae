#include "agreements.h"

#include <fmt/format.h>

#include "core/crypto.h"
#include "harness.h"

namespace accord::testing {

std::string agreement_yaml(const TestAgreement& t, const TempDir& dir) {
  std::string upstreams;
  for (const int port : t.upstream_ports) {
    upstreams += fmt::format("      - {{ url: \"{}:{}{}\", max_inflight: {} }}\n",
                             t.upstream_origin, port, t.upstream_path, t.max_inflight);
  }
  std::string y = fmt::format(
      R"(parties:
  lab: {{ role: provider }}
  ops: {{ role: operator }}
  acme: {{ role: customer, tier: standard }}
tiers:
  standard: {{ weight: 1 }}
models:
  m-local: {{ owner: lab, pool: local }}
{}{}pools:
  local: {{ engine: builtin, gpu: h100, gpus: 1, model_params_b: 8 }}
{}keys:
  - {{ id: acme-key, party: acme, sha256: "{}" }}
  - {{ id: ops-key, party: ops, sha256: "{}" }}
)",
      upstreams.empty() ? "" : "  m-up: { owner: lab, pool: up }\n", t.extra_models,
      upstreams.empty() ? ""
                        : "  up:\n    timeouts: { " + t.up_timeouts + " }\n" +
                              (t.up_extra.empty() ? "" : "    " + t.up_extra + "\n") +
                              "    upstreams:\n" + upstreams,
      to_hex(sha256(kAcmeKey)), to_hex(sha256(kCloudKey)));
  if (!t.server.empty()) y += "server: { " + t.server + " }\n";
  y += "ledger: { path: \"" + (t.ledger_path.empty() ? dir.path() + "/ledger.db" : t.ledger_path) +
       "\" }\n";
  return y;
}

}  // namespace accord::testing
