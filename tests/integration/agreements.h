// Agreement files for the integration tests.
#pragma once

#include <string>
#include <vector>

namespace accord::testing {

struct TestAgreement {
  std::vector<int> upstream_ports;  // endpoints of pool "up" (model m-up)
  int max_inflight = 16;
  std::string up_timeouts = "connect_ms: 1000";      // pool "up"'s timeouts
  std::string upstream_origin = "http://127.0.0.1";  // scheme and host of its endpoints' URLs
  std::string upstream_path = "/v1";                 // and their path ("" for an API's root)
  std::string up_extra;      // more keys of pool "up", e.g. "ca_file: /tmp/ca.pem"
  std::string server;        // extra `server:` keys, e.g. "max_body_bytes: 1024"
  std::string extra_models;  // more entries under models:
  std::string ledger_path;   // the ledger\'s database (default: in the test\'s temp dir)
};

// Parties lab (provider), ops (operator, key kCloudKey), acme (customer, key kAcmeKey);
// models m-up on the upstream pool and m-local on a built-in 8B pool.
// The ledger goes in `dir` unless t.ledger_path says otherwise.
std::string agreement_yaml(const TestAgreement& t, const class TempDir& dir);

}  // namespace accord::testing
