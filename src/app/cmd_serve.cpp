#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <mutex>

#include "agreement/loader.h"
#include "apis/messages_api.h"
#include "apis/responses_api.h"
#include "app/commands.h"
#include "app/http_runner.h"
#include "gateway/gateway.h"
#include "http/tls_server.h"
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
namespace {

// After a reload that took, the listener's new TLS connections present the certificate the new
// agreement names (loaded with it, so a reload whose files could not be used never gets here).
// Reloads may run at once (SIGHUP, POST /admin/reload): each takes the store's newest agreement
// under one lock, so the last to finish leaves the newest certificate.
class TlsRenewal {
 public:
  TlsRenewal(AgreementStore& store, ListenerTls* tls) : store_(store), tls_(tls) {}

  void operator()() {
    std::lock_guard lock(mu_);
    const auto next = store_.current()->agreement->server.tls.context;
    if (tls_ == nullptr) {
      if (next) spdlog::warn("server.tls takes effect at start: restart to serve TLS");
      return;
    }
    if (!next) {
      spdlog::warn(
          "server.tls was removed: restart to serve plain HTTP; until then new connections keep "
          "the current certificate");
      return;
    }
    tls_->replace(next);
    spdlog::info("TLS: new connections get {}", next->summary());
  }

 private:
  AgreementStore& store_;
  ListenerTls* tls_;
  std::mutex mu_;
};

}  // namespace

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
  std::unique_ptr<ListenerTls> listener_tls;
  if (agreement.server.tls.context) {
    listener_tls = std::make_unique<ListenerTls>(agreement.server.tls.context);
    spdlog::info("TLS: connections get {}", agreement.server.tls.context->summary());
  }
  TlsRenewal renew_tls(store, listener_tls.get());
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
  const RouteContext routes{&store,   ledger.get(),    &clock,
                            &metrics, key_admin.get(), [&renew_tls] { renew_tls(); }};
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
  run.tls = listener_tls.get();
  run.on_hup = [&store, &renew_tls] {
    const ReloadResult r = store.reload();
    if (r.ok) {
      spdlog::info("SIGHUP: agreement reloaded: {}", r.summary);
      renew_tls();
    } else {
      spdlog::error("SIGHUP: the new agreement is invalid; the old one keeps serving:");
      for (const std::string& e : r.errors) spdlog::error("  {}", e);
    }
  };
  run.on_listening = [&](const std::string& host, uint16_t port) {
    const std::string shown = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    fmt::print(stderr, "accord serving {} ({}) on {}://{}:{} with {} event loop(s), {} scheduler\n",
               options.config, summarize(agreement), listener_tls ? "https" : "http", shown, port,
               loops.size(), options.scheduler);
  };
  const int code = run_http_server(loops, router, run);
  health.stop();
  if (ledger && !ledger->flush(10'000)) {
    spdlog::error("the ledger could not commit its last records before exit");
  }
  return code;
}

}  // namespace accord
