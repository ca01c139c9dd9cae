#include "runtime/event_loops.h"

namespace accord {
namespace {
thread_local int t_loop_index = -1;
}

EventLoops::EventLoops(int count) {
  for (int i = 0; i < count; ++i) {
    loops_.push_back(std::make_unique<asio::io_context>(1));
    guards_.push_back(std::make_unique<asio::executor_work_guard<asio::io_context::executor_type>>(
        loops_.back()->get_executor()));
    times_.push_back(std::make_unique<LoopTimes>());
  }
}

EventLoops::~EventLoops() {
  stop();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

int EventLoops::current_index() {
  return t_loop_index;
}

void EventLoops::run() {
  poll_.quit = &quit_;
  for (int i = 1; i < size(); ++i) {
    threads_.emplace_back([this, i] {
      t_loop_index = i;
      run_polling(*loops_[static_cast<size_t>(i)], poll_, times_[static_cast<size_t>(i)].get());
    });
  }
  t_loop_index = 0;
  run_polling(*loops_[0], poll_, times_[0].get());
  for (auto& t : threads_) t.join();
  threads_.clear();
  t_loop_index = -1;
}

void EventLoops::stop() {
  quit_.store(true, std::memory_order_release);
  for (auto& g : guards_) g->reset();
  for (auto& l : loops_) l->stop();
}

}  // namespace accord
