#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "agreement/loader.h"
#include "apis/messages_api.h"
#include "apis/responses_api.h"
#include "app/commands.h"
#include "app/http_runner.h"
#include "gateway/gateway.h"
#include "keys/key_admin.h"
#include "ledger/key_store.h"
#include "ledger/ledger.h"
#include "ledger/month_spend.h"
#include "ledger/response_store.h"
#include "metrics/access_log.h"
#include "metrics/gateway_metrics.h"
#include "routes/routes.h"
#include "runtime/busy_poll.h"
#include "trace/trace_exporter.h"
#include "upstream/health_checker.h"

namespace accord {

int run_serve(const ServeOptions& options) {
  const LoadResult loaded = load_agreement_file(options.config);
  if (!loaded.ok()) {
    for (const std::string& line : loaded.messages()) fmt::print(stderr, "{}\n", line);
    return 1;
  }
  const Agreement& agreement = *loaded.agreement;
  const Clock& clock = SystemClock::instance();
  EventLoops loops(worker_count(options.workers));
  LoopClients clients(loops);
  SnapshotOptions snapshot_options;
  snapshot_options.fcfs = options.scheduler == "fcfs";
  snapshot_options.clients = &clients;
  AgreementStore store(build_snapshot(loaded.agreement, nullptr, loops, clock, snapshot_options),
                       options.config, loops, clock, snapshot_options);
  std::unique_ptr<Ledger> ledger;
  std::unique_ptr<ResponseStore> responses;
  std::unique_ptr<KeyStore> key_store;
  std::unique_ptr<KeyAdmin> key_admin;
  if (agreement.ledger.enabled) {
    const LedgerConfig& lc = agreement.ledger;
    auto sqlite_store =
        open_sqlite_store(SqliteOptions{lc.path, lc.durability == Durability::kStrict});
    if (!sqlite_store.ok()) {
      fmt::print(stderr, "{}\n", sqlite_store.error().message);
      return 1;
    }
    auto opened_keys = open_sqlite_key_store(lc.path);
    if (!opened_keys.ok()) {
      fmt::print(stderr, "{}\n", opened_keys.error().message);
      return 1;
    }
    key_store = std::move(opened_keys.value());
    key_admin = std::make_unique<KeyAdmin>(*key_store, store, clock);
    if (Status s = key_admin->load(); !s.ok()) {
      fmt::print(stderr, "{}\n", s.error().message);
      return 1;
    }
    // After the stored keys are published: their budgets are seeded too.
    if (Status s = seed_budgets_from_ledger(lc.path, *store.current()->agreement,
                                            *store.current()->limits, clock.wall_now());
        !s.ok()) {
      fmt::print(stderr, "{}\n", s.error().message);
      return 1;
    }
    auto response_store = open_sqlite_response_store(lc.path);
    if (!response_store.ok()) {
      fmt::print(stderr, "{}\n", response_store.error().message);
      return 1;
    }
    responses = std::move(response_store.value());
    LedgerOptions lo;
    lo.durability = lc.durability;
    lo.flush_interval_ms = lc.flush_interval_ms;
    ledger = std::make_unique<Ledger>(std::move(sqlite_store.value()), lo);
  }
  // In batch durability the loops commit the ledger on their idle time; busy-polling loops give
  // way to its writer thread when it needs a core.
  loops.set_busy_poll(
      BusyPoll{std::chrono::microseconds(agreement.server.busy_poll_us),
               ledger ? &ledger->needs_cpu_at() : nullptr,
               ledger && ledger->durability() == Durability::kBatch ? ledger.get() : nullptr});
  Gateway gateway(store, clock, ledger.get());
  GatewayMetrics metrics(store, ledger.get());
  metrics.set_event_loops(&loops);
  gateway.add_observer(&metrics);
  // Idle, and nothing sampled, until the agreement has a traces section (at start or on reload).
  TraceExporter traces([&store] { return store.current()->agreement; });
  metrics.set_trace_stats(&traces.stats());
  gateway.add_observer(&traces);
  Router router;
  gateway.add_routes(router);
  ResponsesApi responses_api(gateway, store, responses.get(), clock);
  responses_api.add_routes(router);
  MessagesApi messages_api(gateway);
  messages_api.add_routes(router);
  const RouteContext routes{&store, ledger.get(), &clock, &metrics, key_admin.get()};
  add_model_routes(router, routes);
  add_usage_routes(router, routes);
  add_admin_routes(router, routes);
  add_observability_routes(router, routes);
  add_key_routes(router, routes);
  const std::string access_log_to =
      options.access_log.empty() ? agreement.server.access_log : options.access_log;
  std::unique_ptr<AccessLog> access_log;
  if (access_log_to != "off") {
    auto opened = AccessLog::open(access_log_to);
    if (!opened.ok()) {
      fmt::print(stderr, "{}\n", opened.error().message);
      return 1;
    }
    access_log = std::move(opened.value());
    gateway.add_observer(access_log.get());
  }
  HealthChecker health(loops, clients, [&store] {
    std::vector<std::shared_ptr<EndpointSet>> sets;
    const auto snapshot = store.current();
    for (const auto& pool : snapshot->pools) {
      if (pool->endpoints) sets.push_back(pool->endpoints);
    }
    return sets;
  });
  health.start();

  RunnerOptions run;
  run.listen = options.listen.empty() ? agreement.server.listen : options.listen;
  const ServerConfig& s = agreement.server;
  run.limits = ServerLimits{s.max_body_bytes,        s.max_header_bytes, s.header_timeout_ms,
                            s.body_timeout_ms,       s.idle_timeout_ms,  s.max_connections,
                            s.max_connections_per_ip};
  run.drain_grace_ms = s.drain_grace_ms;
  run.on_hup = [&store] {
    const ReloadResult r = store.reload();
    if (r.ok) {
      spdlog::info("SIGHUP: agreement reloaded: {}", r.summary);
    } else {
      spdlog::error("SIGHUP: the new agreement is invalid; the old one keeps serving:");
      for (const std::string& e : r.errors) spdlog::error("  {}", e);
    }
  };
  run.on_listening = [&](const std::string& host, uint16_t port) {
    const std::string shown = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    fmt::print(stderr,
               "accord serving {} ({}) on http://{}:{} with {} event loop(s), {} scheduler\n",
               options.config, summarize(agreement), shown, port, loops.size(), options.scheduler);
  };
  const int code = run_http_server(loops, router, run);
  health.stop();
  if (ledger && !ledger->flush(10'000)) {
    spdlog::error("the ledger could not commit its last records before exit");
  }
  return code;
}

}  // namespace accord
