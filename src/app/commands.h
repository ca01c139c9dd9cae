// The accord command line: one function per subcommand, each returning the process exit code.
#pragma once

#include <string>

namespace accord {

struct ServeOptions {
  std::string config;
  std::string listen;                // empty: the agreement's server.listen
  int workers = 0;                   // 0: one per core
  std::string scheduler = "accord";  // or "fcfs"
  std::string access_log;            // empty: the agreement's server.access_log
};
int run_serve(const ServeOptions& options);

struct EngineOptions {
  std::string listen = "127.0.0.1:8001";
  std::string gpu = "h100";
  int gpus = 1;
  int tp = 0;
  double model_params_b = 8;
  int max_batch = 0;
  int64_t context_window = 131072;
  std::string model = "accord-sim";
  int workers = 0;
};
int run_engine(const EngineOptions& options);

int run_check(const std::string& path);

struct ReportOptions {
  std::string config;
  std::string ledger;  // empty: the agreement's ledger.path
  std::string period;  // YYYY-MM
  std::string party;
  std::string format = "table";
};
int run_report(const ReportOptions& options);

struct SimulateOptions {
  std::string config;
  std::string trace;    // a trace CSV, or
  std::string traffic;  // a traffic file
  double duration_s = 0;
  double rate_scale = 1.0;
  std::string party_map;  // party=weight,...
  std::string scheduler = "accord";
  std::string format = "table";
  std::string html;
  std::string start;  // RFC 3339: the simulated wall time of t = 0 (default: now)
  uint64_t seed = 1;
};
int run_simulate(const SimulateOptions& options);

struct PlanOptions {
  std::string config;
  std::string fleet;
  std::string kueue;  // a directory for the Kueue manifests
  std::string format = "table";
};
int run_plan(const PlanOptions& options);

struct KeysNewOptions {
  std::string party;
  std::string id;
  std::string config;  // optional: check the party exists
};
int run_keys_new(const KeysNewOptions& options);

// `accord keys list|revoke|rotate` against a running gateway's keys API.
struct KeysAdminOptions {
  std::string url = "http://127.0.0.1:8080";
  std::string admin_key_env = "ACCORD_ADMIN_KEY";
  std::string admin_key_file;
  std::string id;             // revoke, rotate
  int64_t grace_seconds = 0;  // rotate
  bool json = false;          // list: the API's answer as it is
};
int run_keys_list(const KeysAdminOptions& options);
int run_keys_revoke(const KeysAdminOptions& options);
int run_keys_rotate(const KeysAdminOptions& options);

}  // namespace accord
