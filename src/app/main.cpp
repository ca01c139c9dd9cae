// accord: one agreement file in, an OpenAI-compatible gateway out.
#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "app/commands.h"

#ifdef ACCORD_JEMALLOC
// jemalloc's settings (read before main; MALLOC_CONF in the environment still overrides them). A
// background thread gives freed pages back on jemalloc's decay schedule even while no request
// comes (otherwise decay runs only when memory is allocated), and a page unused for a second goes
// back rather than after ten: RSS returns close to its rest once a crowd of connections has gone.
extern "C" const char* const malloc_conf = "background_thread:true,dirty_decay_ms:1000";
#endif

int main(int argc, char** argv) {
  using namespace accord;
  CLI::App app{"accord — an AI gateway and GPU-capacity broker that enforces one agreement"};
  app.require_subcommand(1);
  app.footer(
      "SIGHUP reloads the agreement; SIGTERM drains and exits. Manual: man accord, and "
      "docs/ (/usr/share/doc/accord/docs where the package is installed).");
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")
      ->capture_default_str();

  ServeOptions serve;
  auto* serve_cmd = app.add_subcommand("serve", "Serve the OpenAI API through the agreement");
  serve_cmd->add_option("--config", serve.config, "The agreement file")->required();
  serve_cmd->add_option("--listen", serve.listen,
                        "ADDR:PORT (default: server.listen, "
                        "127.0.0.1:8080)");
  serve_cmd->add_option("--workers", serve.workers, "Event loops (default: one per usable CPU)");
  serve_cmd
      ->add_option("--scheduler", serve.scheduler,
                   "accord (reservations, fair sharing, preemption) or fcfs")
      ->check(CLI::IsMember({"accord", "fcfs"}))
      ->capture_default_str();
  serve_cmd->add_option("--access-log", serve.access_log,
                        "stderr, off or a file (default: server.access_log, stderr)");

  EngineOptions engine;
  auto* engine_cmd =
      app.add_subcommand("engine", "Run the built-in simulated engine as an OpenAI server");
  engine_cmd->add_option("--listen", engine.listen, "ADDR:PORT")->capture_default_str();
  engine_cmd->add_option("--gpu", engine.gpu, "GPU type")->capture_default_str();
  engine_cmd->add_option("--gpus", engine.gpus, "GPUs")->capture_default_str();
  engine_cmd->add_option("--tp", engine.tp, "GPUs per replica (default: fewest that fit)");
  engine_cmd->add_option("--model-params-b", engine.model_params_b, "Model size, billions")
      ->capture_default_str();
  engine_cmd->add_option("--max-batch", engine.max_batch, "Concurrent sequences per replica");
  engine_cmd->add_option("--context-window", engine.context_window, "Tokens")
      ->capture_default_str();
  engine_cmd->add_option("--model", engine.model, "Model name in /v1/models")
      ->capture_default_str();
  engine_cmd->add_option("--workers", engine.workers, "Event loops (default: one per usable CPU)");

  std::string check_path;
  auto* check_cmd = app.add_subcommand("check", "Validate an agreement file");
  check_cmd->add_option("file", check_path, "The agreement file")->required();

  KeysNewOptions keys_new;
  auto* keys_cmd = app.add_subcommand("keys", "Manage API keys");
  keys_cmd->require_subcommand(1);
  auto* keys_new_cmd = keys_cmd->add_subcommand("new", "Print a fresh key and its keys: line");
  keys_new_cmd->add_option("--party", keys_new.party, "The party it belongs to")->required();
  keys_new_cmd->add_option("--id", keys_new.id, "Its id (default: PARTY-random)");
  keys_new_cmd->add_option("--config", keys_new.config, "Check the party exists in this file");
  // Against a running gateway's keys API, with an operator key or the party's admin key.
  KeysAdminOptions keys_admin;
  const auto add_target = [&keys_admin](CLI::App* cmd) {
    cmd->add_option("--url", keys_admin.url, "The gateway (default: http://127.0.0.1:8080)");
    cmd->add_option("--admin-key-env", keys_admin.admin_key_env,
                    "The variable holding the admin key (default: ACCORD_ADMIN_KEY)");
    cmd->add_option("--admin-key-file", keys_admin.admin_key_file, "Or the file holding it");
  };
  auto* keys_list_cmd = keys_cmd->add_subcommand("list", "List a running gateway's keys");
  add_target(keys_list_cmd);
  keys_list_cmd->add_flag("--json", keys_admin.json, "Print the API's JSON answer");
  auto* keys_revoke_cmd = keys_cmd->add_subcommand("revoke", "Revoke a key made through the API");
  add_target(keys_revoke_cmd);
  keys_revoke_cmd->add_option("id", keys_admin.id, "The key's id")->required();
  auto* keys_rotate_cmd =
      keys_cmd->add_subcommand("rotate", "Give a key made through the API a new secret");
  add_target(keys_rotate_cmd);
  keys_rotate_cmd->add_option("id", keys_admin.id, "The key's id")->required();
  keys_rotate_cmd->add_option("--grace-seconds", keys_admin.grace_seconds,
                              "How long the old secret keeps working (default: 0)");

  ReportOptions report;
  auto* report_cmd = app.add_subcommand("report", "Usage, SLA and settlement for a period");
  report_cmd->add_option("--config", report.config, "The agreement file")->required();
  report_cmd->add_option("--ledger", report.ledger, "The ledger (default: ledger.path)");
  report_cmd->add_option("--period", report.period, "The month, YYYY-MM")->required();
  report_cmd->add_option("--party", report.party, "Only this party's figures");
  report_cmd->add_option("--format", report.format, "table, json, csv or html")
      ->check(CLI::IsMember({"table", "json", "csv", "html"}))
      ->capture_default_str();

  SimulateOptions sim;
  auto* sim_cmd = app.add_subcommand(
      "simulate", "Run the agreement's schedulers and engines on a trace, in virtual time");
  sim_cmd->add_option("--config", sim.config, "The agreement file")->required();
  auto* trace_opt = sim_cmd->add_option(
      "--trace", sim.trace, "TIMESTAMP,ContextTokens,GeneratedTokens[,party][,model] CSV");
  auto* traffic_opt = sim_cmd->add_option("--traffic", sim.traffic, "A traffic file (YAML)");
  trace_opt->excludes(traffic_opt);
  sim_cmd->add_option("--duration", sim.duration_s, "Seconds of arrivals (default: the trace's)");
  sim_cmd->add_option("--rate-scale", sim.rate_scale, "Multiply the trace's arrival rate")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  sim_cmd->add_option("--party-map", sim.party_map,
                      "party=weight,... for trace rows without a party (default: round-robin "
                      "over the customers)");
  sim_cmd->add_option("--scheduler", sim.scheduler, "accord or fcfs")
      ->check(CLI::IsMember({"accord", "fcfs"}))
      ->capture_default_str();
  sim_cmd->add_option("--format", sim.format, "table or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  sim_cmd->add_option("--html", sim.html, "Also write a self-contained HTML report here");
  sim_cmd->add_option("--start", sim.start, "Simulated wall time of t=0, RFC 3339 (default: now)");
  sim_cmd->add_option("--seed", sim.seed, "Random seed (traffic files, --party-map)")
      ->capture_default_str();

  PlanOptions plan;
  auto* plan_cmd = app.add_subcommand(
      "plan", "Size the pools by simulation, split the fleet, export the split to Kueue");
  plan_cmd->add_option("--config", plan.config, "The agreement file")->required();
  plan_cmd->add_option("--fleet", plan.fleet, "The fleet file (GPUs, topology, training jobs)")
      ->required();
  plan_cmd->add_option("--kueue", plan.kueue, "Write Kueue v1beta1 manifests to this directory");
  plan_cmd->add_option("--format", plan.format, "table, json or html")
      ->check(CLI::IsMember({"table", "json", "html"}))
      ->capture_default_str();

  CLI11_PARSE(app, argc, argv);
  spdlog::set_default_logger(spdlog::stderr_color_mt("accord"));  // stdout is for output
  spdlog::set_level(spdlog::level::from_str(log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");

  if (serve_cmd->parsed()) return run_serve(serve);
  if (engine_cmd->parsed()) return run_engine(engine);
  if (check_cmd->parsed()) return run_check(check_path);
  if (keys_new_cmd->parsed()) return run_keys_new(keys_new);
  if (keys_list_cmd->parsed()) return run_keys_list(keys_admin);
  if (keys_revoke_cmd->parsed()) return run_keys_revoke(keys_admin);
  if (keys_rotate_cmd->parsed()) return run_keys_rotate(keys_admin);
  if (report_cmd->parsed()) return run_report(report);
  if (plan_cmd->parsed()) return run_plan(plan);
  if (sim_cmd->parsed()) {
    if (sim.trace.empty() && sim.traffic.empty()) {
      fmt::print(stderr, "simulate: give --trace CSV or --traffic FILE\n");
      return 2;
    }
    return run_simulate(sim);
  }
  return 2;
}
