// Active health checks: every few seconds, GET {base}/models (or the provider's equivalent,
// upstream/provider_http.h, with its credentials) on each endpoint of each upstream pool. An
// answer re-admits an ejected endpoint; a failure counts like a failed request.
// Runs on loop 0.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "core/clock.h"
#include "upstream/endpoint_set.h"
#include "upstream/loop_clients.h"

namespace accord {

class HealthChecker {
 public:
  // `sets` is called each round, so a reloaded agreement's endpoints are checked from then on.
  HealthChecker(EventLoops& loops, LoopClients& clients,
                std::function<std::vector<std::shared_ptr<EndpointSet>>()> sets,
                int64_t interval_ms = 5'000);
  void start();
  void stop();

 private:
  asio::awaitable<void> run();

  asio::io_context& io_;
  LoopClients& clients_;
  std::function<std::vector<std::shared_ptr<EndpointSet>>()> sets_;
  int64_t interval_ms_;
  asio::steady_timer timer_;
  bool stopped_ = false;
};

}  // namespace accord
