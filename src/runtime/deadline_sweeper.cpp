#include "runtime/deadline_sweeper.h"

#include <chrono>

namespace accord {

DeadlineSweeper::DeadlineSweeper(asio::io_context& loop, MonoNanos period_ns)
    : timer_(loop), period_ns_(period_ns) {}

DeadlineSweeper::~DeadlineSweeper() {
  stop();
}

void DeadlineSweeper::add(Entry* e) {
  if (e->linked_) return;
  e->prev_ = nullptr;
  e->next_ = head_;
  if (head_ != nullptr) head_->prev_ = e;
  head_ = e;
  e->linked_ = true;
  ++size_;
}

void DeadlineSweeper::remove(Entry* e) {
  if (!e->linked_) return;
  if (cursor_ == e) cursor_ = e->next_;
  if (e->prev_ != nullptr) e->prev_->next_ = e->next_;
  if (e->next_ != nullptr) e->next_->prev_ = e->prev_;
  if (head_ == e) head_ = e->next_;
  e->prev_ = e->next_ = nullptr;
  e->linked_ = false;
  --size_;
}

void DeadlineSweeper::for_each(const std::function<void(Entry*)>& fn) {
  for (Entry* e = head_; e != nullptr;) {
    Entry* next = e->next_;
    cursor_ = next;
    fn(e);  // may remove e (or, via cursor_, the next entry)
    e = cursor_;
  }
  cursor_ = nullptr;
}

void DeadlineSweeper::start() {
  running_ = true;
  arm();
}

void DeadlineSweeper::stop() {
  running_ = false;
  timer_.cancel();
}

void DeadlineSweeper::arm() {
  timer_.expires_after(std::chrono::nanoseconds(period_ns_));
  timer_.async_wait([this](error_code ec) {
    if (ec || !running_) return;
    sweep();
    arm();
  });
}

void DeadlineSweeper::sweep() {
  const MonoNanos now = SystemClock::instance().now();
  for_each([now](Entry* e) {
    if (e->deadline_ != 0 && e->deadline_ <= now) {
      e->deadline_ = 0;
      e->on_deadline();
    }
  });
}

}  // namespace accord
