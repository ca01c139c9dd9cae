#include "runtime/waiter.h"

#include <chrono>

namespace accord {

asio::awaitable<void> Waiter::wait_until(MonoNanos deadline) {
  if (take_notification()) co_return;
  timer_.expires_at(asio::steady_timer::time_point(std::chrono::nanoseconds(deadline)));
  error_code ec;
  co_await timer_.async_wait(use_ec(ec));
  take_notification();
}

void Waiter::notify(const std::shared_ptr<Waiter>& waiter) {
  waiter->notified_.store(true, std::memory_order_release);
  asio::post(waiter->timer_.get_executor(), [self = waiter] { self->timer_.cancel(); });
}

}  // namespace accord
