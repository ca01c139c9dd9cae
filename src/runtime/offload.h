// Runs blocking work (a report over the ledger, say) on a worker thread and resumes the calling
// coroutine on its own loop when it is done. The work is a plain function, not a coroutine:
// coroutines stay on their loop.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>

#include <boost/asio/thread_pool.hpp>

#include "runtime/waiter.h"

namespace accord {

template <class T>
asio::awaitable<T> run_off_loop(asio::thread_pool& pool, std::function<T()> work) {
  struct Shared {
    explicit Shared(const asio::any_io_executor& ex) : waiter(std::make_shared<Waiter>(ex)) {}
    std::shared_ptr<Waiter> waiter;
    std::optional<T> result;
    std::atomic<bool> done{false};
  };
  auto shared = std::make_shared<Shared>(co_await asio::this_coro::executor);
  asio::post(pool, [shared, work = std::move(work)] {
    shared->result.emplace(work());
    shared->done.store(true, std::memory_order_release);
    Waiter::notify(shared->waiter);
  });
  while (!shared->done.load(std::memory_order_acquire)) co_await shared->waiter->wait();
  co_return std::move(*shared->result);
}

}  // namespace accord
