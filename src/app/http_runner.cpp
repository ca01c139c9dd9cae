#include "app/http_runner.h"

#include "core/clock.h"
#include "runtime/usable_cpus.h"

#include <spdlog/spdlog.h>
#include <boost/asio/signal_set.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <csignal>
#include <thread>

namespace accord {

int worker_count(int requested) {
  if (requested > 0) return requested;
  const UsableCpus cpus = usable_cpus();
  spdlog::info("{} usable: one event loop each (--workers overrides)", cpus.describe());
  return cpus.count;
}

namespace {

// Each connection is a descriptor (two when proxied): lift the soft limit (often 1,024) towards
// what max_connections needs, as far as the hard limit allows.
void raise_descriptor_limit(int64_t max_connections) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  const rlim_t wanted = static_cast<rlim_t>(2 * max_connections + 1024);
  if (limit.rlim_cur >= wanted) return;
  limit.rlim_cur = limit.rlim_max == RLIM_INFINITY ? wanted : std::min(wanted, limit.rlim_max);
  if (setrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (static_cast<int64_t>(limit.rlim_cur) < 2 * max_connections) {
    spdlog::warn(
        "the descriptor limit ({}) is below what {} connections need; raise it "
        "(ulimit -n) or lower server.max_connections",
        limit.rlim_cur, max_connections);
  }
}

}  // namespace

int run_http_server(EventLoops& loops, HttpHandler& handler, const RunnerOptions& options) {
  std::signal(SIGPIPE, SIG_IGN);
  raise_descriptor_limit(options.limits.max_connections);
  auto address = parse_listen_address(options.listen);
  if (!address.ok()) {
    spdlog::error("--listen: {}", address.error().message);
    return 1;
  }
  // Signals are caught before the port opens, so no signal can find the default action.
  asio::io_context& main = loops.loop(0);
  asio::signal_set stop_signals(main, SIGTERM, SIGINT);
  asio::signal_set hup(main, SIGHUP);
  HttpServer server(loops, handler, options.limits, options.tls);
  if (Status s = server.listen(address->first, address->second); !s.ok()) {
    spdlog::error("{}", s.error().message);
    return 1;
  }
  if (options.on_listening) options.on_listening(address->first, server.port());

  asio::steady_timer drain_timer(main);
  MonoNanos drain_deadline = 0;

  std::function<void()> check_drained = [&] {
    const bool idle = server.stats().active_requests.load() == 0;
    if (idle || SystemClock::instance().now() >= drain_deadline) {
      if (!idle) {
        spdlog::warn("grace period over with {} request(s) in flight; stopping",
                     server.stats().active_requests.load());
      }
      loops.stop();
      return;
    }
    drain_timer.expires_after(std::chrono::milliseconds(20));
    drain_timer.async_wait([&](error_code ec) {
      if (!ec) check_drained();
    });
  };
  stop_signals.async_wait([&](error_code ec, int signal) {
    if (ec) return;
    spdlog::info("signal {}: draining ({} request(s) in flight, grace {} ms)", signal,
                 server.stats().active_requests.load(), options.drain_grace_ms);
    hup.cancel();
    server.begin_drain();
    drain_deadline = SystemClock::instance().now() + options.drain_grace_ms * kNanosPerMilli;
    check_drained();
  });
  std::function<void()> wait_hup = [&] {
    hup.async_wait([&](error_code ec, int) {
      if (ec) return;
      if (options.on_hup) options.on_hup();
      wait_hup();
    });
  };
  wait_hup();
  loops.run();
  spdlog::info("stopped");
  return 0;
}

}  // namespace accord
