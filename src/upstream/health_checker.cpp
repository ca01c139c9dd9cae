#include "upstream/health_checker.h"

#include <chrono>

namespace accord {

HealthChecker::HealthChecker(EventLoops& loops, LoopClients& clients,
                             std::function<std::vector<std::shared_ptr<EndpointSet>>()> sets,
                             int64_t interval_ms)
    : io_(loops.loop(0)),
      clients_(clients),
      sets_(std::move(sets)),
      interval_ms_(interval_ms),
      timer_(io_) {}

void HealthChecker::start() {
  asio::co_spawn(io_, run(), asio::detached);
}

void HealthChecker::stop() {
  asio::post(io_, [this] {
    stopped_ = true;
    timer_.cancel();
  });
}

asio::awaitable<void> HealthChecker::run() {
  HttpClientPool& client = clients_.of(0);
  const ClientTimeouts timeouts{2'000, 2'000, 2'000};
  while (!stopped_) {
    for (const auto& set : sets_()) {
      for (size_t i = 0; i < set->size(); ++i) {
        const int e = static_cast<int>(i);
        const ClientTarget& target = set->target(e);
        const std::string head =
            "GET " + set->health_target(e) + " HTTP/1.1\r\nHost: " + target.host_header +
            "\r\nAccept: application/json" + set->request_headers(e) + "\r\n\r\n";
        auto response = co_await client.send(target, head, {}, timeouts);
        bool ok = false;
        if (response.ok()) {
          std::string body;
          auto read = co_await response.value().read_all(body, 1 << 20);
          ok = read.ok() && response.value().status() < 500;
        }
        if (ok) {
          set->record_success(e);
        } else {
          set->record_failure(e);
        }
        if (stopped_) co_return;
      }
    }
    timer_.expires_after(std::chrono::milliseconds(interval_ms_));
    error_code ec;
    co_await timer_.async_wait(use_ec(ec));
  }
}

}  // namespace accord
