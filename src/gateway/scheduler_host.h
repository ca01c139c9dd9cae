// SchedulerHost: a pool's PoolScheduler in real time. The scheduler itself is single-threaded
// and clock-driven (so the simulator runs the same code); the host puts it behind one mutex per
// pool (no global lock), arms a timer on loop 0 for its next deadline or refill, and wakes
// waiting requests on whatever loop they run through their Waiter.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>

#include "core/clock.h"
#include "runtime/event_loops.h"
#include "runtime/stop_signal.h"
#include "runtime/waiter.h"
#include "sched/pool_scheduler.h"

namespace accord {

// A ticket of the gateway: wakes its request through its waiter, and stops the request's work
// when its slot is reclaimed. Waiter and stop signal live inside it (one allocation).
class GatewayTicket final : public Ticket, public std::enable_shared_from_this<GatewayTicket> {
 public:
  explicit GatewayTicket(const asio::any_io_executor& executor)
      : executor_(executor), waiter_(executor) {}
  void notify() override;
  Waiter& waiter() { return waiter_; }
  std::shared_ptr<Waiter> shared_waiter() { return {shared_from_this(), &waiter_}; }
  StopSignal& stop() { return stop_; }

 private:
  asio::any_io_executor executor_;
  Waiter waiter_;
  StopSignal stop_;
};

class SchedulerHost : public std::enable_shared_from_this<SchedulerHost> {
 public:
  SchedulerHost(SchedulerConfig config, EventLoops& loops, const Clock& clock);
  ~SchedulerHost();

  // Submits the ticket: true when it is queued and must wait().
  bool submit(const std::shared_ptr<GatewayTicket>& ticket);
  // Waits until a queued ticket runs or is refused (state kRunning or kRefused).
  asio::awaitable<void> wait(const std::shared_ptr<GatewayTicket>& ticket);
  // `output_tokens`: see PoolScheduler::finish(). `sample` (an upstream pool's request): fed to
  // its adaptive limit first (PoolScheduler::on_upstream_sample()), under the same lock.
  void finish(Ticket& ticket, double actual_weighted, int64_t output_tokens = -1,
              const UpstreamSample* sample = nullptr);
  void withdraw(Ticket& ticket);
  SchedulerStats stats();
  const SchedulerConfig& config() const { return config_; }
  double reservation_level(size_t i);
  void stop();

 private:
  void arm_locked(MonoNanos now);  // REQUIRES: mu_ held
  void on_timer();

  SchedulerConfig config_;
  asio::io_context& home_;
  asio::steady_timer timer_;  // on home_
  const Clock& clock_;
  std::mutex mu_;
  PoolScheduler scheduler_;                      // guarded by mu_
  MonoNanos armed_for_ = PoolScheduler::kNever;  // guarded by mu_
  bool stopped_ = false;                         // guarded by mu_
};

}  // namespace accord
