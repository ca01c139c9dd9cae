#include "gateway/scheduler_host.h"

#include <chrono>

namespace accord {

void GatewayTicket::notify() {
  // Called under the scheduler's lock: only flags and posts here. A queued ticket is notified only
  // when it starts or is refused, so a notification that finds it preempted, or queued again,
  // means its running work must stop.
  if (state == State::kPreempted || state == State::kQueued) {
    stop_.stopped.store(true, std::memory_order_release);
    asio::post(executor_, [self = shared_from_this()] {
      if (self->stop_.on_stop) self->stop_.on_stop();
    });
  }
  Waiter::notify(shared_waiter());
}

SchedulerHost::SchedulerHost(SchedulerConfig config, EventLoops& loops, const Clock& clock)
    : config_(config),
      home_(loops.loop(0)),
      timer_(home_),
      clock_(clock),
      scheduler_(std::move(config)) {}

SchedulerHost::~SchedulerHost() = default;

void SchedulerHost::stop() {
  std::lock_guard lock(mu_);
  stopped_ = true;
  asio::post(home_, [self = shared_from_this()] { self->timer_.cancel(); });
}

bool SchedulerHost::submit(const std::shared_ptr<GatewayTicket>& ticket) {
  std::lock_guard lock(mu_);
  const MonoNanos now = clock_.now();
  scheduler_.submit(ticket, now);
  arm_locked(now);
  return ticket->state == Ticket::State::kQueued;
}

asio::awaitable<void> SchedulerHost::wait(const std::shared_ptr<GatewayTicket>& ticket) {
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (ticket->state != Ticket::State::kQueued) co_return;
    }
    co_await ticket->waiter().wait();
  }
}

void SchedulerHost::finish(Ticket& ticket, double actual_weighted, int64_t output_tokens,
                           const UpstreamSample* sample) {
  std::lock_guard lock(mu_);
  const MonoNanos now = clock_.now();
  if (sample != nullptr) scheduler_.on_upstream_sample(*sample, now);
  scheduler_.finish(ticket, actual_weighted, now, output_tokens);
  arm_locked(now);
}

void SchedulerHost::withdraw(Ticket& ticket) {
  std::lock_guard lock(mu_);
  const MonoNanos now = clock_.now();
  scheduler_.withdraw(ticket, now);
  arm_locked(now);
}

SchedulerStats SchedulerHost::stats() {
  std::lock_guard lock(mu_);
  return scheduler_.stats();
}

double SchedulerHost::reservation_level(size_t i) {
  std::lock_guard lock(mu_);
  return scheduler_.reservation_level(i, clock_.now());
}

void SchedulerHost::arm_locked(MonoNanos now) {
  const MonoNanos next = scheduler_.next_wakeup(now);
  if (next >= PoolScheduler::kNever || next >= armed_for_ || stopped_) return;
  armed_for_ = next;
  const auto at = asio::steady_timer::time_point(std::chrono::nanoseconds(next));
  asio::post(home_, [self = shared_from_this(), at] {
    self->timer_.expires_at(at);
    self->timer_.async_wait([self](error_code ec) {
      if (!ec) self->on_timer();
    });
  });
}

void SchedulerHost::on_timer() {
  std::lock_guard lock(mu_);
  if (stopped_) return;
  armed_for_ = PoolScheduler::kNever;
  const MonoNanos now = clock_.now();
  scheduler_.on_time(now);
  arm_locked(now);
}

}  // namespace accord
