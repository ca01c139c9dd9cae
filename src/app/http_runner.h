// Runs an HTTP server on the event loops until SIGTERM/SIGINT, then drains: stop accepting, let
// in-flight requests and streams finish within the grace period, exit. SIGHUP calls `on_hup`.
#pragma once

#include <functional>
#include <string>

#include "http/server.h"
#include "runtime/event_loops.h"

namespace accord {

struct RunnerOptions {
  std::string listen;
  ServerLimits limits;
  int64_t drain_grace_ms = 30'000;
  std::function<void()> on_hup;
  ListenerTls* tls = nullptr;  // TLS on the listener (HttpServer's), or plain HTTP
  // Called once listening, with the port (to print a banner).
  std::function<void(const std::string& host, uint16_t port)> on_listening;
};

// Returns the process exit code: 0 after a drain, 1 if the server could not start.
int run_http_server(EventLoops& loops, HttpHandler& handler, const RunnerOptions& options);

// The number of event loops to run: `requested`, or one per CPU the process may use (its
// affinity mask, and a cgroup CPU quota where one is set; runtime/usable_cpus.h).
int worker_count(int requested);

}  // namespace accord
