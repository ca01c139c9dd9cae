// One event loop (io_context) per core, each run by its own thread. Connections, their timers and
// their upstream connections stay on the loop that accepted them, so per-connection state needs
// no locks; cross-loop work is posted.
#pragma once

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "runtime/asio.h"
#include "runtime/busy_poll.h"

namespace accord {

class EventLoops {
 public:
  // REQUIRES: count >= 1.
  explicit EventLoops(int count);
  ~EventLoops();
  EventLoops(const EventLoops&) = delete;
  EventLoops& operator=(const EventLoops&) = delete;

  int size() const { return static_cast<int>(loops_.size()); }
  asio::io_context& loop(int i) { return *loops_[static_cast<size_t>(i)]; }
  // The index of the loop the calling thread runs, or -1 off the loops.
  static int current_index();

  // How the loops wait for events (busy_poll.h); before run().
  void set_busy_poll(const BusyPoll& poll) { poll_ = poll; }
  // Loop i's CPU time and its time polling (busy_poll.h). Any thread.
  const LoopTimes& times(int i) const { return *times_[static_cast<size_t>(i)]; }
  // Runs loops 1..n-1 on new threads and loop 0 on the caller; returns when all have stopped.
  void run();
  // Any thread: makes run() return once the loops stop.
  void stop();

 private:
  std::vector<std::unique_ptr<asio::io_context>> loops_;
  std::vector<std::unique_ptr<asio::executor_work_guard<asio::io_context::executor_type>>> guards_;
  std::vector<std::thread> threads_;
  std::vector<std::unique_ptr<LoopTimes>> times_;
  BusyPoll poll_;
  std::atomic<bool> quit_{false};
};

}  // namespace accord
