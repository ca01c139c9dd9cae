// Deadlines for many sockets at the cost of one timer: each loop has one sweeper that wakes a few
// times a second and expires the entries whose deadline has passed. Setting or moving a deadline
// is a store to an integer, so the request path never arms or cancels a timer per request.
// Resolution is the sweep period (a timeout of 10 s fires within 10 s + period).
// Not thread-safe: entries are added, changed and removed on the sweeper's own loop.
#pragma once

#include <functional>

#include "core/clock.h"
#include "runtime/asio.h"

namespace accord {

class DeadlineSweeper {
 public:
  class Entry {
   public:
    virtual ~Entry() = default;
    // Called on the loop once the deadline has passed; the deadline is cleared first.
    virtual void on_deadline() = 0;
    void set_deadline(MonoNanos at) { deadline_ = at; }
    void clear_deadline() { deadline_ = 0; }
    MonoNanos deadline() const { return deadline_; }

   private:
    friend class DeadlineSweeper;
    MonoNanos deadline_ = 0;  // 0: none
    Entry* prev_ = nullptr;
    Entry* next_ = nullptr;
    bool linked_ = false;
  };

  DeadlineSweeper(asio::io_context& loop, MonoNanos period_ns);
  ~DeadlineSweeper();

  void add(Entry* e);
  void remove(Entry* e);
  // Calls fn for every entry (e.g. to close idle connections on drain).
  void for_each(const std::function<void(Entry*)>& fn);
  size_t size() const { return size_; }

  void start();
  void stop();

 private:
  void arm();
  void sweep();

  asio::steady_timer timer_;
  MonoNanos period_ns_;
  Entry* head_ = nullptr;
  Entry* cursor_ = nullptr;  // the next entry of a sweep in progress
  size_t size_ = 0;
  bool running_ = false;
};

}  // namespace accord
